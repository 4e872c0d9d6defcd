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

Pairs carry no class labels: they are built among the unlabelled training frames, so a label
on them would be one the learner is not meant to see. The labelled frames of the same task
are ``PairDataset.labelled()`` (``LabelledFrames``: item ``Labelled(x, label)``), normalised
the same way; the paper's regulariser is a softmax on those plus lam x the equivariance
loss on the pairs.
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


class Labelled(NamedTuple):
    """One labelled frame: (C, H, W) and its class (int64)."""

    x: torch.Tensor
    label: torch.Tensor


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

    def labelled(self, split: str = "train") -> LabelledFrames:
        """The task's labelled frames, normalised as these pairs are (``LabelledFrames``)."""
        return LabelledFrames(self.task, split=split, normalizer=self.normalizer)

    def __getitem__(self, k: int) -> Pair:
        if not -len(self) <= k < len(self):
            raise IndexError(f"pair {k} of {len(self)}")
        rows = np.array([self.pairs.i[k], self.pairs.j[k]])
        x = self.normalizer(torch.from_numpy(np.asarray(self.images[rows]))).contiguous()
        return Pair(x[0], x[1], torch.tensor(int(self.pairs.pattern[k])),
                    torch.from_numpy(self.motion[k].copy()))


class LabelledFrames(torch.utils.data.Dataset):
    """The labelled frames of a dataset spec or a built ``Task``: ``split="train"`` the
    labelled training subset the learner sees (``labels_per_class`` per class, the run's
    ``label_split``), ``split="test"`` the test frames that have a label. Item k is
    ``Labelled(x, label)``; attributes ``index`` (frame indices), ``num_classes``,
    ``class_names``, ``task``, ``normalizer``."""

    def __init__(self, data: str | Task, *, image_size: int | None = None,
                 split: str = "train", channels: int = 0,
                 normalizer: Normalizer | None = None, **settings):
        if split not in SPLITS:
            raise EgoequivError(f"LabelledFrames: split must be one of {list(SPLITS)}, got "
                                f"{split!r}")
        self.task = task_of(data, image_size, channels, settings)
        table = self.task.table
        if not table.is_labelled:
            raise EgoequivError("LabelledFrames: the source has no class labels")
        test = self.task.test[table.labels[self.task.test] >= 0]
        self.index = self.task.labelled if split == "train" else test
        if not len(self.index):
            raise EgoequivError(f"LabelledFrames: no labelled frames in the {split} split "
                                "(labels_per_class=0 trains on none)")
        self.images = self.task.frames.images
        self.normalizer = normalizer or Normalizer.fit(self.images, self.task.train)
        self.labels = table.labels[self.index]
        self.num_classes, self.class_names = self.task.num_classes, table.class_names

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, k: int) -> Labelled:
        if not -len(self) <= k < len(self):
            raise IndexError(f"frame {k} of {len(self)}")
        x = self.normalizer(torch.from_numpy(np.asarray(self.images[self.index[[k]]])))
        return Labelled(x[0].contiguous(), torch.tensor(int(self.labels[k])))
