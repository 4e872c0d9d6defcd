"""Recognition with few labels: top-1 / top-k accuracy of a classifier on frozen features.

``topk_accuracy``: a test image counts as correct when its true class is among the k highest
scores; with r classes scoring strictly higher and t classes (the true one included) tied with
it, the credit is clip((k - r) / t, 0, 1), the expected accuracy under random tie-breaking (so a
constant classifier scores k/C, not 1). Images with label < 0 are ignored.

Classifiers on frozen features (the candidate training set is the labelled subset only):
- ``linear_probe``: multinomial logistic regression, features standardised by the training
  subset's mean/std, minimising mean cross-entropy + ``weight_decay * ||W||^2`` (bias
  unpenalised): scikit-learn's ``LogisticRegression`` (L-BFGS in float32 to a gradient
  tolerance of 1e-5, from zero weights, so the result does not depend on a seed or on thread
  timing) with C = 1 / (2 n weight_decay),
  the same objective (sklearn minimises 0.5 ||W||^2 + C * sum of cross-entropies). Classes
  absent from the training subset get a logit far below every other, so they are never
  predicted.
- ``knn_classify``: votes of the k nearest labelled images ("cosine" or "l2"), each vote weighted
  1 + 1e-6 * similarity rank so ties between classes go to the closer neighbours.

``few_label_recognition``: for each of ``splits`` random labelled subsets (``labels_per_class``
training images per class, drawn with numpy's generator seeded by [seed, split]), train the
classifier on the subset, score every labelled test image; top-1 and top-k mean and population
std over the subsets. Default k: 10 when there are more than 10 classes, else max(2, C // 2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from egoequiv.evaluation._chunks import chunks, pairwise_distance, rows_for
from egoequiv.task.subset import choose_subset


def default_topk(num_classes: int) -> int:
    return 10 if num_classes > 10 else max(2, num_classes // 2)


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float | None:
    """Fraction of images (label >= 0) whose true class is in the top k (ties: see module doc)."""
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels, np.int64)
    keep = labels >= 0
    if not keep.any():
        return None
    scores, labels = scores[keep], labels[keep]
    true = scores[np.arange(len(labels)), labels][:, None]
    higher = (scores > true).sum(axis=1)
    tied = (scores == true).sum(axis=1)
    return float(np.clip((k - higher) / tied, 0.0, 1.0).mean())


@dataclass
class LinearProbe:
    """A fitted probe: logits(z) = ((z - mean) / std) @ weight + bias."""

    mean: np.ndarray
    std: np.ndarray
    weight: np.ndarray  # (D, C)
    bias: np.ndarray  # (C,)

    def logits(self, z: np.ndarray) -> np.ndarray:
        return ((np.asarray(z, np.float64) - self.mean) / self.std) @ self.weight + self.bias


#: the logit of a class without training images (never predicted)
ABSENT = -1e6


def fit_linear_probe(train_z, train_y, num_classes: int | None = None,
                     weight_decay: float = 1e-3, max_iter: int = 200,
                     tol: float = 1e-5) -> LinearProbe:
    """Multinomial logistic regression (see module doc). Labels < 0 are dropped."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    train_z = np.asarray(train_z, np.float64)
    train_y = np.asarray(train_y, np.int64)
    keep = train_y >= 0
    train_z, train_y = train_z[keep], train_y[keep]
    c = num_classes or int(train_y.max()) + 1
    mean = train_z.mean(axis=0)
    std = train_z.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    x = (train_z - mean) / std
    weight, bias = np.zeros((x.shape[1], c)), np.full(c, ABSENT)
    present = np.unique(train_y)
    if len(present) == 1:  # one class: it wins everywhere
        bias[present[0]] = 0.0
        return LinearProbe(mean, std, weight, bias)
    # sklearn's binary form has one weight vector d = w1 - w0; our penalty on (w0, w1) at
    # its optimum (w0 = -w1 = -d/2) is weight_decay * ||d||^2 / 2, hence C twice as large
    scale = 1 if len(present) == 2 else 2
    model = LogisticRegression(C=1.0 / (scale * len(x) * weight_decay), max_iter=max_iter,
                               tol=tol)
    with warnings.catch_warnings():  # max_iter bounds the cost; the fit is used as it is
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x.astype(np.float32), train_y)  # float32: half the time of float64
    coef, intercept = model.coef_, model.intercept_
    if len(present) == 2:  # sklearn's binary form: one score, for the second class
        coef, intercept = np.stack([-coef[0] / 2, coef[0] / 2]), intercept[[0, 0]] * [-.5, .5]
    weight[:, present], bias[present] = coef.T.astype(np.float64), intercept
    return LinearProbe(mean, std, weight, bias)


def linear_probe(train_z, train_y, test_z, num_classes: int | None = None,
                 weight_decay: float = 1e-3, max_iter: int = 200) -> np.ndarray:
    """Logits (M, C) of a linear probe trained on (train_z, train_y), on ``test_z``."""
    return fit_linear_probe(train_z, train_y, num_classes, weight_decay, max_iter).logits(test_z)


def knn_classify(train_z, train_y, test_z, k: int = 5, metric: str = "cosine",
                 num_classes: int | None = None) -> np.ndarray:
    """Vote scores (M, C) of the ``k`` nearest labelled training images (see module doc)."""
    train_z = np.asarray(train_z, np.float64)
    train_y = np.asarray(train_y, np.int64)
    keep = train_y >= 0
    train_z, train_y = train_z[keep], train_y[keep]
    c = num_classes or int(train_y.max()) + 1
    k = min(k, len(train_z))
    scores = np.zeros((len(test_z), c))
    for s in chunks(len(test_z), rows_for(len(train_z))):
        d = pairwise_distance(np.asarray(test_z[s], np.float64), train_z, metric)
        near = np.argsort(d, axis=1, kind="stable")[:, :k]
        weight = 1.0 + 1e-6 * (k - np.arange(k))[None, :]
        rows = np.repeat(np.arange(len(near)), k)
        np.add.at(scores[s], (rows, train_y[near].ravel()), np.broadcast_to(weight, near.shape)
                  .ravel())
    return scores


def few_label_recognition(z, labels, train_idx, test_idx, labels_per_class: int = 10,
                          splits: int = 5, classifier: str = "linear", seed: int = 0,
                          k: int | None = None, num_classes: int | None = None,
                          knn_k: int = 5, weight_decay: float = 1e-3) -> dict:
    """{"top1_mean", "top1_std", "topk_mean", "topk_std", "k", "splits", "per_split"}."""
    z = np.asarray(z)
    labels = np.asarray(labels, np.int64)
    train_idx, test_idx = np.asarray(train_idx), np.asarray(test_idx)
    test_idx = test_idx[labels[test_idx] >= 0]
    c = num_classes or int(labels.max()) + 1
    k = k or default_topk(c)
    top1, topk = [], []
    for split in range(splits):
        subset = choose_subset(labels, train_idx, labels_per_class,
                               np.random.default_rng([seed, split]))
        if classifier == "linear":
            scores = linear_probe(z[subset], labels[subset], z[test_idx], c, weight_decay)
        elif classifier == "knn":
            scores = knn_classify(z[subset], labels[subset], z[test_idx], knn_k, "cosine", c)
        else:
            raise ValueError(f"unknown classifier {classifier!r}: use linear or knn")
        top1.append(topk_accuracy(scores, labels[test_idx], 1))
        topk.append(topk_accuracy(scores, labels[test_idx], k))
    ok = [t is not None for t in top1]
    t1 = [t for t, o in zip(top1, ok, strict=True) if o]
    tk = [t for t, o in zip(topk, ok, strict=True) if o]
    return {"top1_mean": float(np.mean(t1)) if t1 else None,
            "top1_std": float(np.std(t1)) if t1 else None,
            "topk_mean": float(np.mean(tk)) if tk else None,
            "topk_std": float(np.std(tk)) if tk else None,
            "k": int(k), "splits": int(splits), "per_split": top1}
