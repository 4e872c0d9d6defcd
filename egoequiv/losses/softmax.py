"""Softmax (cross-entropy) loss of the classification stream: ``mean_b -log softmax(s_b)[y_b]``.

The supervised part of the paper's joint objective ``softmax + lambda * unsupervised``
(paper-notes, certain). A thin checked wrapper of ``torch.nn.functional.cross_entropy``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from egoequiv.losses._checks import check_batch, check_float, check_index, check_ndim


def softmax_loss(logits: Tensor, labels: Tensor, check_values: bool | None = None) -> Tensor:
    """Mean cross-entropy of ``logits`` (B, C) against ``labels`` (B,) int in [0, C);
    ``check_values``: whether the label range is checked (None: on the CPU; ``_checks``)."""
    fn = "softmax_loss"
    check_ndim(fn, "logits", logits, 2, "(B, C)")
    check_float(fn, "logits", logits)
    check_batch(fn, "labels", labels, logits.shape[0])
    check_index(fn, "labels", labels, logits.shape[1], check_values)
    return F.cross_entropy(logits, labels.long())


class SoftmaxLoss(nn.Module):
    """Module wrapper of :func:`softmax_loss`: ``forward(logits, labels)``."""

    def __init__(self, check_values: bool | None = None):
        super().__init__()
        self.check_values = check_values

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        return softmax_loss(logits, labels, self.check_values)
