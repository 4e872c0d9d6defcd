"""Runs of a protocol stage side by side: ``jobs`` processes, each with its share of threads.

A small network at batch 16 does not keep two cores busy in one process; two processes of
one thread each train about 1.25 times as many steps per second on a 2-core machine (measured
with equiv on the rendered objects). Each run's result depends only on its own settings and
its thread count, so a protocol gives the same numbers for the same ``jobs`` on the same
machine. ``jobs=1`` runs everything in this process, one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context


def default_jobs(device: str) -> int:
    """Several runs at once on a CPU with two or more cores; one on an accelerator."""
    if device not in ("auto", "cpu"):
        return 1
    import torch

    if device == "auto" and torch.cuda.is_available():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def run_all(fn: Callable, jobs: Iterable[tuple], workers: int,
            done: Callable[[int, object], None]) -> list:
    """``fn(*job)`` for every job, ``workers`` at a time; ``done(index, result)`` as each
    finishes (in completion order). Returns the results in the jobs' order."""
    jobs = list(jobs)
    results: list = [None] * len(jobs)
    threads = max(1, (os.cpu_count() or 1) // workers)
    if workers <= 1 or len(jobs) <= 1:
        import torch

        # a lone job of a stage runs with a worker's share of threads too, so a run's
        # numbers depend on --jobs alone, not on how many jobs its stage has
        before = torch.get_num_threads()
        torch.set_num_threads(threads if workers > 1 else before)
        try:
            for k, job in enumerate(jobs):
                results[k] = fn(*job)
                done(k, results[k])
        finally:
            torch.set_num_threads(before)
        return results
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("spawn"),
                             initializer=_init, initargs=(threads,)) as pool:
        futures = {pool.submit(fn, *job): k for k, job in enumerate(jobs)}
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            done(k, results[k])
    return results
