"""DrLIM: contrastive loss on the l2 distance between paired features (Hadsell et al., 2006).

``L = contrastive_loss(||z_i - z_j||_2, similar, margin, form)``; see
:mod:`egoequiv.losses.contrastive` for the two forms. In the paper's baseline, similar pairs are
temporal neighbours. Default margin 1.0 (paper-notes: certain).
"""

from __future__ import annotations

from torch import Tensor, nn

from egoequiv.losses._checks import check_batch, check_ndim, check_same_shape
from egoequiv.losses.contrastive import check_form, contrastive_loss
from egoequiv.losses.distance import l2_distance


def drlim_loss(
    z_i: Tensor, z_j: Tensor, similar: Tensor, margin: float = 1.0, form: str = "legacy"
) -> Tensor:
    """Scalar DrLIM loss for features ``z_i``, ``z_j`` (B, D) and ``similar`` (B,) bool."""
    check_ndim("drlim_loss", "z_i", z_i, 2, "(B, D)")
    check_same_shape("drlim_loss", "z_i and z_j", z_i, z_j)
    check_batch("drlim_loss", "similar", similar, z_i.shape[0])
    return contrastive_loss(l2_distance(z_i, z_j), similar, margin, form)


class DrlimLoss(nn.Module):
    """Module wrapper of :func:`drlim_loss`: ``forward(z_i, z_j, similar)``."""

    def __init__(self, margin: float = 1.0, form: str = "legacy"):
        super().__init__()
        check_form("DrlimLoss", form)
        self.margin, self.form = margin, form

    def forward(self, z_i: Tensor, z_j: Tensor, similar: Tensor) -> Tensor:
        return drlim_loss(z_i, z_j, similar, self.margin, self.form)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, form={self.form!r}"
