"""Argument checks shared by the losses: each failure is a ValueError naming the shapes."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def shape(t: Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def check_ndim(fn: str, name: str, t: Tensor, ndim: int, layout: str) -> None:
    if not isinstance(t, Tensor):
        raise ValueError(f"{fn}: {name} must be a torch.Tensor {layout}, got {type(t).__name__}")
    if t.dim() != ndim:
        raise ValueError(f"{fn}: {name} must have shape {layout}, got {shape(t)}")
    if t.shape[0] == 0:
        raise ValueError(f"{fn}: {name} has an empty batch {shape(t)}; need at least one example")


def check_same_shape(fn: str, names: str, a: Tensor, b: Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{fn}: {names} must have the same shape, got {shape(a)} and {shape(b)}")


def check_float(fn: str, name: str, t: Tensor) -> None:
    if not t.is_floating_point():
        raise ValueError(f"{fn}: {name} must be a floating-point tensor, got {t.dtype}")


def check_bool(fn: str, name: str, t: Tensor) -> None:
    if t.dtype != torch.bool:
        raise ValueError(f"{fn}: {name} must be a bool tensor (True = similar), got {t.dtype}")


def check_index(fn: str, name: str, t: Tensor, high: int) -> None:
    """Integer tensor with every value in [0, high)."""
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{fn}: {name} must be an integer tensor, got {t.dtype}")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= high):
        raise ValueError(
            f"{fn}: {name} values must lie in [0, {high}), got min {int(t.min())}, "
            f"max {int(t.max())}"
        )


def check_positive(fn: str, name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{fn}: {name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{fn}: {name} must be finite and > 0, got {value!r}")


def check_batch(fn: str, name: str, t: Tensor, batch: int) -> None:
    """``t`` is 1-D with ``batch`` entries."""
    if not isinstance(t, Tensor) or t.dim() != 1 or t.shape[0] != batch:
        got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise ValueError(f"{fn}: {name} must have shape (B,) = ({batch},), got {got}")
