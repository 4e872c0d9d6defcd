"""continuous_equivariance_loss = 0.5 * mean_b ||mapped - z_j||^2, recomputed per pair."""

from __future__ import annotations

import pytest
import torch

from egoequiv.losses import ContinuousEquivarianceLoss, continuous_equivariance_loss


def brute(mapped, z_j):
    rows = list(zip(mapped.tolist(), z_j.tolist(), strict=True))
    return sum(0.5 * sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) for a, b in rows) / len(
        rows
    )


def test_random_batch_matches_brute_force():
    g = torch.Generator().manual_seed(13)
    mapped = torch.randn(10, 7, generator=g, dtype=torch.float64)
    z_j = torch.randn(10, 7, generator=g, dtype=torch.float64)
    want = brute(mapped, z_j)
    assert continuous_equivariance_loss(mapped, z_j).item() == pytest.approx(want)
    assert ContinuousEquivarianceLoss("absolute")(mapped, z_j).item() == pytest.approx(want)


def test_hand_case_and_gradient():
    mapped = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    z_j = torch.zeros(2, 2, dtype=torch.float64)
    loss = continuous_equivariance_loss(mapped, z_j)
    assert loss.item() == pytest.approx(0.5 * (25 + 0) / 2)
    loss.backward()
    assert mapped.grad.tolist() == [[1.5, 2.0], [0.0, 0.0]]  # (mapped - z_j) / B, finite at 0


def test_not_contrastive_collapse_costs_nothing():
    # documents why it is only used with drlim
    z = torch.zeros(3, 4)
    assert continuous_equivariance_loss(z, z).item() == 0.0


@pytest.mark.parametrize(
    "mapped, z_j",
    [
        (torch.zeros(3, 4), torch.zeros(3, 5)),
        (torch.zeros(3, 4), torch.zeros(2, 4)),
        (torch.zeros(3, 2, 4), torch.zeros(3, 2, 4)),
        (torch.zeros(0, 4), torch.zeros(0, 4)),
    ],
)
def test_shape_errors_raise(mapped, z_j):
    with pytest.raises(ValueError, match="continuous_equivariance_loss"):
        continuous_equivariance_loss(mapped, z_j)


def test_relative_pull_divides_each_pair_by_its_own_displacement():
    gen = torch.Generator().manual_seed(5)
    mapped, z_i, z_j = (torch.randn(5, 3, generator=gen, dtype=torch.float64) for _ in range(3))
    moves = [sum((x - y) ** 2 for x, y in zip(a, b, strict=True))
             for a, b in zip(z_i.tolist(), z_j.tolist(), strict=True)]
    floor = 0.1 * sum(moves) / len(moves) + 1e-3
    want = 0.0
    for m, b, move in zip(mapped.tolist(), z_j.tolist(), moves, strict=True):
        want += sum((x - y) ** 2 for x, y in zip(m, b, strict=True)) / (move + floor)
    got = continuous_equivariance_loss(mapped, z_j, z_i, pull="relative")
    assert got.item() == pytest.approx(0.5 * want / 5)
    wrapped = ContinuousEquivarianceLoss()(mapped, z_j, z_i=z_i)  # the method's default pull
    assert wrapped.item() == pytest.approx(0.5 * want / 5)
    with pytest.raises(ValueError, match="needs z_i"):
        continuous_equivariance_loss(mapped, z_j, pull="relative")
    with pytest.raises(ValueError, match=r"ContinuousEquivarianceLoss\(pull='relative'\): z_i"):
        ContinuousEquivarianceLoss()(mapped, z_j)
    with pytest.raises(ValueError, match="unknown pull 'sideways'"):
        ContinuousEquivarianceLoss("sideways")
