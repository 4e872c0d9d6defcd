"""Argument checks shared by the losses: each failure is a ValueError naming the shapes.

Shapes and dtypes are checked on every call (free). Checks of tensor *values* (index
ranges, NaN) read the tensor on the host: on an accelerator that stalls the device every
step. A loss that checks values takes ``check_values``: True or False as asked, None (the
default) on the CPU only (the trainer's indices come from the task, checked once when it is
built). A method passes the one it was built with to each of its losses.
"""

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


def reads_values(t: Tensor, asked: bool | None) -> bool:
    """Whether to check ``t``'s values: ``asked``, or on the CPU when None (see the module
    doc). Never inside ``vmap`` (batched runs): a batched tensor's values cannot be read
    there; its indices were checked when the task was built, as on an accelerator."""
    if torch._C._functorch.is_batchedtensor(t):
        return False
    return t.device.type == "cpu" if asked is None else bool(asked)


def check_index(fn: str, name: str, t: Tensor, high: int, values: bool | None = None) -> None:
    """Integer tensor with every value in [0, high) (``values``: see ``reads_values``)."""
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{fn}: {name} must be an integer tensor, got {t.dtype}")
    if t.numel() and reads_values(t, values) and (int(t.min()) < 0 or int(t.max()) >= high):
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
