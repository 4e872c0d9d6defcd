"""The uint8 frame cache: decode every frame once, resized, into a memory-mapped array.

The cache file is keyed by the source's fingerprint (paths, sizes, mtimes, options), the
image size and the channel count, so it is reused across runs and rebuilt when the source
changes. Location: ``$EGOEQUIV_CACHE`` or ``~/.cache/egoequiv``.

The frames are returned as a ``FrameStore`` (``store.py``): the file read through a memory map
whose pages are released after every read, so a cache larger than memory keeps RSS bounded.
Processes that build the same cache at once (torchrun ranks, ``reproduce --jobs``) take a
file lock: the first decodes, the others wait and then reuse its file. The lock is on the
cache folder itself (so no lock file is left behind); builds into one folder take turns.

A finished cache has a marker beside it (``KEY.npy.done``: its shape and a SHA-1 of 64 rows
spread over it). A cache without a matching marker (a killed build, a truncated or zeroed
file) is rebuilt. Before building, the free space is checked against the file's size.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import multiprocessing as mp
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from egoequiv.data.source import Source
from egoequiv.data.store import FrameStore
from egoequiv.data.table import FrameTable
from egoequiv.errors import EgoequivError
from egoequiv.utils.atomic import atomic_write_json, remove_quietly
from egoequiv.utils.progress import progress


@dataclass
class Frames:
    """A source's table plus its decoded frames, uint8 (N, H, W, C): a ``FrameStore`` on
    the cache file, or an array."""

    table: FrameTable
    images: FrameStore | np.ndarray

    def __len__(self) -> int:
        return len(self.table)


#: what decoding does to a file's pixels, in the cache key: 2 applies EXIF orientation, so
#: frames cached sideways by an earlier version are decoded again
DECODE_VERSION = 2


def cache_dir() -> Path:
    return Path(os.environ.get("EGOEQUIV_CACHE", Path.home() / ".cache" / "egoequiv"))


def cache_error(path: Path, e: OSError, needs: int | None = None) -> EgoequivError:
    """One line for a cache that cannot be written: the folder, why, and how to choose
    another one (a read-only or full folder can still be read when its cache is finished;
    this one has none for these frames yet)."""
    folder = path.parent
    hint = "set EGOEQUIV_CACHE to a writable folder with room for it"
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "read-only file system" if e.errno == errno.EROFS else "not writable"
        return EgoequivError(f"cache folder {folder}: {why} ({e.strerror}), and it holds no "
                             f"finished cache of these frames to reuse; {hint}")
    if e.errno == errno.ENOSPC:
        need = f" (needs about {needs / 1e6:.0f} MB)" if needs else ""
        return EgoequivError(f"cache folder {folder}: no space left{need}; {hint}")
    return EgoequivError(f"cache folder {folder}: cannot write {path.name} "
                         f"({e.strerror or e}); {hint}")


def resize_frame(image: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Squash a frame to size x size (aspect not kept, as the paper does for KITTI)."""
    mode = "L" if image.shape[2] == 1 else "RGB"
    im = Image.fromarray(image[:, :, 0] if mode == "L" else image, mode)
    im = im.convert("L" if channels == 1 else "RGB")
    im = im.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr


# A decode worker's source, set once by the pool's initializer: the source is pickled once
# per worker process rather than with every job. It changes no result, only where the source
# object lives.
_WORKER_SOURCE: Source | None = None


def _init_worker(source: Source) -> None:
    global _WORKER_SOURCE
    _WORKER_SOURCE = source


def _decode(job: tuple[list[str], int, int]) -> list[np.ndarray]:
    refs, size, channels = job
    return [resize_frame(img, size, channels) for img in _WORKER_SOURCE.load_chunk(refs)]


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".done")


def _sample_hash(images: np.ndarray, rows: int = 64) -> str:
    index = np.unique(np.linspace(0, len(images) - 1, rows).astype(np.int64)) \
        if len(images) else np.zeros(0, np.int64)
    return hashlib.sha1(np.ascontiguousarray(images[index]).tobytes()).hexdigest()


def _finished(path: Path, shape: tuple) -> FrameStore | None:
    """The cache at ``path`` if it is complete and matches its marker, else None."""
    try:
        marker = json.loads(_marker(path).read_text())
        images = FrameStore(path)
    except (OSError, ValueError, EOFError):
        return None
    if tuple(marker.get("shape", ())) != shape or images.shape != shape:
        return None
    return images if marker.get("sample_sha1") == _sample_hash(images) else None


def load_frames(source: Source, size: int, channels: int, workers: int | None = None,
                directory: Path | None = None, quiet: bool = False) -> Frames:
    """Decoded frames of ``source``, from the cache or decoded now on all cores."""
    table = source.table()
    directory = Path(directory) if directory else cache_dir()
    key = f"{source.name}-{source.fingerprint()}-{size}x{size}x{channels}-d{DECODE_VERSION}.npy"
    path = directory / key
    shape = (len(table), size, size, channels)
    if (images := _finished(path, shape)) is not None:
        return Frames(table, images)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = os.open(directory, os.O_RDONLY)
    except OSError as e:
        raise cache_error(path, e) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building this cache
        if (images := _finished(path, shape)) is not None:
            return Frames(table, images)
        _build(source, table, path, shape, workers, quiet)
    finally:
        os.close(lock)  # releases the lock
    return Frames(table, FrameStore(path))


class _RowWriter:
    """Writes frames into a new .npy file by positioned writes (not a memory map, whose
    dirty pages would count in RSS up to the cache's size)."""

    def __init__(self, path: Path, shape: tuple):
        self.f = open(path, "wb")
        np.lib.format.write_array_header_1_0(
            self.f, {"descr": "|u1", "fortran_order": False, "shape": tuple(shape)})
        self.offset, self.row_bytes = self.f.tell(), int(np.prod(shape[1:]))
        self.f.truncate(self.offset + shape[0] * self.row_bytes)

    def write(self, rows: np.ndarray, arrays: list[np.ndarray]) -> None:
        data = np.ascontiguousarray(np.stack(arrays), dtype=np.uint8)
        for k, row in enumerate(rows):  # rows of a job are usually one run: one seek each
            if k == 0 or row != rows[k - 1] + 1:
                self.f.seek(self.offset + int(row) * self.row_bytes)
            self.f.write(data[k].tobytes())

    def close(self) -> None:
        if not self.f.closed:
            self.f.flush()
            os.fsync(self.f.fileno())
            self.f.close()


def _build(source: Source, table: FrameTable, path: Path, shape: tuple, workers: int | None,
           quiet: bool) -> None:
    """Decode every frame into ``path`` (atomically), then write its marker."""
    directory, (_, size, _, channels) = path.parent, shape
    try:
        free = shutil.disk_usage(directory).free
    except OSError as e:
        raise cache_error(path, e) from None
    needs = int(np.prod(shape)) + 4096
    if free < needs:
        raise EgoequivError(f"no space left on {directory} (needs about {needs / 1e6:.0f} MB, "
                            f"{free / 1e6:.0f} MB free); set EGOEQUIV_CACHE to another folder")
    tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
    try:
        out = _RowWriter(tmp, shape)
    except OSError as e:  # a read-only folder fails here, before any decoding
        remove_quietly(tmp)
        raise cache_error(path, e, needs) from None
    chunks = source.chunks(table.refs)  # each decoded once, by one worker
    jobs = [([table.refs[i] for i in rows], size, channels) for rows in chunks]
    workers = workers or os.cpu_count() or 1
    bar = progress(total=len(table), desc=f"decode {source.name}", unit="img", disable=quiet)
    try:
        if workers > 1 and len(table) > 64 and len(jobs) > 1:
            ctx = mp.get_context("fork")
            with ctx.Pool(min(workers, len(jobs)), initializer=_init_worker,
                          initargs=(source,)) as pool:
                for rows, arrays in zip(chunks, pool.imap(_decode, jobs)):
                    out.write(rows, arrays)
                    bar.update(len(rows))
        else:
            _init_worker(source)
            for rows, job in zip(chunks, jobs):
                out.write(rows, _decode(job))
                bar.update(len(rows))
        out.close()
        os.replace(tmp, path)
        atomic_write_json(_marker(path), {"shape": list(shape),
                                          "sample_sha1": _sample_hash(FrameStore(path))})
    except OSError as e:
        out.close()
        remove_quietly(tmp)
        raise cache_error(path, e, needs) from None
    except BaseException:  # nothing half-written stays behind
        out.close()
        remove_quietly(tmp)
        raise
    finally:
        bar.close()
