"""Equivariance losses against a per-(pair, map) Python recomputation."""

from __future__ import annotations

import math

import pytest
import torch

from egoequiv.losses import (
    CONTRASTIVE_FORMS,
    EquivarianceLoss,
    equivariance_loss,
    equivariance_triplet_loss,
)


def dist(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def term(d, similar, margin, form):
    if similar:
        return d * d
    return max(margin - d * d, 0.0) if form == "legacy" else max(margin - d, 0.0) ** 2


def brute_equiv(mapped, z_j, pattern, margin, form):
    total, n = 0.0, 0
    for b, maps in enumerate(mapped.tolist()):
        for g, m in enumerate(maps):
            total += term(dist(m, z_j[b].tolist()), g == int(pattern[b]), margin, form)
            n += 1
    return total / (2 * n)


def brute_triplet(own, z_j, z_neg, margin, form):
    total, n = 0.0, 0
    for a, p, q in zip(own.tolist(), z_j.tolist(), z_neg.tolist(), strict=True):
        total += term(dist(a, p), True, margin, form) + term(dist(a, q), False, margin, form)
        n += 2
    return total / (2 * n)


def random_case(seed, b=6, g=4, d=3, scale=0.5):
    gen = torch.Generator().manual_seed(seed)
    mapped = torch.randn(b, g, d, generator=gen, dtype=torch.float64) * scale
    z_j = torch.randn(b, d, generator=gen, dtype=torch.float64) * scale
    z_neg = torch.randn(b, d, generator=gen, dtype=torch.float64) * scale
    pattern = torch.randint(0, g, (b,), generator=gen)
    return mapped, z_j, z_neg, pattern


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("margin", [0.1, 1.0])
def test_pair_form_matches_brute_force(form, margin):
    mapped, z_j, _, pattern = random_case(7)
    want = brute_equiv(mapped, z_j, pattern, margin, form)
    assert equivariance_loss(mapped, z_j, pattern, margin, form).item() == pytest.approx(want)
    module = EquivarianceLoss(margin, form, pull="absolute")
    assert module(mapped, z_j, pattern).item() == pytest.approx(want)


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("margin", [0.1, 1.0])
def test_triplet_form_matches_brute_force(form, margin):
    mapped, z_j, z_neg, pattern = random_case(8)
    own = mapped[torch.arange(6), pattern]
    want = brute_triplet(own, z_j, z_neg, margin, form)
    got = equivariance_triplet_loss(own, z_j, z_neg, margin, form)
    assert got.item() == pytest.approx(want)
    module = EquivarianceLoss(margin, form, negatives="frames")
    assert module(mapped, z_j, pattern, z_neg=z_neg).item() == pytest.approx(want)


def test_hand_case_inside_at_and_beyond_margin():
    # one pair, pattern 0; map 0 off by 0.5 (pull 0.25); map 1 at 0.5 (inside), map 2 at
    # exactly 1 (at the margin), map 3 at 2 (beyond)
    z_j = torch.zeros(1, 2, dtype=torch.float64)
    mapped = torch.tensor([[[0.5, 0], [0, 0.5], [1.0, 0], [0, 2.0]]], dtype=torch.float64)
    pattern = torch.tensor([0])
    legacy = (0.25 + 0.75 + 0 + 0) / 8
    hadsell = (0.25 + 0.25 + 0 + 0) / 8
    assert equivariance_loss(mapped, z_j, pattern).item() == pytest.approx(legacy)
    assert equivariance_loss(mapped, z_j, pattern, 1.0, "hadsell").item() == pytest.approx(hadsell)


def translation_maps(g, d, size):
    """M_g z = z + t_g with t_g = size * e_g: an affine map per pattern."""
    return [size * torch.eye(d, dtype=torch.float64)[k] for k in range(g)]


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
@pytest.mark.parametrize("margin", [0.1, 1.0])
def test_perfect_equivariance_has_zero_loss(form, margin):
    b, g, d = 8, 4, 5
    gen = torch.Generator().manual_seed(9)
    z_i = torch.randn(b, d, generator=gen, dtype=torch.float64)
    pattern = torch.randint(0, g, (b,), generator=gen)
    shifts = translation_maps(g, d, 3.0)  # other maps are 3*sqrt(2) > margin away
    z_j = torch.stack([z_i[k] + shifts[int(pattern[k])] for k in range(b)])
    mapped = torch.stack([torch.stack([z_i[k] + s for s in shifts]) for k in range(b)])
    assert equivariance_loss(mapped, z_j, pattern, margin, form).item() == 0.0
    # the same maps with the wrong pattern labels are penalised
    wrong = (pattern + 1) % g
    assert equivariance_loss(mapped, z_j, wrong, margin, form).item() > 0


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_collapse_to_zero_is_penalised(form):
    b, g, d = 4, 3, 6
    mapped = torch.zeros(b, g, d)
    z_j = torch.zeros(b, d)
    pattern = torch.tensor([0, 1, 2, 0])
    margin = 1.0
    push = margin if form == "legacy" else margin**2
    want = 0.5 * (g - 1) / g * push
    assert equivariance_loss(mapped, z_j, pattern, margin, form).item() == pytest.approx(want)
    loss = equivariance_triplet_loss(z_j, z_j, z_j, margin, form)
    assert loss.item() == pytest.approx(0.5 * 0.5 * push)


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_gradients_finite_at_collapse_and_zero_beyond_margin(form):
    mapped = torch.zeros(2, 3, 4, requires_grad=True)
    z_j = torch.zeros(2, 4, requires_grad=True)
    equivariance_loss(mapped, z_j, torch.tensor([0, 2]), 1.0, form).backward()
    assert torch.isfinite(mapped.grad).all() and torch.isfinite(z_j.grad).all()

    z_j = torch.zeros(1, 2, dtype=torch.float64)
    mapped = torch.tensor([[[0.0, 0.0], [0.0, 1.5], [0.5, 0.0]]], dtype=torch.float64)
    mapped.requires_grad_(True)
    equivariance_loss(mapped, z_j, torch.tensor([0]), 1.0, form).backward()
    grad = mapped.grad[0]
    assert torch.count_nonzero(grad[0]) == 0  # own map already on z_j
    assert torch.count_nonzero(grad[1]) == 0  # beyond the margin
    assert grad[2, 0] < 0 and grad[2, 1] == 0  # inside: descent pushes it further along +x


def test_triplet_pull_and_push_gradients():
    own = torch.tensor([[0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    z_j = torch.tensor([[0.2, 0.0]], dtype=torch.float64)
    z_neg = torch.tensor([[0.0, 3.0]], dtype=torch.float64)  # beyond the margin
    equivariance_triplet_loss(own, z_j, z_neg).backward()
    # only the pull acts: d/d own of 0.5 * (1/2) * ||own - z_j||^2 = (own - z_j) / 2
    assert own.grad[0].tolist() == pytest.approx([-0.1, 0.0])


def test_module_frames_picks_own_map():
    mapped, z_j, z_neg, pattern = random_case(10)
    own = torch.stack([mapped[k, int(pattern[k])] for k in range(len(pattern))])
    module = EquivarianceLoss(negatives="frames")
    assert module(mapped, z_j, pattern, z_neg=z_neg).item() == pytest.approx(
        brute_triplet(own, z_j, z_neg, 1.0, "legacy")
    )
    with pytest.raises(ValueError, match="z_neg"):
        module(mapped, z_j, pattern)


def test_module_maps_ignores_z_neg():
    mapped, z_j, z_neg, pattern = random_case(11)
    module = EquivarianceLoss(pull="absolute")
    assert module(mapped, z_j, pattern, z_neg=z_neg).item() == module(mapped, z_j, pattern).item()


@pytest.mark.parametrize(
    "bad", [torch.tensor([0, 4, 1, 0, 0, 0]), torch.tensor([0, -1, 1, 0, 0, 0])]
)
def test_pattern_out_of_range_raises(bad):
    mapped, z_j, z_neg, _ = random_case(12)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        equivariance_loss(mapped, z_j, bad)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        EquivarianceLoss(negatives="frames")(mapped, z_j, bad, z_neg=z_neg)


@pytest.mark.parametrize(
    "mapped, z_j, pattern",
    [
        (torch.zeros(3, 2, 4), torch.zeros(3, 5), torch.zeros(3, dtype=torch.long)),
        (torch.zeros(3, 2, 4), torch.zeros(2, 4), torch.zeros(3, dtype=torch.long)),
        (torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(3, dtype=torch.long)),
        (torch.zeros(3, 2, 4), torch.zeros(3, 4), torch.zeros(2, dtype=torch.long)),
        (torch.zeros(3, 2, 4), torch.zeros(3, 4), torch.zeros(3)),  # float pattern
    ],
)
def test_shape_errors_raise(mapped, z_j, pattern):
    with pytest.raises(ValueError, match="equivariance_loss"):
        equivariance_loss(mapped, z_j, pattern)


def test_triplet_shape_errors_raise():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(3, 5\)"):
        equivariance_triplet_loss(torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(3, 5))


def test_module_rejects_unknown_options():
    with pytest.raises(ValueError, match="maps, frames"):
        EquivarianceLoss(negatives="pairs")
    with pytest.raises(ValueError, match="legacy, hadsell"):
        EquivarianceLoss(form="cosine")
    with pytest.raises(ValueError, match="EquivarianceLoss: unknown pull 'sideways'; valid: "
                                         "absolute, relative"):
        EquivarianceLoss(pull="sideways")


def brute_relative(mapped, z_i, z_j, pattern, margin, form, eps=1e-3, floor=0.1):
    total, n = 0.0, 0
    moves = [dist(a, b) ** 2 for a, b in zip(z_i.tolist(), z_j.tolist(), strict=True)]
    for b, maps in enumerate(mapped.tolist()):
        own = moves[b] + floor * sum(moves) / len(moves) + eps
        for g, m in enumerate(maps):
            t = term(dist(m, z_j[b].tolist()), g == int(pattern[b]), margin, form)
            total += t / own if g == int(pattern[b]) else t
            n += 1
    return total / (2 * n)


@pytest.mark.parametrize("form", CONTRASTIVE_FORMS)
def test_relative_pull_matches_brute_force(form):
    mapped, z_j, z_i, pattern = random_case(11)
    want = brute_relative(mapped, z_i, z_j, pattern, 1.0, form)
    got = equivariance_loss(mapped, z_j, pattern, 1.0, form, z_i=z_i, pull="relative")
    assert got.item() == pytest.approx(want)
    assert EquivarianceLoss(1.0, form)(mapped, z_j, pattern, z_i=z_i).item() == \
        pytest.approx(want)  # the wrapper's default pull is the method's


def test_module_with_the_relative_pull_needs_z_i():
    mapped, z_j, _, pattern = random_case(4)
    with pytest.raises(ValueError, match=r"EquivarianceLoss\(pull='relative'\): z_i \(B, D\) "
                                         "is required"):
        EquivarianceLoss()(mapped, z_j, pattern)


def test_relative_pull_charges_a_small_motion_predicted_worse_than_no_change():
    # the own map misses z_j by 0.2 while z_i is 0.1 from z_j: cheap in the absolute form,
    # about four times the "no change" cost in the relative one (floor: 0.1 x 0.01 + 1e-3)
    z_i = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    z_j = torch.tensor([[0.1, 0.0]], dtype=torch.float64)
    mapped = torch.tensor([[[0.1, 0.2], [5.0, 5.0]]], dtype=torch.float64)
    pattern = torch.tensor([0])
    absolute = equivariance_loss(mapped, z_j, pattern, 1.0)
    relative = equivariance_loss(mapped, z_j, pattern, 1.0, z_i=z_i, pull="relative")
    assert absolute.item() == pytest.approx(0.5 * 0.04 / 2)
    assert relative.item() == pytest.approx(0.5 * (0.04 / (0.01 + 0.001 + 1e-3)) / 2)


def test_relative_pull_needs_z_i_and_a_known_pull():
    mapped, z_j, _, pattern = random_case(3)
    with pytest.raises(ValueError, match="needs z_i"):
        equivariance_loss(mapped, z_j, pattern, pull="relative")
    with pytest.raises(ValueError, match="unknown pull"):
        equivariance_loss(mapped, z_j, pattern, z_i=z_j, pull="sideways")
