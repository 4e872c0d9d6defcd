"""SimCLR's NT-Xent (InfoNCE) loss (Chen, Kornblith, Norouzi & Hinton, ICML 2020), eq. (1).

The 2n embeddings of n pairs (z_a[i], z_b[i]) are l2-normalised; for each embedding k, its
pair partner p(k) is the positive and the other 2n - 2 are negatives:

    l(k) = -log( exp(s(k, p(k)) / t) / sum_{m != k} exp(s(k, m) / t) ),  s = cosine similarity

L = (1 / 2n) sum_k l(k). Temperature t: 0.1 by default (one of the paper's values). Here
the pairs are temporal neighbours: an invariance baseline on our data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from egoequiv.losses._checks import check_ndim, check_positive, check_same_shape


def info_nce_loss(z_a: Tensor, z_b: Tensor, temperature: float = 0.1) -> Tensor:
    """Scalar NT-Xent loss (module doc) for paired embeddings ``z_a``, ``z_b`` (n, d)."""
    fn = "info_nce_loss"
    check_ndim(fn, "z_a", z_a, 2, "(n, d)")
    check_same_shape(fn, "z_a and z_b", z_a, z_b)
    check_positive(fn, "temperature", temperature)
    n = z_a.shape[0]
    z = F.normalize(torch.cat([z_a, z_b]), dim=1)
    logits = z @ z.T / temperature
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, partner)
