"""``PairDataset``: egoequiv's training pairs as a ``torch.utils.data.Dataset``, for a
training loop of the user's own (building blocks, not a framework).

Item k is ``Pair(x_i, x_j, pattern, motion)``: the two frames of pair k as normalised float
tensors (C, H, W), exactly as egoequiv's trainer feeds them (uint8 / 255, then the per-channel
mean and std of the task's training frames), the pair's motion pattern (int64; -1: none, only
with ``kind="all"``) and its motion z-scored over the training pairs (float32, (D,)), as the
lsm and continuous methods see it. Pairs come from the task: ``kind="patterned"`` are the
pairs with a motion pattern (what equiv trains on), ``kind="all"`` every neighbour pair (what
drlim trains on); ``split="test"`` gives the held-out pairs instead. Frames are read from the
uint8 cache per item, so a cache larger than memory works, with any ``num_workers``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from egoequiv.config import load_config
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.motion.pairs import Pairs
from egoequiv.task.build import Task
from egoequiv.task.load import prepare

KINDS = ("patterned", "all")
SPLITS = ("train", "test")


class Pair(NamedTuple):
    """One item (a DataLoader batches each field: (B, C, H, W), (B,), (B, D))."""

    x_i: torch.Tensor
    x_j: torch.Tensor
    pattern: torch.Tensor
    motion: torch.Tensor


def choose_pairs(task: Task, kind: str, split: str) -> Pairs:
    """The task's pairs of ``kind`` in ``split``, as the trainer's sampler chooses them."""
    if kind not in KINDS:
        raise EgoequivError(f"PairDataset: kind must be one of {list(KINDS)}, got {kind!r}")
    if split not in SPLITS:
        raise EgoequivError(f"PairDataset: split must be one of {list(SPLITS)}, got {split!r}")
    pairs = task.pairs if split == "train" else task.test_pairs
    if kind == "patterned":
        pairs = pairs.select(pairs.pattern >= 0)
    if len(pairs) == 0:
        raise EgoequivError(f"PairDataset: no {kind} pairs in the {split} split")
    return pairs


def task_of(data: str | Task, image_size: int | None, channels: int, settings: dict) -> Task:
    """``data`` itself if a Task, else the task of dataset spec ``data`` under ``settings``."""
    if isinstance(data, Task):
        if image_size is not None or channels or settings:
            raise EgoequivError("PairDataset: a Task is already built; image_size, channels "
                                "and other settings apply to a dataset spec only")
        return data
    overrides = {**settings, "channels": channels}
    if image_size is not None:
        overrides["image_size"] = image_size
    return prepare(load_config(overrides=overrides), data, quiet=True)[1]


class PairDataset(torch.utils.data.Dataset):
    """Pairs of a dataset spec (``"eth80:DIR"``, built with config ``settings`` such as
    ``window`` or ``num_patterns``) or of a built ``Task``; see the module doc.

    Attributes: ``pairs`` (frame indices i, j, raw motion, pattern), ``task``, ``normalizer``
    (default: fitted on the task's training frames, as training does), ``num_patterns``,
    ``motion_dim``, ``in_channels``, ``image_size``.
    """

    def __init__(self, data: str | Task, *, image_size: int | None = None,
                 kind: str = "patterned", split: str = "train", channels: int = 0,
                 normalizer: Normalizer | None = None, **settings):
        self.task = task_of(data, image_size, channels, settings)
        self.pairs = choose_pairs(self.task, kind, split)
        self.kind, self.split = kind, split
        self.images = self.task.frames.images
        self.normalizer = normalizer or Normalizer.fit(self.images, self.task.train)
        self.motion = self.task.zscore(self.pairs.motion).astype(np.float32)
        self.image_size, self.in_channels = int(self.images.shape[1]), int(self.images.shape[3])
        self.num_patterns = self.task.patterns.num_patterns
        self.motion_dim = int(self.pairs.motion.shape[1])

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, k: int) -> Pair:
        if not -len(self) <= k < len(self):
            raise IndexError(f"pair {k} of {len(self)}")
        rows = np.array([self.pairs.i[k], self.pairs.j[k]])
        x = self.normalizer(torch.from_numpy(np.asarray(self.images[rows]))).contiguous()
        return Pair(x[0], x[1], torch.tensor(int(self.pairs.pattern[k])),
                    torch.from_numpy(self.motion[k].copy()))
