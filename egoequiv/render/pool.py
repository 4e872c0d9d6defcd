"""Render jobs on all cores: a fork pool whose workers each open their own pybullet client
(``bullet.process_renderer``), results in job order, a progress bar counting images."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence

from egoequiv.utils.progress import progress


def run_jobs(fn: Callable, jobs: Sequence, images: Sequence[int], desc: str,
             workers: int | None = None) -> list:
    """``[fn(job) for job in jobs]``, in parallel; ``images[i]`` is job i's image count."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    bar = progress(total=int(sum(images)), desc=desc, unit="img")
    results = []
    try:
        if workers > 1:
            # fork: workers inherit the code and options; each makes its own DIRECT client
            with mp.get_context("fork").Pool(workers) as pool:
                for n, res in zip(images, pool.imap(fn, jobs), strict=True):
                    results.append(res)
                    bar.update(n)
        else:
            for n, job in zip(images, jobs, strict=True):
                results.append(fn(job))
                bar.update(n)
    finally:
        bar.close()
    return results
