"""FrameStore: the finished uint8 cache file, read through a memory map that forgets.

It behaves like the (N, H, W, C) uint8 array it holds for what the library does with frames
(``store[i]``, ``store[a:b]``, ``store[index_array]``, ``len``, ``shape``, ``np.asarray``).
Pages read through a plain memory map stay in the process's RSS, so training on a cache larger
than memory would grow RSS to the cache's size. Every read here copies the rows asked for and
then tells the kernel the mapping's pages are not needed (``MADV_DONTNEED``: they leave this
process, the OS may keep them in its page cache), so RSS stays bounded. Measured against
``os.pread`` per row, this costs 2.5x less CPU per batch (benchmarks/streaming.py). The file is
mapped once per process (decode workers and DDP ranks map their own).
"""

from __future__ import annotations

import mmap
import os
import threading
import warnings
from pathlib import Path

import numpy as np


class FrameStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if fortran or dtype != np.uint8 or len(shape) != 4:
            raise ValueError(f"{self.path}: not a (N, H, W, C) uint8 C-order frame cache")
        self.shape, self.dtype = tuple(shape), np.dtype(np.uint8)
        self.row_bytes = int(np.prod(shape[1:]))
        if self.path.stat().st_size != self.offset + self.nbytes:
            raise ValueError(f"{self.path}: {self.path.stat().st_size} bytes, its header "
                             f"says {self.offset + self.nbytes} (a truncated cache)")
        self._map, self._array, self._tensor, self._pid = None, None, None, None
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.row_bytes

    @property
    def ndim(self) -> int:
        return 4

    def __len__(self) -> int:
        return self.shape[0]

    def __getstate__(self):
        return {**self.__dict__, "_map": None, "_array": None, "_tensor": None, "_pid": None,
                "_lock": None}

    def __setstate__(self, state):
        self.__dict__.update(state, _lock=threading.Lock())

    def _rows(self) -> np.ndarray:
        """The whole file as an (N, H, W, C) array backed by this process's mapping."""
        if self._array is None or self._pid != os.getpid():
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
            if hasattr(self._map, "madvise"):  # batches hit random rows: no read-around
                self._map.madvise(mmap.MADV_RANDOM)
            self._array = np.frombuffer(self._map, np.uint8, self.nbytes, self.offset) \
                .reshape(self.shape)
            import torch  # here: reading a source's table needs no torch (fast start-up)

            with warnings.catch_warnings():  # read-only memory: we never write through it
                warnings.simplefilter("ignore", UserWarning)
                self._tensor = torch.from_numpy(self._array)
            self._pid = os.getpid()
        return self._array

    def _copy(self, key) -> np.ndarray:
        with self._lock:  # one reader at a time: the advice must not drop a page mid-copy
            rows = self._rows()
            if isinstance(key, np.ndarray) and key.dtype != bool and key.ndim == 1:
                # torch gathers with the GIL released (numpy would hold it through every
                # page fault and stall the training thread)
                import torch

                out = self._tensor.index_select(0, torch.from_numpy(key.astype(np.int64)))
                out = out.numpy()
            else:
                out = rows[key]
                if np.may_share_memory(out, rows):  # a slice or one row: a view, copy it
                    out = out.copy()
            if hasattr(self._map, "madvise"):
                self._map.madvise(mmap.MADV_DONTNEED)
        return out

    def will_need(self, index: np.ndarray) -> None:
        """Ask the kernel to start reading rows ``index`` into its page cache now, without
        waiting (``MADV_WILLNEED``): a later read of them then finds them in memory."""
        self._rows()
        if not hasattr(self._map, "madvise"):
            return
        page = mmap.PAGESIZE
        start = self.offset + np.unique(np.asarray(index, dtype=np.int64)) * self.row_bytes
        first = start // page * page
        for a, b in zip(first.tolist(), (start + self.row_bytes).tolist()):
            self._map.madvise(mmap.MADV_WILLNEED, a, b - a)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (int, np.integer)):
            return self._copy(int(key))
        if isinstance(key, slice):
            return self._copy(key)
        index = np.asarray(key)
        if index.dtype != bool and len(index.ravel()):
            n = self.shape[0]
            if index.min() < -n or index.max() >= n:
                raise IndexError(f"frame index out of range for {n} frames")
        return self._copy(index)

    def __array__(self, dtype=None, copy=None):
        arr = self[0:self.shape[0]]
        return arr if dtype is None else arr.astype(dtype)
