"""lsm (Agrawal et al. 2015) motion-bin targets and the per-dimension cross-entropy."""

from __future__ import annotations

import math

import pytest
import torch

from egoequiv.losses import LsmLoss, lsm_bin_targets, lsm_loss

# (value, class) for width 0.25, 20 bins over [-2.5, 2.5): 0 below, 1..20 inside, 21 at/above 2.5
DEFAULT_CASES = [
    (-100.0, 0),
    (-2.5001, 0),
    (-2.5, 1),  # lower edge belongs to the first bin
    (-2.25, 2),
    (-0.0001, 10),
    (0.0, 11),  # 0 starts the bin just above the centre
    (0.2499, 11),
    (0.25, 12),
    (2.2499, 19),
    (2.25, 20),
    (2.4999, 20),
    (2.5, 21),  # upper edge is overflow
    (7.0, 21),
]


def test_default_bins_hand_computed():
    values = torch.tensor([[v for v, _ in DEFAULT_CASES]], dtype=torch.float64)
    got = lsm_bin_targets(values)
    assert got.dtype == torch.long
    assert got[0].tolist() == [c for _, c in DEFAULT_CASES]


@pytest.mark.parametrize("edge, cls_at", [(-2.5, 1), (0.0, 11), (0.25, 12), (2.5, 21)])
def test_values_one_ulp_from_an_edge(edge, cls_at):
    below = math.nextafter(edge, -math.inf)
    motion = torch.tensor([[below, edge]], dtype=torch.float64)
    assert lsm_bin_targets(motion).tolist() == [[cls_at - 1, cls_at]]


def test_float32_input_and_infinities():
    motion = torch.tensor([[float("-inf"), 0.1, float("inf")]], dtype=torch.float32)
    assert lsm_bin_targets(motion).tolist() == [[0, 11, 21]]


def test_custom_width_and_bin_count():
    # 4 bins of width 1 over [-2, 2): edges -2, -1, 0, 1, 2
    motion = torch.tensor([[-2.1, -2.0, -1.0, -0.5, 0.0, 1.5, 2.0]])
    got = lsm_bin_targets(motion, bin_width=1.0, num_bins=4)
    assert got.tolist() == [[0, 1, 2, 2, 3, 4, 5]]
    # an odd count stays centred: 3 bins of width 1 over [-1.5, 1.5), 0 in the middle bin
    motion = torch.tensor([[-1.6, -1.5, -0.5, 0.0, 0.5, 1.5]])
    got = lsm_bin_targets(motion, bin_width=1.0, num_bins=3)
    assert got.tolist() == [[0, 1, 2, 2, 3, 4]]


def test_bins_against_brute_force():
    g = torch.Generator().manual_seed(14)
    motion = torch.randn(50, 3, generator=g, dtype=torch.float64) * 2
    got = lsm_bin_targets(motion, bin_width=0.25, num_bins=20)
    for row, out in zip(motion.tolist(), got.tolist(), strict=True):
        for x, cls in zip(row, out, strict=True):
            edges = [-2.5 + 0.25 * k for k in range(21)]
            if x < edges[0]:
                want = 0
            elif x >= edges[-1]:
                want = 21
            else:
                want = next(k + 1 for k in range(20) if edges[k] <= x < edges[k + 1])
            assert cls == want, x
    assert int(got.min()) >= 0 and int(got.max()) <= 21


@pytest.mark.parametrize(
    "motion, kwargs",
    [
        (torch.zeros(4), {}),
        (torch.zeros(4, 3, dtype=torch.long), {}),
        (torch.tensor([[0.0, float("nan")]]), {}),
        (torch.zeros(4, 3), {"bin_width": 0.0}),
        (torch.zeros(4, 3), {"num_bins": 0}),
        (torch.zeros(4, 3), {"num_bins": 2.5}),
    ],
)
def test_bin_targets_bad_arguments_raise(motion, kwargs):
    with pytest.raises(ValueError, match="lsm_bin_targets"):
        lsm_bin_targets(motion, **kwargs)


def brute_ce(row, target):
    top = max(row)
    return -(row[target] - top - math.log(sum(math.exp(v - top) for v in row)))


def test_lsm_loss_is_mean_over_dimensions_of_cross_entropy():
    g = torch.Generator().manual_seed(15)
    b, k, c = 5, 3, 22
    logits = torch.randn(b, k, c, generator=g, dtype=torch.float64)
    targets = torch.randint(0, c, (b, k), generator=g)
    per_dim = []
    for dim in range(k):
        ces = [brute_ce(logits[n, dim].tolist(), int(targets[n, dim])) for n in range(b)]
        per_dim.append(sum(ces) / b)
    want = sum(per_dim) / k
    assert lsm_loss(logits, targets).item() == pytest.approx(want)
    assert LsmLoss()(logits, targets).item() == pytest.approx(want)


def test_lsm_loss_uniform_logits():
    logits = torch.zeros(2, 3, 22)
    targets = torch.zeros(2, 3, dtype=torch.long)
    assert lsm_loss(logits, targets).item() == pytest.approx(math.log(22))


@pytest.mark.parametrize(
    "logits, targets",
    [
        (torch.zeros(2, 22), torch.zeros(2, dtype=torch.long)),
        (torch.zeros(2, 3, 22), torch.zeros(2, 2, dtype=torch.long)),
        (torch.zeros(2, 3, 22), torch.full((2, 3), 22)),
        (torch.zeros(2, 3, 22), torch.zeros(2, 3)),
    ],
)
def test_lsm_loss_bad_arguments_raise(logits, targets):
    with pytest.raises(ValueError, match="lsm_loss"):
        lsm_loss(logits, targets)
