"""Nearest-neighbour retrieval and "what will I see after this motion" (analogy) retrieval.

``nearest``: for each query feature, the indices of the k nearest rows of a candidate set
(Euclidean by default; ties broken by the lower candidate index). ``retrieve_neighbours``: the
queries are frames, the candidates the training frames (the query itself excluded if it is one).
``retrieve_after_motion``: the query is M'_g z(x) for a test pair (x, x') of pattern g, the
candidates are every test frame (so the true next frame x' is among them; x itself is excluded);
``true_next`` marks x' in the grid. Memory: ``rows_for(C)`` queries per distance block (64 MiB).
"""

from __future__ import annotations

import numpy as np

from egoequiv.evaluation._chunks import chunks, pairwise_distance, rows_for
from egoequiv.evaluation.equivariance import apply_maps
from egoequiv.evaluation.plots import plot_retrieval_grid

__all__ = ["nearest", "retrieve_neighbours", "retrieve_after_motion", "plot_retrieval_grid"]


def nearest(queries: np.ndarray, candidates: np.ndarray, k: int = 5, metric: str = "l2",
            exclude: np.ndarray | None = None) -> np.ndarray:
    """(Q, k) row indices into ``candidates``; ``exclude[q]`` (a candidate row or -1) is skipped."""
    queries = np.asarray(queries, np.float64)
    candidates = np.asarray(candidates, np.float64)
    k = min(k, len(candidates) - (exclude is not None))
    out = np.empty((len(queries), k), np.int64)
    for s in chunks(len(queries), rows_for(len(candidates))):
        d = pairwise_distance(queries[s], candidates, metric)
        if exclude is not None:
            rows = np.flatnonzero(np.asarray(exclude[s]) >= 0)
            d[rows, np.asarray(exclude[s])[rows]] = np.inf
        out[s] = _k_smallest(d, k)
    return out


def _k_smallest(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k smallest per row, by (distance, index): a partial sort."""
    if k >= d.shape[1]:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    kth = np.partition(d, k - 1, axis=1)[:, k - 1:k]
    out = np.empty((len(d), k), np.int64)
    for r in range(len(d)):
        cand = np.flatnonzero(d[r] <= kth[r, 0])  # ascending index: ties go to the lower one
        out[r] = cand[np.argsort(d[r, cand], kind="stable")][:k]
    return out


def retrieve_neighbours(z: np.ndarray, queries: np.ndarray, base: np.ndarray,
                        k: int = 5) -> np.ndarray:
    """(Q, k) frame indices: the k nearest frames of ``base`` to each query frame."""
    z = np.asarray(z)
    base = np.asarray(base)
    pos = {int(f): r for r, f in enumerate(base)}
    exclude = np.array([pos.get(int(q), -1) for q in queries])
    return base[nearest(z[np.asarray(queries)], z[base], k, exclude=exclude)]


def retrieve_after_motion(z: np.ndarray, maps: np.ndarray, pair_i, pair_j, pattern,
                          base: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(neighbours (Q, k) frame indices of ``base`` nearest to M'_g z(x), hit (Q, k) bool = x')."""
    z = np.asarray(z)
    base = np.asarray(base)
    pair_i, pair_j = np.asarray(pair_i), np.asarray(pair_j)
    pos = {int(f): r for r, f in enumerate(base)}
    exclude = np.array([pos.get(int(q), -1) for q in pair_i])
    predicted = apply_maps(maps, z[pair_i], np.asarray(pattern))
    neighbours = base[nearest(predicted, z[base], k, exclude=exclude)]
    return neighbours, neighbours == pair_j[:, None]
