"""softmax_loss: the classification stream's cross-entropy, recomputed per example."""

from __future__ import annotations

import math

import pytest
import torch

from egoequiv.losses import SoftmaxLoss, softmax_loss


def brute_ce(row, target):
    top = max(row)
    return -(row[target] - top - math.log(sum(math.exp(v - top) for v in row)))


def test_softmax_loss_matches_brute_force_and_checks_shapes():
    g = torch.Generator().manual_seed(16)
    logits = torch.randn(6, 5, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 5, (6,), generator=g)
    want = sum(brute_ce(r, int(y)) for r, y in zip(logits.tolist(), labels, strict=True)) / 6
    assert softmax_loss(logits, labels).item() == pytest.approx(want)
    assert SoftmaxLoss()(logits, labels).item() == pytest.approx(want)
    with pytest.raises(ValueError, match=r"\(6,\)"):
        softmax_loss(logits, labels[:4])
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        softmax_loss(logits, torch.full((6,), 5))
