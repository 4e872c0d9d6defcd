"""The uint8 frame cache: decode every frame once, resized, into a memory-mapped array.

The cache file is keyed by the source's fingerprint (paths, sizes, mtimes, options), the
image size and the channel count, so it is reused across runs and rebuilt when the source
changes. Location: ``$EGOEQUIV_CACHE`` or ``~/.cache/egoequiv``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable
from egoequiv.utils.progress import progress


@dataclass
class Frames:
    """A source's table plus its decoded frames, uint8 (N, H, W, C)."""

    table: FrameTable
    images: np.ndarray

    def __len__(self) -> int:
        return len(self.table)


def cache_dir() -> Path:
    return Path(os.environ.get("EGOEQUIV_CACHE", Path.home() / ".cache" / "egoequiv"))


def resize_frame(image: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Squash a frame to size x size (aspect not kept, as the paper does for KITTI)."""
    mode = "L" if image.shape[2] == 1 else "RGB"
    im = Image.fromarray(image[:, :, 0] if mode == "L" else image, mode)
    im = im.convert("L" if channels == 1 else "RGB")
    im = im.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr


_WORKER_SOURCE: Source | None = None


def _init_worker(source: Source) -> None:
    global _WORKER_SOURCE
    _WORKER_SOURCE = source


def _decode(job: tuple[str, int, int]) -> np.ndarray:
    ref, size, channels = job
    return resize_frame(_WORKER_SOURCE.load_image(ref), size, channels)


def load_frames(source: Source, size: int, channels: int, workers: int | None = None,
                directory: Path | None = None, quiet: bool = False) -> Frames:
    """Decoded frames of ``source``, from the cache or decoded now on all cores."""
    table = source.table()
    directory = Path(directory) if directory else cache_dir()
    key = f"{source.name}-{source.fingerprint()}-{size}x{size}x{channels}.npy"
    path = directory / key
    if path.exists():
        images = np.load(path, mmap_mode="r")
        if images.shape == (len(table), size, size, channels):
            return Frames(table, images)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8,
                                    shape=(len(table), size, size, channels))
    jobs = [(ref, size, channels) for ref in table.refs]
    workers = workers or os.cpu_count() or 1
    bar = progress(total=len(jobs), desc=f"decode {source.name}", unit="img", disable=quiet)
    try:
        if workers > 1 and len(jobs) > 64:
            ctx = mp.get_context("fork")
            with ctx.Pool(workers, initializer=_init_worker, initargs=(source,)) as pool:
                for i, arr in enumerate(pool.imap(_decode, jobs, chunksize=16)):
                    out[i] = arr
                    bar.update(1)
        else:
            _init_worker(source)
            for i, job in enumerate(jobs):
                out[i] = _decode(job)
                bar.update(1)
        out.flush()
        del out
        os.replace(tmp, path)
    except BaseException:  # nothing half-written stays behind
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return Frames(table, np.load(path, mmap_mode="r"))
