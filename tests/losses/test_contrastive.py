"""contrastive_terms / contrastive_loss against a per-pair Python recomputation."""

from __future__ import annotations

import math

import pytest
import torch

from egoequiv.losses import CONTRASTIVE_FORMS, contrastive_loss, contrastive_terms, l2_distance


def brute_terms(dist, similar, margin, form):
    out = []
    for d, s in zip(dist.tolist(), similar.tolist(), strict=True):
        if s:
            out.append(d * d)
        elif form == "legacy":
            out.append(max(margin - d * d, 0.0))
        else:
            out.append(max(margin - d, 0.0) ** 2)
    return out


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("margin", [0.1, 1.0, 2.5])
def test_random_pairs_match_brute_force(form, margin):
    g = torch.Generator().manual_seed(0)
    dist = torch.rand(40, generator=g, dtype=torch.float64) * 2.0
    similar = torch.rand(40, generator=g) < 0.5
    want = brute_terms(dist, similar, margin, form)
    assert contrastive_terms(dist, similar, margin, form).tolist() == pytest.approx(want)
    loss = contrastive_loss(dist, similar, margin, form)
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(sum(want) / (2 * len(want)))


def test_default_form_is_legacy():
    dist = torch.tensor([0.5, 0.5])
    similar = torch.tensor([False, False])
    # legacy: 1 - 0.25 = 0.75; hadsell would give 0.25
    assert contrastive_terms(dist, similar, 1.0).tolist() == [0.75, 0.75]
    assert contrastive_loss(dist, similar, 1.0).item() == pytest.approx(0.375)


def test_hand_cases_both_sides_of_margin():
    dist = torch.tensor([0.0, 0.5, 1.0, 2.0, 0.5, 0.9, 1.0, 1.1, 3.0], dtype=torch.float64)
    similar = torch.tensor([True, True, True, True, False, False, False, False, False])
    legacy = contrastive_terms(dist, similar, 1.0, "legacy").tolist()
    assert legacy == pytest.approx([0, 0.25, 1, 4, 0.75, 1 - 0.81, 0, 0, 0])
    hadsell = contrastive_terms(dist, similar, 1.0, "hadsell").tolist()
    assert hadsell == pytest.approx([0, 0.25, 1, 4, 0.25, 0.01, 0, 0, 0])


def test_legacy_hinges_on_squared_distance():
    # margin 0.25: legacy stops pushing at d = 0.5 = sqrt(margin); hadsell at d = 0.25
    dist = torch.tensor([0.3, 0.5, 0.6], dtype=torch.float64)
    similar = torch.zeros(3, dtype=torch.bool)
    assert contrastive_terms(dist, similar, 0.25, "legacy").tolist() == pytest.approx([0.16, 0, 0])
    assert contrastive_terms(dist, similar, 0.25, "hadsell").tolist() == [0, 0, 0]


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_push_gradient_inside_at_and_beyond_margin(form):
    # margin 1: inside (d=0.5) -> gradient pushes d up (negative dL/dd); at (1.0) and beyond: 0
    dist = torch.tensor([0.5, 1.0, 1.5], dtype=torch.float64, requires_grad=True)
    similar = torch.zeros(3, dtype=torch.bool)
    contrastive_terms(dist, similar, 1.0, form).sum().backward()
    grad = dist.grad.tolist()
    want_inside = -2 * 0.5 if form == "legacy" else -2 * (1 - 0.5)  # d/dd of the term
    assert grad[0] == pytest.approx(want_inside)
    assert grad[1] == 0.0
    assert grad[2] == 0.0


def test_pull_gradient_is_2d():
    dist = torch.tensor([0.0, 0.3, 2.0], dtype=torch.float64, requires_grad=True)
    similar = torch.ones(3, dtype=torch.bool)
    contrastive_loss(dist, similar, 1.0).backward()
    assert dist.grad.tolist() == pytest.approx([0.0, 0.3 / 3, 2.0 / 3])  # 0.5 * 2d / N


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("is_similar", [True, False])
def test_gradient_finite_for_identical_vectors(form, is_similar):
    a = torch.tensor([[0.3, -1.2, 0.7]], requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    dist = l2_distance(a, b)
    assert dist.item() == 0.0
    loss = contrastive_loss(dist, torch.tensor([is_similar]), 1.0, form)
    loss.backward()
    assert torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all()
    assert loss.item() == (0.0 if is_similar else 0.5 * 1.0)


def test_l2_distance_matches_norm_and_its_gradient():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, 4, generator=g, dtype=torch.float64)
    d = l2_distance(a, b)
    want = [
        math.sqrt(sum((x - y) ** 2 for x, y in zip(r, s, strict=True)))
        for r, s in zip(a.tolist(), b.tolist(), strict=True)
    ]
    assert d.tolist() == pytest.approx(want)
    d.sum().backward()
    unit = (a - b) / torch.tensor(want, dtype=torch.float64).unsqueeze(1)
    assert torch.allclose(a.grad, unit.detach())


def test_unknown_form_lists_valid_ones():
    with pytest.raises(ValueError, match="legacy, hadsell"):
        contrastive_terms(torch.zeros(2), torch.zeros(2, dtype=torch.bool), 1.0, "cosine")


@pytest.mark.parametrize(
    "dist, similar, margin",
    [
        (torch.zeros(3), torch.zeros(2, dtype=torch.bool), 1.0),
        (torch.zeros(3, 1), torch.zeros(3, dtype=torch.bool), 1.0),
        (torch.zeros(0), torch.zeros(0, dtype=torch.bool), 1.0),
        (torch.zeros(3), torch.zeros(3), 1.0),  # similar must be bool
        (torch.zeros(3, dtype=torch.long), torch.zeros(3, dtype=torch.bool), 1.0),
        (torch.zeros(3), torch.zeros(3, dtype=torch.bool), 0.0),
        (torch.zeros(3), torch.zeros(3, dtype=torch.bool), float("nan")),
    ],
)
def test_bad_arguments_raise(dist, similar, margin):
    with pytest.raises(ValueError):
        contrastive_terms(dist, similar, margin)


def test_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        contrastive_loss(torch.zeros(3), torch.zeros(2, dtype=torch.bool), 1.0)
