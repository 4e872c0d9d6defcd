"""lsm baseline: egomotion classification (Agrawal, Carreira & Malik, "Learning to see by
moving", ICCV 2015).

Each z-scored motion dimension (x, z translation and yaw there) is classified separately into
``num_bins`` uniform bins of width ``bin_width`` centred on 0, covering
``[-num_bins/2 * bin_width, +num_bins/2 * bin_width)``, plus two overflow classes: class 0 below
that range, class ``num_bins + 1`` at or above it. Bins are half-open ``[lo, hi)``, so a value on
an edge goes to the class above it (compared exactly against the edges, no rounding of
``x / bin_width``). Paper-notes (certain): 20 uniform bins over +-10 bin widths +
2 overflow bins = 22 classes per dimension. The bin width is not known: ``bin_width`` is an
option, default 0.25 z-score units (ours). The loss is the mean over the K dimensions of the
softmax cross-entropy of each dimension.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from egoequiv.losses._checks import (
    check_float,
    check_index,
    check_ndim,
    check_positive,
    reads_values,
)


def lsm_bin_targets(motion: Tensor, bin_width: float = 0.25, num_bins: int = 20,
                    check_values: bool | None = None) -> Tensor:
    """Class targets (B, K) int64 in ``[0, num_bins + 2)`` for z-scored ``motion`` (B, K);
    ``check_values``: whether NaN is looked for (None: on the CPU; ``_checks``)."""
    fn = "lsm_bin_targets"
    check_ndim(fn, "motion", motion, 2, "(B, K)")
    check_float(fn, "motion", motion)
    check_positive(fn, "bin_width", bin_width)
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise ValueError(f"{fn}: num_bins must be an int >= 1, got {num_bins!r}")
    if reads_values(motion, check_values) and torch.isnan(motion).any():
        raise ValueError(f"{fn}: motion {tuple(motion.shape)} contains NaN")
    # edges e_k = (k - num_bins/2) * bin_width, k = 0..num_bins; class = #{k : e_k <= x}
    ks = torch.arange(num_bins + 1, dtype=torch.float64, device=motion.device)
    edges = (ks - num_bins / 2) * bin_width
    return torch.bucketize(motion.detach().double(), edges, right=True)


def lsm_loss(logits: Tensor, targets: Tensor, check_values: bool | None = None) -> Tensor:
    """Mean over the K motion dimensions of the cross-entropy of ``logits`` (B, K, C) against
    ``targets`` (B, K) int in [0, C) (``check_values``: as in ``lsm_bin_targets``)."""
    fn = "lsm_loss"
    check_ndim(fn, "logits", logits, 3, "(B, K, C)")
    check_float(fn, "logits", logits)
    b, k, c = logits.shape
    if tuple(targets.shape) != (b, k):
        raise ValueError(
            f"{fn}: targets must have shape (B, K) = ({b}, {k}) to match logits "
            f"{tuple(logits.shape)}, got {tuple(targets.shape)}"
        )
    check_index(fn, "targets", targets, c, check_values)
    per_dim = F.cross_entropy(logits.permute(0, 2, 1), targets.long(), reduction="none")  # (B, K)
    return per_dim.mean(dim=0).mean()


class LsmLoss(nn.Module):
    """Module wrapper of :func:`lsm_loss`: ``forward(logits, targets)``."""

    def __init__(self, check_values: bool | None = None):
        super().__init__()
        self.check_values = check_values

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        return lsm_loss(logits, targets, self.check_values)
