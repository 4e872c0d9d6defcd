"""InfoNCE (NT-Xent) against its formula written out with loops."""

import math

import numpy as np
import pytest
import torch

from egoequiv.losses.simclr import info_nce_loss


def brute_force(a, b, t):
    z = np.concatenate([a, b])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(z)
    n = n2 // 2
    total = 0.0
    for k in range(n2):
        partner = k + n if k < n else k - n
        den = sum(math.exp(float(z[k] @ z[m]) / t) for m in range(n2) if m != k)
        total += -math.log(math.exp(float(z[k] @ z[partner]) / t) / den)
    return total / n2


@pytest.mark.parametrize("t", [0.1, 0.5, 2.0])
def test_matches_the_formula(t):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 4))
    b = a + 0.5 * rng.normal(size=(6, 4))
    got = info_nce_loss(torch.from_numpy(a), torch.from_numpy(b), t)
    assert float(got) == pytest.approx(brute_force(a, b, t), rel=1e-10)


def test_aligned_pairs_cost_less_than_shuffled_ones():
    rng = np.random.default_rng(2)
    a = torch.from_numpy(rng.normal(size=(16, 8)))
    assert info_nce_loss(a, a + 0.01) < info_nce_loss(a, a[torch.randperm(16)])


def test_bad_temperature_is_named():
    with pytest.raises(ValueError, match="temperature must be finite and > 0"):
        info_nce_loss(torch.zeros(2, 3), torch.zeros(2, 3), 0.0)
