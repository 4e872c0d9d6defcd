"""Ranking metrics: is the true z(gx) the nearest candidate to the prediction M_g z(x)?

For each query k (a test pair (x, gx) of known pattern g), ``predicted[k]`` = M_g z(x) and the
candidate set is the rows of ``candidates`` (C, D). The rank of the true row t_k is
1 + #{candidates strictly closer (Euclidean) than t_k} + a uniformly random place among the
candidates at exactly the true one's distance (ties count in expectation, so constant features
score chance, not 1). MRR = mean over queries of E[1 / rank]; hits@k = mean of P(rank <= k).
Suite default candidate set: the features of every test frame except the query frame x itself
(``exclude_index``): with x among the candidates a "no motion" prediction finds x first, and
on ETH-80 x was the nearest candidate in 93% of the pairs, which says nothing about z(gx).
Memory: ``rows_for(C)`` queries at a time, one block of at most 2^23 distances (64 MiB).
"""

from __future__ import annotations

import numpy as np

from egoequiv.evaluation._chunks import chunks, pairwise_distance, rows_for


def rank_counts(predicted: np.ndarray, candidates: np.ndarray, true_index: np.ndarray,
                metric: str = "l2", exclude_index: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per query: (#candidates strictly closer than the true one, #at equal distance incl. it).
    ``exclude_index[k]`` (or -1) is a candidate that query k does not rank against."""
    predicted = np.asarray(predicted, np.float64)
    candidates = np.asarray(candidates, np.float64)
    true_index = np.asarray(true_index, np.int64)
    closer = np.empty(len(predicted), np.int64)
    ties = np.empty(len(predicted), np.int64)
    for s in chunks(len(predicted), rows_for(len(candidates))):
        d = pairwise_distance(predicted[s], candidates, metric)
        if exclude_index is not None:
            rows = np.flatnonzero(np.asarray(exclude_index)[s] >= 0)
            d[rows, np.asarray(exclude_index)[s][rows]] = np.inf
        true = d[np.arange(len(d)), true_index[s]][:, None]
        tol = 1e-9 * np.maximum(true, 1e-12)
        closer[s] = (d < true - tol).sum(axis=1)
        ties[s] = (np.abs(d - true) <= tol).sum(axis=1)
    return closer, ties


def rank_metrics(predicted: np.ndarray, candidates: np.ndarray, true_index: np.ndarray,
                 ks: tuple[int, ...] = (1, 5, 10), metric: str = "l2",
                 exclude_index: np.ndarray | None = None) -> dict:
    """{"mrr", "hits@k" for k in ks, "mean_rank", "num_queries", "num_candidates"}.

    None values when there are no queries. ``exclude_index``: see ``rank_counts``.
    """
    closer, ties = rank_counts(predicted, candidates, true_index, metric, exclude_index)
    out: dict = {"num_queries": int(len(closer)), "num_candidates": int(len(candidates))}
    if len(closer) == 0:
        out.update({"mrr": None, "mean_rank": None, **{f"hits@{k}": None for k in ks}})
        return out
    harmonic = np.r_[0.0, np.cumsum(1.0 / np.arange(1, len(candidates) + 1))]
    rr = (harmonic[closer + ties] - harmonic[closer]) / ties  # E[1/rank], rank uniform on ties
    out["mrr"] = float(rr.mean())
    out["mean_rank"] = float((closer + (ties + 1) / 2.0).mean())
    for k in ks:
        out[f"hits@{k}"] = float(np.clip((k - closer) / ties, 0.0, 1.0).mean())
    return out
