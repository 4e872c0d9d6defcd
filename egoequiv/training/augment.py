"""Random translation of training frames (``augment_shift``, ours; the paper does not
augment): more distinct views of few training objects, while a pair's motion stays true,
because both frames of a pair move by the same shift. A flip would not do: it reverses
the direction of a turn.

The sampler draws the shifts with the batch's own generator (after every other draw, so a
run without augmentation draws what it always drew), and the loader applies them on the
device, so a resumed run sees exactly the uninterrupted run's frames.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

#: streams whose rows are pairs: (first, second) share a shift
_PAIRED = (("pos_i", "pos_j"),)


def draw_shifts(rng: np.random.Generator, streams: list[str], size: int,
                max_shift: int) -> np.ndarray:
    """(len(streams) * size, 2) integer (dy, dx) shifts in [-max_shift, max_shift], in the
    order of ``streams`` (the loader's concatenation): the frames of a pair share one."""
    drawn: dict[str, np.ndarray] = {}
    for s in streams:
        partner = next((a for a, b in _PAIRED if b == s), None)
        drawn[s] = drawn[partner] if partner in drawn else \
            rng.integers(-max_shift, max_shift + 1, size=(size, 2))
    return np.concatenate([drawn[s] for s in streams]) if streams else np.zeros((0, 2), int)


def translate(x: torch.Tensor, shifts: torch.Tensor, max_shift: int) -> torch.Tensor:
    """(B, C, H, W) frames each moved by its (dy, dx), the border pixels repeated."""
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")
    rows = torch.arange(h, device=x.device) + max_shift - shifts[:, :1]  # (B, H)
    cols = torch.arange(w, device=x.device) + max_shift - shifts[:, 1:]  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
