"""VICReg: variance-invariance-covariance regularisation (Bardes, Ponce & LeCun, ICLR 2022),
eq. (1)-(6) of the paper.

For two batches of embeddings Z, Z' (n, d) of paired inputs:

- invariance s(Z, Z') = (1/n) sum_i ||z_i - z'_i||^2 / d  (the mean squared error),
- variance v(Z) = (1/d) sum_j max(0, gamma - sqrt(Var(z^j) + eps)), gamma = 1, eps = 1e-4,
- covariance c(Z) = (1/d) sum_{j != k} C(Z)_{jk}^2, C the covariance matrix (1/(n-1)),

L = sim * s + var * (v(Z) + v(Z')) + cov * (c(Z) + c(Z')), with the paper's default weights
sim = var = 25, cov = 1. Here the pairs are temporal neighbours (an invariance baseline on
our data), and the loss sits on the feature layer itself (the paper adds an expander MLP;
ours has none, so the compared methods share one feature space).
"""

from __future__ import annotations

import torch
from torch import Tensor

from egoequiv.losses._checks import check_ndim, check_same_shape


def vicreg_terms(z_a: Tensor, z_b: Tensor, gamma: float = 1.0,
                 eps: float = 1e-4) -> dict[str, Tensor]:
    """The three terms {"invariance", "variance", "covariance"} for (n, d) batches, n >= 2."""
    fn = "vicreg_loss"
    check_ndim(fn, "z_a", z_a, 2, "(n, d)")
    check_same_shape(fn, "z_a and z_b", z_a, z_b)
    if z_a.shape[0] < 2:
        raise ValueError(f"{fn}: variance and covariance need at least 2 rows, got "
                         f"{tuple(z_a.shape)}")
    n, d = z_a.shape
    invariance = ((z_a - z_b) ** 2).sum(dim=1).mean() / d
    variance, covariance = z_a.new_zeros(()), z_a.new_zeros(())
    for z in (z_a, z_b):
        centred = z - z.mean(dim=0)
        std = torch.sqrt(centred.var(dim=0) + eps)
        variance = variance + torch.relu(gamma - std).mean()
        cov = centred.T @ centred / (n - 1)
        off = cov - torch.diag(torch.diagonal(cov))
        covariance = covariance + (off ** 2).sum() / d
    return {"invariance": invariance, "variance": variance, "covariance": covariance}


def vicreg_loss(z_a: Tensor, z_b: Tensor, sim: float = 25.0, var: float = 25.0,
                cov: float = 1.0) -> Tensor:
    """Scalar VICReg loss (module doc) for paired embeddings ``z_a``, ``z_b`` (n, d)."""
    t = vicreg_terms(z_a, z_b)
    return sim * t["invariance"] + var * t["variance"] + cov * t["covariance"]
