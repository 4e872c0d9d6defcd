"""Non-discrete equivariance loss: ``L = 0.5 * mean_b ||M(y_ij) z_i - z_j||_2^2``.

``M(y_ij)`` maps features by the continuous motion ``y_ij`` (Jayaraman & Grauman, "equiv+drlim
(non-discrete)"). It has no contrastive push term, so ``z = 0`` minimises it; per the paper's
footnotes it is therefore only used together with drlim (paper-notes, certain). The squared norm
is computed directly (no square root), so the gradient is finite everywhere.

``pull="relative"`` (ours, as in ``losses.equiv``): each pair's term is divided by its own
displacement, ``||M(y_ij) z_i - z_j||^2 / (||z_i - z_j||^2 + eps)``, ``eps`` as there.
"""

from __future__ import annotations

from torch import Tensor, nn

from egoequiv.losses._checks import check_float, check_ndim, check_same_shape
from egoequiv.losses.equiv import DEFAULT_PULL, EQUIV_PULLS, relative_denominator


def continuous_equivariance_loss(mapped: Tensor, z_j: Tensor, z_i: Tensor | None = None,
                                 pull: str = "absolute") -> Tensor:
    """Scalar loss for ``mapped`` = ``M(y_ij) z_i`` (B, D) and ``z_j`` (B, D); ``z_i`` (B, D)
    is needed for ``pull="relative"``."""
    fn = "continuous_equivariance_loss"
    check_ndim(fn, "mapped", mapped, 2, "(B, D)")
    check_same_shape(fn, "mapped and z_j", mapped, z_j)
    check_float(fn, "mapped", mapped)
    terms = (mapped - z_j).pow(2).sum(dim=1)
    if pull == "relative":
        if z_i is None:
            raise ValueError(f"{fn}: pull='relative' needs z_i (B, D)")
        check_same_shape(fn, "z_i and z_j", z_i, z_j)
        terms = terms / relative_denominator(z_i, z_j).squeeze(1)
    elif pull != "absolute":
        raise ValueError(f"{fn}: unknown pull {pull!r}; valid: {', '.join(EQUIV_PULLS)}")
    return 0.5 * terms.mean()


class ContinuousEquivarianceLoss(nn.Module):
    """The continuous method's equivariance term: ``forward(mapped, z_j, *, z_i=None)``,
    ``pull`` its ``equiv_pull`` with its default (the relative pull needs ``z_i``)."""

    def __init__(self, pull: str = DEFAULT_PULL):
        super().__init__()
        if pull not in EQUIV_PULLS:
            raise ValueError(f"ContinuousEquivarianceLoss: unknown pull {pull!r}; "
                             f"valid: {', '.join(EQUIV_PULLS)}")
        self.pull = pull

    def forward(self, mapped: Tensor, z_j: Tensor, *, z_i: Tensor | None = None) -> Tensor:
        if self.pull == "relative" and z_i is None:
            raise ValueError("ContinuousEquivarianceLoss(pull='relative'): z_i (B, D) is "
                             "required")
        return continuous_equivariance_loss(mapped, z_j, z_i, self.pull)

    def extra_repr(self) -> str:
        return f"pull={self.pull!r}"
