"""VICReg against its formula written out with loops (pytorch-metric-learning style)."""

import math

import numpy as np
import pytest
import torch

from egoequiv.losses.vicreg import vicreg_loss, vicreg_terms


def brute_force(a, b, sim=25.0, var=25.0, cov=1.0, gamma=1.0, eps=1e-4):
    n, d = a.shape
    inv = sum(sum((a[i, j] - b[i, j]) ** 2 for j in range(d)) for i in range(n)) / n / d
    v = c = 0.0
    for z in (a, b):
        mean = [sum(z[i, j] for i in range(n)) / n for j in range(d)]
        for j in range(d):
            variance = sum((z[i, j] - mean[j]) ** 2 for i in range(n)) / (n - 1)
            v += max(0.0, gamma - math.sqrt(variance + eps)) / d
        for j in range(d):
            for k in range(d):
                if j != k:
                    cjk = sum((z[i, j] - mean[j]) * (z[i, k] - mean[k]) for i in range(n))
                    c += (cjk / (n - 1)) ** 2 / d
    return sim * inv + var * v + cov * c


@pytest.mark.parametrize("scale", [0.1, 2.0])  # below and above the variance target
def test_matches_the_formula(scale):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 5)) * scale
    b = a + 0.3 * rng.normal(size=(7, 5))
    got = vicreg_loss(torch.from_numpy(a), torch.from_numpy(b), 25.0, 25.0, 1.0)
    assert float(got) == pytest.approx(brute_force(a, b), rel=1e-10)


def test_collapse_is_penalised_and_identical_pairs_cost_no_invariance():
    z = torch.zeros(8, 4)
    t = vicreg_terms(z, z)
    assert float(t["invariance"]) == 0 and float(t["variance"]) == pytest.approx(2 * 0.99, 1e-3)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="z_a and z_b must have the same shape"):
        vicreg_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="at least 2 rows"):
        vicreg_loss(torch.zeros(1, 3), torch.zeros(1, 3))
