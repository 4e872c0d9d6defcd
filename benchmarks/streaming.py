"""Training from a frame cache larger than the memory budget: steps/s streamed from disk
over steps/s with the frames in memory, measured in this run, and the peak RSS.

    python benchmarks/streaming.py [--cache-gb 4.5] [--dir DIR] [--json FILE]

A synthetic uint8 cache (the real file format, random frames) of ``--cache-gb`` is written
to ``--dir`` (default: a temporary folder, removed afterwards). The real training step
(``egoequiv.training.loader.BatchLoader`` + ``Method.forward`` + backward + Nesterov SGD) runs
on it in alternating rounds (medians compared): streaming every batch from the file
(``device_cache_mb`` below its size; the file's pages are dropped from the OS cache before
each streamed round, so reads really go to the disk), and with the first ``--memory-mb`` of
frames copied into memory. ``peak_rss_mb`` is the process's peak RSS after the first
streamed round, which runs before anything is held in memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


class RandomBatches:
    """The sampler's interface (``sample(iteration)``), drawing indices in [0, frames)."""

    def __init__(self, frames: int, batch: int, patterns: int = 4, seed: int = 0):
        self.frames, self.batch, self.patterns, self.seed = frames, batch, patterns, seed

    def sample(self, iteration: int) -> dict:
        import numpy as np

        rng, b, n = np.random.default_rng([self.seed, iteration]), self.batch, self.frames
        return {"x": rng.integers(0, n, b), "pos_i": rng.integers(0, n, b),
                "pos_j": rng.integers(0, n, b), "pattern": rng.integers(0, self.patterns, b),
                "motion": rng.normal(size=(b, 2)).astype(np.float32),
                "neg_i": rng.integers(0, n, b), "neg_j": rng.integers(0, n, b)}


def write_cache(path: Path, frames: int, size: int) -> None:
    import numpy as np

    shape = (frames, size, size, 3)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": shape})
        rng, row = np.random.default_rng(0), size * size * 3
        for start in range(0, frames, 65536):
            count = min(65536, frames - start)
            f.write(rng.integers(0, 256, count * row, dtype=np.uint8).tobytes())
        f.flush()
        os.fsync(f.fileno())
    drop_from_page_cache(path)


def drop_from_page_cache(path: Path) -> None:
    """Ask the OS to forget the file's cached pages, so the next reads go to the disk."""
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)


def steps_per_second(loader, method, optimizer, first: int, steps: int, warmup: int = 5):
    batches = loader.batches(first, first + warmup + steps)
    start = 0.0
    for k, batch in enumerate(batches):
        if k == warmup:
            start = time.perf_counter()
        loss, _ = method(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps / (time.perf_counter() - start)


def main() -> None:
    from _report import report

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache-gb", type=float, default=4.5, help="size of the synthetic cache")
    p.add_argument("--memory-mb", type=int, default=256, help="frames held in memory for the "
                                                              "in-memory phase")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=16, help="pairs per stream")
    p.add_argument("--method", default="equiv+drlim")
    p.add_argument("--steps", type=int, default=600, help="timed steps of each phase")
    p.add_argument("--rounds", type=int, default=6, help="alternating rounds; the medians "
                                                         "are compared")
    p.add_argument("--prefetch", type=int, default=None, help="batches read ahead by a "
                   "thread; 0 = read in the training thread (default: the config's)")
    p.add_argument("--dir", help="where to write the cache (default: a temporary folder)")
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()

    import numpy as np
    import torch

    from egoequiv.config import load_config
    from egoequiv.data.store import FrameStore
    from egoequiv.data.tensors import Normalizer
    from egoequiv.training.checkpoint import build_method
    from egoequiv.training.loader import BatchLoader

    folder = Path(args.dir or tempfile.mkdtemp(prefix="egoequiv-streaming-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic-cache.npy"
    row = args.image_size ** 2 * 3
    frames = int(args.cache_gb * 2**30 / row)
    try:
        t0 = time.perf_counter()
        write_cache(path, frames, args.image_size)
        write_s = time.perf_counter() - t0
        store = FrameStore(path)
        cfg = load_config(overrides={"method": args.method, "image_size": args.image_size,
                                     "batch_size": args.batch_size, "channels": 3})
        device = torch.device("cpu")
        norm = Normalizer([0.5] * 3, [0.25] * 3)
        prefetch = cfg.prefetch if args.prefetch is None else args.prefetch
        labels = np.random.default_rng(1).integers(0, 10, frames)

        def setup(images, n, budget_mb):
            torch.manual_seed(0)
            method = build_method(cfg, 3, 10, 4, 2).to(memory_format=torch.channels_last)
            opt = torch.optim.SGD(method.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
            loader = BatchLoader(RandomBatches(n, args.batch_size), images, labels[:n], norm,
                                 device, budget_mb, prefetch=prefetch)
            return loader, method, opt

        # rounds alternate between the two, so a noisy neighbour slows both alike; the
        # streamed phase comes first, so the peak RSS is the streamed run's
        disk = setup(store, frames, budget_mb=0)
        per_round = max(1, args.steps // args.rounds)
        streamed_runs = [steps_per_second(*disk, first=0, steps=per_round)]
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n_memory = args.memory_mb * 2**20 // row
        memory = setup(store[:n_memory], n_memory, budget_mb=10**6)
        memory_runs = [steps_per_second(*memory, first=0, steps=per_round)]
        for r in range(1, args.rounds):
            drop_from_page_cache(path)
            streamed_runs.append(steps_per_second(*disk, first=r * 10**4, steps=per_round))
            memory_runs.append(steps_per_second(*memory, first=r * 10**4, steps=per_round))
        streamed, in_memory = np.median(streamed_runs), np.median(memory_runs)
        placement, memory_placement = disk[0].placement, memory[0].placement
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
    result = {
        "cache_gb": frames * row / 2**30, "frames": frames, "image_size": args.image_size,
        "batch_size": args.batch_size, "method": args.method, "threads": torch.get_num_threads(),
        "write_seconds": write_s, "streamed_steps_per_s": float(streamed),
        "in_memory_steps_per_s": float(in_memory),
        "ratio_to_in_memory": float(streamed / in_memory),
        "ratio_per_round": [round(a / b, 3) for a, b in zip(streamed_runs, memory_runs)],
        "peak_rss_mb": peak_rss_mb, "streamed": placement, "in_memory": memory_placement,
    }
    report(result, args.json)


if __name__ == "__main__":
    from train_step import MALLOC_ENV  # the same glibc malloc settings as train_step.py

    if sys.platform.startswith("linux") and any(os.environ.get(k) != v
                                                for k, v in MALLOC_ENV.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **MALLOC_ENV})
    sys.exit(main())
