"""Equivariance maps M_g: z(g x) ~ M_g z(x), one per motion pattern g.

- ``AffineMaps``: M_g z = W_g z + b_g (the bias folded in makes each map affine, as in the
  paper), initialised at the identity.
- ``BottleneckMaps``: for wide features (AlexNet's 4096-d) the paper uses a smaller
  non-linear network with ReLUs instead of a 4096x4096 matrix; ours is a residual
  bottleneck M_g z = z + U_g ReLU(V_g z + c_g) + b_g, starting at the identity.
- ``ContinuousMap``: the non-discrete variant, a map that depends on the continuous motion
  m (z-scored): M(m) z = z + sum_k m_k B_k z + C m + c. This form (linear in m) is ours.
- ``HyperMap``: an SIE-style predictor (Garrido et al., ICML 2023): a hypernetwork turns
  the motion into the map's weights, M(m) z = z + H(m) z + c(m), with H(m) (D x D) and c(m)
  the outputs of an MLP of m (one hidden ReLU layer), H scaled by 1/sqrt(D), whose last
  layer starts at zero (so M starts at the identity). Unlike ContinuousMap it is not linear in m.
"""

from __future__ import annotations

import torch
from torch import nn


class AffineMaps(nn.Module):
    def __init__(self, dim: int, num_patterns: int, init_noise: float = 1e-3):
        super().__init__()
        eye = torch.eye(dim).expand(num_patterns, dim, dim).clone()
        self.weight = nn.Parameter(eye + init_noise * torch.randn(num_patterns, dim, dim))
        self.bias = nn.Parameter(torch.zeros(num_patterns, dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Every map applied to every row: (B, D) -> (B, G, D)."""
        return torch.einsum("gde,be->bgd", self.weight, z) + self.bias

    def apply(self, z: torch.Tensor, pattern: torch.Tensor) -> torch.Tensor:
        """Row b's own map M_{pattern[b]}: (B, D) -> (B, D)."""
        return torch.einsum("bde,be->bd", self.weight[pattern], z) + self.bias[pattern]

    def distance_from_identity(self) -> torch.Tensor:
        """Mean over maps of ||W_g - I||_F^2 + ||b_g||^2."""
        eye = torch.eye(self.weight.shape[1], device=self.weight.device)
        return ((self.weight - eye).pow(2).sum(dim=(1, 2)) + self.bias.pow(2).sum(dim=1)).mean()


class BottleneckMaps(nn.Module):
    def __init__(self, dim: int, num_patterns: int, hidden: int = 256):
        super().__init__()
        self.down = nn.Parameter(torch.randn(num_patterns, hidden, dim) * (2.0 / dim) ** 0.5)
        self.down_bias = nn.Parameter(torch.zeros(num_patterns, hidden))
        self.up = nn.Parameter(torch.zeros(num_patterns, dim, hidden))
        self.bias = nn.Parameter(torch.zeros(num_patterns, dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(torch.einsum("ghd,bd->bgh", self.down, z) + self.down_bias)
        return z[:, None, :] + torch.einsum("gdh,bgh->bgd", self.up, h) + self.bias

    def apply(self, z: torch.Tensor, pattern: torch.Tensor) -> torch.Tensor:
        h = torch.relu(torch.einsum("bhd,bd->bh", self.down[pattern], z)
                       + self.down_bias[pattern])
        return z + torch.einsum("bdh,bh->bd", self.up[pattern], h) + self.bias[pattern]

    def distance_from_identity(self) -> torch.Tensor:
        """Mean over maps of the residual branch's size, ||U_g||_F^2 + ||b_g||^2 (the map is
        the identity when both are zero)."""
        return (self.up.pow(2).sum(dim=(1, 2)) + self.bias.pow(2).sum(dim=1)).mean()


class ContinuousMap(nn.Module):
    def __init__(self, dim: int, motion_dim: int):
        super().__init__()
        self.basis = nn.Parameter(torch.zeros(motion_dim, dim, dim))
        self.shift = nn.Linear(motion_dim, dim)
        nn.init.zeros_(self.shift.weight)
        nn.init.zeros_(self.shift.bias)

    def forward(self, z: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """(B, D), (B, K) -> (B, D)."""
        return z + torch.einsum("bk,kde,be->bd", motion, self.basis, z) + self.shift(motion)


class HyperMap(nn.Module):
    def __init__(self, dim: int, motion_dim: int, hidden: int = 64):
        super().__init__()
        self.dim = dim
        self.hidden = nn.Linear(motion_dim, hidden)
        self.out = nn.Linear(hidden, dim * dim + dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, z: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """(B, D), (B, K) -> (B, D)."""
        d = self.dim
        params = self.out(torch.relu(self.hidden(motion)))
        weight, shift = params[:, :d * d].view(-1, d, d), params[:, d * d:]
        # H(m) / sqrt(D): the map's gain stays O(1) at any width (without it, training at
        # lr 0.01 diverged within a few steps)
        return z + torch.einsum("bde,be->bd", weight, z) / d ** 0.5 + shift


def make_maps(kind: str, dim: int, num_patterns: int, hidden: int = 256) -> nn.Module:
    """``auto`` picks affine maps up to 1024-d features and bottleneck maps above."""
    if kind == "auto":
        kind = "affine" if dim <= 1024 else "bottleneck"
    if kind == "affine":
        return AffineMaps(dim, num_patterns)
    if kind == "bottleneck":
        return BottleneckMaps(dim, num_patterns, hidden)
    raise ValueError(f"unknown map type {kind!r} (valid: auto, affine, bottleneck)")
