"""Two sources as one training set: unlabelled pairs from one (video + motor), labelled
images from another — the paper's KITTI -> SUN397 setting.

The combined table lists the unlabelled source's frames first, then the labelled source's.
Motion and neighbours come from the unlabelled source (the labelled frames get neutral motor
readings and a sequence each, so they form no pairs); labels and classes come only from the
labelled source, so recognition is trained and measured on it, and equivariance on the
unlabelled source's test pairs. Both are decoded at the same size and channel count.
"""

from __future__ import annotations

import numpy as np

from egoequiv.data.cache import Frames
from egoequiv.data.table import FrameTable
from egoequiv.errors import EgoequivError
from egoequiv.task.build import split_frames


def _split(frames: Frames, test_fraction: float) -> np.ndarray:
    train, _ = split_frames(frames.table, test_fraction)
    split = np.full(len(frames.table), "test", dtype="<U5")
    split[train] = "train"
    return split


def combine_frames(unlabelled: Frames, labelled: Frames, test_fraction: float) -> Frames:
    """One Frames of both sources (see the module doc); each keeps its own train/test split
    (or the split of its sequences by ``test_fraction``)."""
    a, b = unlabelled.table, labelled.table
    if not b.is_labelled:
        raise EgoequivError("the labelled dataset has no labels")
    if unlabelled.images.shape[1:] != labelled.images.shape[1:]:
        raise EgoequivError(f"frames differ in shape: {unlabelled.images.shape[1:]} vs "
                            f"{labelled.images.shape[1:]}")
    table = FrameTable(
        refs=[*a.refs, *b.refs],
        motor=np.concatenate([a.motor, a.motor_spec.blank(len(b))]),
        motor_spec=a.motor_spec,
        sequence=np.concatenate([a.sequence, len(a.sequence_names) + np.arange(len(b))]),
        sequence_names=[*a.sequence_names, *(f"labelled:{r}" for r in b.refs)],
        time=np.concatenate([a.time, np.zeros(len(b))]),
        neighbours=a.neighbours,
        labels=np.concatenate([np.full(len(a), -1), b.labels]),
        class_names=b.class_names,
        split=np.concatenate([_split(unlabelled, test_fraction),
                              _split(labelled, test_fraction)]),
        meta={"source": np.array(["unlabelled"] * len(a) + ["labelled"] * len(b))},
        warnings=[*a.warnings, *b.warnings],
    )
    images = np.concatenate([np.asarray(unlabelled.images), np.asarray(labelled.images)])
    return Frames(table, images)
