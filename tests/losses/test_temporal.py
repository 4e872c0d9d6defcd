"""temporal_coherence_loss (Mobahi et al. 2009, l1) against a per-pair Python recomputation."""

from __future__ import annotations

import pytest
import torch

from egoequiv.losses import TemporalCoherenceLoss, temporal_coherence_loss


def brute_temporal(z_i, z_j, similar, margin):
    terms = []
    for a, b, s in zip(z_i.tolist(), z_j.tolist(), similar.tolist(), strict=True):
        d = sum(abs(x - y) for x, y in zip(a, b, strict=True))
        terms.append(d if s else max(0.0, margin - d))
    return sum(terms) / len(terms)


@pytest.mark.parametrize("margin", [0.5, 1.0, 4.0])
def test_random_batch_matches_brute_force(margin):
    g = torch.Generator().manual_seed(5)
    z_i = torch.randn(20, 6, generator=g, dtype=torch.float64) * 0.3
    z_j = torch.randn(20, 6, generator=g, dtype=torch.float64) * 0.3
    similar = torch.rand(20, generator=g) < 0.5
    want = brute_temporal(z_i, z_j, similar, margin)
    assert temporal_coherence_loss(z_i, z_j, similar, margin).item() == pytest.approx(want)
    assert TemporalCoherenceLoss(margin)(z_i, z_j, similar).item() == pytest.approx(want)


def test_hand_cases_use_l1_not_l2():
    z_i = torch.zeros(4, 2, dtype=torch.float64)
    z_j = torch.tensor([[0.3, 0.4], [0.5, 0.5], [1.0, 0.0], [2.0, -1.0]], dtype=torch.float64)
    # l1 distances 0.7, 1.0 (exactly at the margin), 1.0, 3.0
    similar = torch.tensor([False, False, True, False])
    want = (0.3 + 0.0 + 1.0 + 0.0) / 4
    assert temporal_coherence_loss(z_i, z_j, similar).item() == pytest.approx(want)


def test_push_gradient_zero_at_and_beyond_margin_nonzero_inside():
    z_i = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    z_j = torch.tensor([[0.5, 0.5], [2.0, 0.0], [0.2, -0.3]], dtype=torch.float64)
    temporal_coherence_loss(z_i, z_j, torch.zeros(3, dtype=torch.bool)).backward()
    assert torch.count_nonzero(z_i.grad[:2]) == 0
    # inside: d/dz_i (1 - |z_i - z_j|_1)/3 = sign(z_j - z_i)/3
    assert z_i.grad[2].tolist() == pytest.approx([1 / 3, -1 / 3])


def test_pull_gradient_is_sign():
    z_i = torch.tensor([[1.0, -2.0, 0.0]], dtype=torch.float64, requires_grad=True)
    z_j = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64)
    temporal_coherence_loss(z_i, z_j, torch.tensor([True])).backward()
    assert z_i.grad[0].tolist() == [1.0, -1.0, 0.0]


def test_identical_and_collapsed_features():
    z = torch.zeros(4, 3, requires_grad=True)
    similar = torch.tensor([True, False, False, True])
    loss = temporal_coherence_loss(z, z.detach(), similar)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    assert loss.item() == pytest.approx(2 / 4)  # collapse costs the margin on dissimilar pairs


@pytest.mark.parametrize(
    "z_i, z_j, similar, margin",
    [
        (torch.zeros(3, 2), torch.zeros(2, 2), torch.zeros(3, dtype=torch.bool), 1.0),
        (torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(4, dtype=torch.bool), 1.0),
        (torch.zeros(3, 2, 1), torch.zeros(3, 2, 1), torch.zeros(3, dtype=torch.bool), 1.0),
        (torch.zeros(3, 2), torch.zeros(3, 2), torch.ones(3), 1.0),
        (torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, dtype=torch.bool), -1.0),
    ],
)
def test_bad_arguments_raise(z_i, z_j, similar, margin):
    with pytest.raises(ValueError, match="temporal_coherence_loss"):
        temporal_coherence_loss(z_i, z_j, similar, margin)
