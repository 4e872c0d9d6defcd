"""From decoded frames to a learning task: splits, the labelled subset, pairs and patterns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egoequiv.config import Config
from egoequiv.data.cache import Frames
from egoequiv.errors import EgoequivError
from egoequiv.evaluate.recognition import choose_subset
from egoequiv.motion.pairs import Pairs, neighbour_pairs
from egoequiv.motion.patterns import MotionPatterns, fit_patterns

SPLIT_SEED = 20170101  # the train/test split of sequences must not move with the run seed


@dataclass
class Task:
    frames: Frames
    train: np.ndarray  # frame indices
    test: np.ndarray
    labelled: np.ndarray  # training frames whose labels the learner sees
    unlabelled: np.ndarray  # the other training frames: the pool of unlabelled pairs
    pairs: Pairs  # neighbour pairs among ``unlabelled``, patterns assigned
    test_pairs: Pairs  # neighbour pairs among ``test``, patterns assigned
    patterns: MotionPatterns
    motion_mean: np.ndarray  # (D,) of training pair motions, to z-score (lsm, continuous)
    motion_std: np.ndarray

    @property
    def table(self):
        return self.frames.table

    @property
    def num_classes(self) -> int:
        return self.table.num_classes or 0

    def zscore(self, motion: np.ndarray) -> np.ndarray:
        return (motion - self.motion_mean) / self.motion_std


def split_frames(frames: Frames, test_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The source's own split, else whole sequences, else one sequence cut in time."""
    table = frames.table
    if table.split is not None:
        train, test = np.flatnonzero(table.split == "train"), np.flatnonzero(table.split == "test")
        if len(train) and len(test):
            return train, test
    seqs = np.unique(table.sequence)
    if len(seqs) >= 2:
        rng = np.random.default_rng(SPLIT_SEED)
        n_test = min(len(seqs) - 1, max(1, round(test_fraction * len(seqs))))
        test_seqs = rng.choice(seqs, n_test, replace=False)
        is_test = np.isin(table.sequence, test_seqs)
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    order = np.argsort(table.time, kind="stable")
    cut = int(round(len(order) * (1 - test_fraction)))
    return np.sort(order[:cut]), np.sort(order[cut:])


def choose_labelled(frames: Frames, train: np.ndarray, per_class: int, split: int) -> np.ndarray:
    """``per_class`` random labelled training frames of each class (subset number ``split``)."""
    labels = frames.table.labels
    if labels is None or per_class == 0:
        return np.zeros(0, dtype=np.int64)
    return choose_subset(labels, train, per_class, np.random.default_rng([SPLIT_SEED, split]))


def build_task(frames: Frames, cfg: Config) -> Task:
    table = frames.table
    if cfg.window and table.neighbours.layout == "video":
        from dataclasses import replace

        table.neighbours = replace(table.neighbours, window=cfg.window)
    train, test = split_frames(frames, cfg.test_fraction)
    labelled = choose_labelled(frames, train, cfg.labels_per_class, cfg.label_split)
    unlabelled = np.setdiff1d(train, labelled)
    pairs = neighbour_pairs(table, unlabelled)
    if len(pairs) == 0:
        raise EgoequivError(
            f"no neighbour pairs among the {len(unlabelled)} unlabelled training frames "
            f"({len(labelled)} more are labelled): check the neighbour window / steps of "
            "this source, or lower labels_per_class")
    num_patterns = cfg.num_patterns or 2 * table.motor_spec.dim
    try:
        patterns = fit_patterns(pairs.motion, num_patterns, seed=cfg.seed,
                                min_motion=cfg.min_motion, keep_fraction=cfg.keep_fraction)
    except ValueError as e:
        raise EgoequivError(f"motion patterns: {e}") from None
    pairs.pattern = patterns.assign(pairs.motion)
    test_pairs = neighbour_pairs(table, test)
    test_pairs.pattern = patterns.assign(test_pairs.motion)
    std = pairs.motion.std(axis=0)
    return Task(frames, train, test, labelled, unlabelled, pairs, test_pairs, patterns,
                pairs.motion.mean(axis=0), np.where(std > 0, std, 1.0))
