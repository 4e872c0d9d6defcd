import numpy as np
import pytest

from egoequiv.evaluation.slowness import auroc, average_ranks, roc_curve, slowness_auroc


def test_perfect_and_reversed_and_tied():
    pos = np.r_[np.ones(5, bool), np.zeros(7, bool)]
    assert auroc(np.r_[np.arange(5) + 10.0, np.arange(7)], pos) == 1.0
    assert auroc(np.r_[np.arange(5) - 10.0, np.arange(7)], pos) == 0.0
    assert auroc(np.zeros(12), pos) == 0.5
    assert auroc(np.zeros(3), np.ones(3, bool)) is None


def test_auroc_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, 200).astype(float)
    pos = rng.random(200) < 0.4
    sp, sn = s[pos][:, None], s[~pos][None, :]
    brute = ((sp > sn) + 0.5 * (sp == sn)).mean()
    assert auroc(s, pos) == pytest.approx(brute)
    assert average_ranks(np.array([3.0, 1.0, 3.0])).tolist() == [2.5, 1.0, 2.5]


def test_roc_curve_endpoints_and_area():
    rng = np.random.default_rng(1)
    s, pos = rng.normal(size=300), rng.random(300) < 0.5
    s[pos] += 1.0
    fpr, tpr = roc_curve(s, pos)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    area = float(((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2).sum())
    assert area == pytest.approx(auroc(s, pos))


def test_slowness_auroc_on_features():
    z = np.arange(20, dtype=float)[:, None]  # a feature that moves slowly with time
    i, j = np.arange(19), np.arange(1, 20)
    ni, nj = np.arange(10), np.arange(10) + 10
    assert slowness_auroc(z, i, j, ni, nj) == 1.0
    assert slowness_auroc(z, i, j, ni, nj, metric="l1") == 1.0
    assert slowness_auroc(-z ** 3 % 7, ni, nj, ni, nj) == 0.5  # same pairs both sides
