"""drlim_loss against a per-pair Python recomputation of Hadsell et al.'s / Caffe's loss."""

from __future__ import annotations

import math

import pytest
import torch

from egoequiv.losses import CONTRASTIVE_FORMS, DrlimLoss, drlim_loss


def brute_drlim(z_i, z_j, similar, margin, form):
    total = 0.0
    pairs = list(zip(z_i.tolist(), z_j.tolist(), similar.tolist(), strict=True))
    for a, b, s in pairs:
        d = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
        if s:
            total += d * d
        elif form == "legacy":
            total += max(margin - d * d, 0.0)
        else:
            total += max(margin - d, 0.0) ** 2
    return total / (2 * len(pairs))


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("margin", [0.1, 1.0, 3.0])
def test_random_batch_matches_brute_force(form, margin):
    g = torch.Generator().manual_seed(2)
    z_i = torch.randn(16, 5, generator=g, dtype=torch.float64) * 0.5
    z_j = torch.randn(16, 5, generator=g, dtype=torch.float64) * 0.5
    similar = torch.rand(16, generator=g) < 0.5
    want = brute_drlim(z_i, z_j, similar, margin, form)
    assert drlim_loss(z_i, z_j, similar, margin, form).item() == pytest.approx(want)
    assert DrlimLoss(margin, form)(z_i, z_j, similar).item() == pytest.approx(want)


def test_default_margin_and_form():
    z_i = torch.zeros(1, 2)
    z_j = torch.tensor([[0.5, 0.0]])
    no = torch.tensor([False])
    assert drlim_loss(z_i, z_j, no).item() == pytest.approx(0.5 * (1.0 - 0.25))  # legacy, m=1


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_hand_cases_inside_at_beyond_margin(form):
    z_i = torch.zeros(4, 2, dtype=torch.float64)
    z_j = torch.tensor([[0.5, 0.0], [1.0, 0.0], [0.0, 2.0], [0.6, 0.0]], dtype=torch.float64)
    dissimilar = torch.zeros(4, dtype=torch.bool)
    inside = 0.75 if form == "legacy" else 0.25
    inside2 = 1 - 0.36 if form == "legacy" else 0.16
    want = (inside + 0 + 0 + inside2) / 8
    assert drlim_loss(z_i, z_j, dissimilar, 1.0, form).item() == pytest.approx(want)


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_push_has_zero_gradient_beyond_margin(form):
    z_i = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    z_j = torch.tensor([[1.5, 0, 0], [0, 0, 1.0]], dtype=torch.float64, requires_grad=True)
    loss = drlim_loss(z_i, z_j, torch.zeros(2, dtype=torch.bool), 1.0, form)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.count_nonzero(z_i.grad) == 0 and torch.count_nonzero(z_j.grad) == 0


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_push_inside_margin_moves_pair_apart(form):
    z_i = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    z_j = torch.tensor([[0.3, 0.4]], dtype=torch.float64, requires_grad=True)  # d = 0.5
    drlim_loss(z_i, z_j, torch.tensor([False]), 1.0, form).backward()
    # gradient descent on z_j moves it away from z_i: -grad points along (z_j - z_i)
    step = -z_j.grad[0]
    assert torch.dot(step, torch.tensor([0.3, 0.4], dtype=torch.float64)) > 0
    assert torch.allclose(z_i.grad, -z_j.grad)


def test_pull_gradient_is_analytic():
    g = torch.Generator().manual_seed(3)
    z_i = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    z_j = torch.randn(4, 3, generator=g, dtype=torch.float64)
    drlim_loss(z_i, z_j, torch.ones(4, dtype=torch.bool)).backward()
    assert torch.allclose(z_i.grad, (z_i - z_j).detach() / 4)  # d/dz 0.5*mean(||z_i-z_j||^2)


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_identical_features_have_finite_gradient(form):
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(4))
    z_i = z.clone().requires_grad_(True)
    z_j = z.clone().requires_grad_(True)
    loss = drlim_loss(z_i, z_j, torch.tensor([True, False, True]), 1.0, form)
    loss.backward()
    assert torch.isfinite(z_i.grad).all() and torch.isfinite(z_j.grad).all()
    assert loss.item() == pytest.approx(0.5 * 1.0 / 3)


def test_collapse_to_zero_is_penalised():
    z = torch.zeros(4, 8)
    similar = torch.tensor([True, False, True, False])
    assert drlim_loss(z, z, similar).item() == pytest.approx(0.5 * 2 / 4)


@pytest.mark.parametrize(
    "z_i, z_j, similar",
    [
        (torch.zeros(3, 2), torch.zeros(3, 3), torch.zeros(3, dtype=torch.bool)),
        (torch.zeros(3), torch.zeros(3), torch.zeros(3, dtype=torch.bool)),
        (torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2, dtype=torch.bool)),
        (torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)),
    ],
)
def test_shape_errors_raise(z_i, z_j, similar):
    with pytest.raises(ValueError, match="drlim_loss|contrastive_terms"):
        drlim_loss(z_i, z_j, similar)


def test_module_rejects_unknown_form():
    with pytest.raises(ValueError, match="legacy, hadsell"):
        DrlimLoss(form="l1")
