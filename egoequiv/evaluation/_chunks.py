"""Chunking for measurements over many pairs, so memory stays bounded.

Pair-wise work (maps applied to pairs, distances of pairs) is done ``CHUNK`` pairs at a time:
with D-dimensional float64 features one chunk holds a few arrays of CHUNK x D values, e.g.
4096 x 512 x 8 B = 16 MiB each. Work against a candidate set of C rows (ranking, retrieval)
takes ``rows_for(C)`` queries at a time so that one distance block holds at most ``BLOCK``
values (2^23 float64 = 64 MiB), whatever C is.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

CHUNK = 4096
BLOCK = 1 << 23


def chunks(n: int, size: int = CHUNK) -> Iterator[slice]:
    """Consecutive slices covering range(n), ``size`` items each (the last may be shorter)."""
    for start in range(0, n, max(1, int(size))):
        yield slice(start, min(n, start + size))


def rows_for(columns: int, block: int = BLOCK, cap: int = CHUNK) -> int:
    """How many query rows fit one distance block against ``columns`` candidates."""
    return int(max(1, min(cap, block // max(1, columns))))


def pairwise_distance(a: np.ndarray, b: np.ndarray, metric: str = "l2") -> np.ndarray:
    """(len(a), len(b)) distances: "l2" Euclidean, "l1" city block, "cosine" 1 - cos."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if metric == "l2":
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return np.sqrt(np.maximum(d2, 0.0))
    if metric == "l1":
        return np.abs(a[:, None, :] - b[None, :, :]).sum(axis=2)
    if metric == "cosine":
        na = np.linalg.norm(a, axis=1, keepdims=True)
        nb = np.linalg.norm(b, axis=1, keepdims=True)
        return 1.0 - (a / np.where(na > 0, na, 1.0)) @ (b / np.where(nb > 0, nb, 1.0)).T
    raise ValueError(f"unknown metric {metric!r}: use l2, l1 or cosine")


def paired_distance(a: np.ndarray, b: np.ndarray, metric: str = "l2") -> np.ndarray:
    """Row-wise distance ||a_k - b_k|| ("l2") or |a_k - b_k|_1 ("l1"), computed in chunks."""
    if metric not in ("l2", "l1"):
        raise ValueError(f"unknown metric {metric!r}: use l2 or l1")
    out = np.empty(len(a), dtype=np.float64)
    for s in chunks(len(a)):
        diff = np.asarray(a[s], dtype=np.float64) - np.asarray(b[s], dtype=np.float64)
        out[s] = np.linalg.norm(diff, axis=1) if metric == "l2" else np.abs(diff).sum(axis=1)
    return out
