"""Temporal coherence loss with the l1 distance (Mobahi, Collobert & Weston, ICML 2009).

``L = mean_pairs [ d if similar else max(0, margin - d) ]`` with ``d = ||z_i - z_j||_1``:
neighbouring frames are pulled together, other frames pushed to at least ``margin`` apart. No
square and no 1/2 factor, as in Mobahi et al.'s formulation. Default margin 1.0 (paper-notes).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from egoequiv.losses._checks import (
    check_batch,
    check_bool,
    check_ndim,
    check_positive,
    check_same_shape,
)
from egoequiv.losses.distance import l1_distance


def temporal_coherence_loss(
    z_i: Tensor, z_j: Tensor, similar: Tensor, margin: float = 1.0
) -> Tensor:
    """Scalar loss for features ``z_i``, ``z_j`` (B, D) and ``similar`` (B,) bool."""
    fn = "temporal_coherence_loss"
    check_positive(fn, "margin", margin)
    check_ndim(fn, "z_i", z_i, 2, "(B, D)")
    check_same_shape(fn, "z_i and z_j", z_i, z_j)
    check_batch(fn, "similar", similar, z_i.shape[0])
    check_bool(fn, "similar", similar)
    d = l1_distance(z_i, z_j)
    return torch.where(similar, d, torch.relu(margin - d)).mean()


class TemporalCoherenceLoss(nn.Module):
    """Module wrapper of :func:`temporal_coherence_loss`: ``forward(z_i, z_j, similar)``."""

    def __init__(self, margin: float = 1.0):
        super().__init__()
        check_positive("TemporalCoherenceLoss", "margin", margin)
        self.margin = margin

    def forward(self, z_i: Tensor, z_j: Tensor, similar: Tensor) -> Tensor:
        return temporal_coherence_loss(z_i, z_j, similar, self.margin)

    def extra_repr(self) -> str:
        return f"margin={self.margin}"
