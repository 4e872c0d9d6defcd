"""Next-best-view: pick the motion whose *predicted* view makes the classifier most confident.

Candidate set: the starts are the test frames x with a label that begin at least one test pair
(x, x') of a defined pattern g whose map M'_g is fitted. The motions available from x are the
patterns of those pairs; the view reached by motion g is x' of one such pair (when several, one
picked at random with ``seed``, the same for the chosen and the control moves).

For each start x and available g: predicted features M'_g z(x) (``apply_maps``), classifier
probabilities p = softmax(classify(M'_g z(x))), entropy H = -sum p log p. The chosen motion is
argmin_g H (ties: the lowest g). The two views are combined by summing log-probabilities,
log softmax(classify(z(x))) + log softmax(classify(z(x'))) (independent views, naive Bayes),
and the prediction is the argmax. Reported accuracies, all over the same starts:
- ``accuracy_one_view``: argmax classify(z(x));
- ``accuracy_chosen``: two views, the lowest-entropy motion;
- ``accuracy_random``: two views, a uniformly random available motion (seeded);
- ``accuracy_best``: two views, the best motion in hindsight (correct if any available motion
  gives a correct two-view prediction), an upper bound.
Memory: classify is called on ``CHUNK`` rows at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from egoequiv.evaluation._chunks import chunks
from egoequiv.evaluation.equivariance import apply_maps


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def entropy(logits: np.ndarray) -> np.ndarray:
    lp = log_softmax(logits)
    return -(np.exp(lp) * lp).sum(axis=1)


def _classify(classify: Callable, z: np.ndarray) -> np.ndarray:
    out = [np.asarray(classify(z[s]), np.float64) for s in chunks(len(z))]
    return np.concatenate(out) if out else np.zeros((0, 0))


def view_options(labels, pair_i, pair_j, pattern, fitted, seed: int = 0):
    """One option (x, g, x') per start x and available pattern g (x' random among the pairs)."""
    i, j, g = (np.asarray(v, np.int64) for v in (pair_i, pair_j, pattern))
    keep = (g >= 0) & (g < len(fitted))
    keep[keep] = fitted[g[keep]]
    keep &= np.asarray(labels)[i] >= 0
    i, j, g = i[keep], j[keep], g[keep]
    perm = np.random.default_rng(seed).permutation(len(i))
    i, j, g = i[perm], j[perm], g[perm]
    _, first = np.unique(np.stack([i, g], 1), axis=0, return_index=True)
    first = np.sort(first)
    order = np.lexsort((g[first], i[first]))
    first = first[order]
    return i[first], g[first], j[first]


def next_best_view(z: np.ndarray, labels: np.ndarray, pair_i, pair_j, pattern,
                   maps: np.ndarray, classify: Callable[[np.ndarray], np.ndarray],
                   seed: int = 0) -> dict:
    """See the module doc. ``z`` (N, D), ``labels`` (N,) (-1 = none), pairs index into z."""
    z = np.asarray(z, np.float64)
    labels = np.asarray(labels, np.int64)
    fitted = ~np.isnan(maps).any(axis=(1, 2))
    x, g, dest = view_options(labels, pair_i, pair_j, pattern, fitted, seed)
    empty = {"accuracy_one_view": None, "accuracy_chosen": None, "accuracy_random": None,
             "accuracy_best": None, "num_starts": 0, "chosen_pattern_counts": [0] * len(maps)}
    if len(x) == 0:
        return {**empty, "warnings": ["no test views with an available motion"]}
    starts, begin, count = np.unique(x, return_index=True, return_counts=True)
    h = np.concatenate([entropy(_classify(classify, apply_maps(maps, z[x[s]], g[s])))
                        for s in chunks(len(x))])
    lp_start = log_softmax(_classify(classify, z[starts]))
    lp_dest = log_softmax(_classify(classify, z[dest]))
    owner = np.repeat(np.arange(len(starts)), count)
    y = labels[starts]
    two_view = (lp_start[owner] + lp_dest).argmax(axis=1) == y[owner]
    # chosen: lowest entropy within each start's options (options are sorted by g within x)
    by_entropy = np.lexsort((g, h, owner))
    chosen = by_entropy[np.r_[0, np.cumsum(count)[:-1]]]
    rng = np.random.default_rng([seed, 1])
    random_pick = begin + np.floor(rng.random(len(starts)) * count).astype(np.int64)
    best = np.zeros(len(starts), bool)
    np.logical_or.at(best, owner, two_view)
    return {
        "accuracy_one_view": float((lp_start.argmax(axis=1) == y).mean()),
        "accuracy_chosen": float(two_view[chosen].mean()),
        "accuracy_random": float(two_view[random_pick].mean()),
        "accuracy_best": float(best.mean()),
        "num_starts": int(len(starts)),
        "chosen_pattern_counts": np.bincount(g[chosen], minlength=len(maps)).tolist(),
        "warnings": [],
    }
