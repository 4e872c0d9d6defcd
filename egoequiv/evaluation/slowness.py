"""Slowness AUROC: how well feature distance separates temporal neighbours from other pairs.

Positives are neighbour pairs (i, j) (|t_i - t_j| <= T for video, adjacent views for view sets),
negatives are non-neighbour pairs of the same frame pool (``sample_negatives``). The score of a
pair is minus its feature distance (``metric`` "l2" as the paper uses for drlim, "l1" for
temporal), so AUROC = P(score of a random positive > score of a random negative), ties counted
1/2 (the Mann-Whitney U statistic / (n_pos n_neg)). 1 = every neighbour pair is closer than every
non-neighbour pair, 0.5 = chance, 0 = reversed. Distances are computed ``CHUNK`` pairs at a time.
"""

from __future__ import annotations

import numpy as np

from egoequiv.evaluation._chunks import paired_distance


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` with ties given their average rank."""
    x = np.asarray(x, np.float64)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.r_[0, np.flatnonzero(np.diff(xs)) + 1]
    ends = np.r_[starts[1:], len(xs)]
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def auroc(scores: np.ndarray, positives: np.ndarray) -> float | None:
    """Area under the ROC curve of ``scores`` for the boolean ``positives`` (ties averaged).

    None when there are no positives or no negatives (undefined), or a score is NaN.
    """
    scores = np.asarray(scores, np.float64)
    positives = np.asarray(positives, bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0 or np.isnan(scores).any():
        return None
    ranks = average_ranks(scores)
    u = ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def roc_curve(scores: np.ndarray, positives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) at each distinct threshold, (0,0) to (1,1)."""
    scores = np.asarray(scores, np.float64)
    positives = np.asarray(positives, bool)
    order = np.argsort(-scores, kind="mergesort")
    s, p = scores[order], positives[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(p)[last]
    fp = np.cumsum(~p)[last]
    tpr = np.r_[0.0, tp / max(1, p.sum())]
    fpr = np.r_[0.0, fp / max(1, (~p).sum())]
    return fpr, tpr


def pair_scores(z, pos_i, pos_j, neg_i, neg_j, metric: str = "l2"):
    """Scores (-distance) of the positive then negative pairs, and the positive mask."""
    z = np.asarray(z)
    d_pos = paired_distance(z[np.asarray(pos_i)], z[np.asarray(pos_j)], metric)
    d_neg = paired_distance(z[np.asarray(neg_i)], z[np.asarray(neg_j)], metric)
    scores = -np.r_[d_pos, d_neg]
    positives = np.r_[np.ones(len(d_pos), bool), np.zeros(len(d_neg), bool)]
    return scores, positives


def slowness_auroc(z: np.ndarray, pos_i, pos_j, neg_i, neg_j, metric: str = "l2") -> float | None:
    """AUROC of minus the feature distance predicting "temporal neighbours" (see module doc).

    ``z`` (N, D) features of every frame; the pair arrays index into it.
    """
    return auroc(*pair_scores(z, pos_i, pos_j, neg_i, neg_j, metric))
