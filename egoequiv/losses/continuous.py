"""Non-discrete equivariance loss: ``L = 0.5 * mean_b ||M(y_ij) z_i - z_j||_2^2``.

``M(y_ij)`` maps features by the continuous motion ``y_ij`` (Jayaraman & Grauman, "equiv+drlim
(non-discrete)"). It has no contrastive push term, so ``z = 0`` minimises it; per the paper's
footnotes it is therefore only used together with drlim (paper-notes, certain). The squared norm
is computed directly (no square root), so the gradient is finite everywhere.
"""

from __future__ import annotations

from torch import Tensor, nn

from egoequiv.losses._checks import check_float, check_ndim, check_same_shape


def continuous_equivariance_loss(mapped: Tensor, z_j: Tensor) -> Tensor:
    """Scalar loss for ``mapped`` = ``M(y_ij) z_i`` (B, D) and ``z_j`` (B, D)."""
    fn = "continuous_equivariance_loss"
    check_ndim(fn, "mapped", mapped, 2, "(B, D)")
    check_same_shape(fn, "mapped and z_j", mapped, z_j)
    check_float(fn, "mapped", mapped)
    return 0.5 * (mapped - z_j).pow(2).sum(dim=1).mean()


class ContinuousEquivarianceLoss(nn.Module):
    """Module wrapper of :func:`continuous_equivariance_loss`: ``forward(mapped, z_j)``."""

    def forward(self, mapped: Tensor, z_j: Tensor) -> Tensor:
        return continuous_equivariance_loss(mapped, z_j)
