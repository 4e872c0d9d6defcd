"""Feature distances along the last dimension, with gradients that stay finite at zero."""

from __future__ import annotations

import torch
from torch import Tensor

from egoequiv.losses._checks import check_float, check_same_shape


def l2_distance(a: Tensor, b: Tensor) -> Tensor:
    """Euclidean distance ``||a - b||_2`` over the last dimension: (..., D) -> (...).

    ``sqrt`` has an infinite derivative at 0, so plain ``(a - b).norm()`` gives NaN gradients for
    identical vectors. Here the square root is only taken where the squared distance is > 0; at
    exactly 0 the distance is exactly 0 and its gradient is 0 (a valid subgradient). Everywhere
    else the value and gradient are the exact ones (no epsilon bias).
    """
    check_same_shape("l2_distance", "a and b", a, b)
    check_float("l2_distance", "a", a)
    sq = (a - b).pow(2).sum(dim=-1)
    positive = sq > 0
    safe = torch.where(positive, sq, torch.ones_like(sq))
    return torch.where(positive, safe.sqrt(), torch.zeros_like(sq))


def l1_distance(a: Tensor, b: Tensor) -> Tensor:
    """Manhattan distance ``||a - b||_1`` over the last dimension: (..., D) -> (...).

    The gradient of ``|x|`` at 0 is taken as 0 (torch's convention), so it is finite everywhere.
    """
    check_same_shape("l1_distance", "a and b", a, b)
    check_float("l1_distance", "a", a)
    return (a - b).abs().sum(dim=-1)
