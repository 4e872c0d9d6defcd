"""From decoded frames to a learning task: splits, the labelled subset, pairs and patterns.

A task does not change once built: new motion patterns give a new one (``with_patterns``),
and a config's neighbour window gives a new table, never a change to the source's (cached)
one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from egoequiv.config import Config
from egoequiv.data.cache import Frames
from egoequiv.data.pose import hidden_vertical_warning
from egoequiv.data.table import FrameTable
from egoequiv.errors import EgoequivError
from egoequiv.motion.pairs import Pairs, neighbour_pairs
from egoequiv.motion.patterns import (
    MIXED_RATIO,
    MIXED_SPLIT,
    MotionPatterns,
    fit_patterns,
    grid_patterns,
    pattern_labels,
    purity,
)
from egoequiv.task.subset import choose_subset

SPLIT_SEED = 20170101  # the train/test split of sequences must not move with the run seed


@dataclass(frozen=True)
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
    warnings: list[str] = field(default_factory=list)  # usable but odd: shown with results

    @property
    def table(self):
        return self.frames.table

    @property
    def num_classes(self) -> int:
        return self.table.num_classes or 0

    @property
    def pattern_labels(self) -> list[str]:
        """Each motion pattern named by its motion in the motor's units (``motion.patterns``),
        the one naming every table, plot and record uses."""
        spec = self.table.motor_spec
        return pattern_labels(self.patterns, spec.names, spec.units)

    def zscore(self, motion: np.ndarray) -> np.ndarray:
        return (motion - self.motion_mean) / self.motion_std

    def with_patterns(self, patterns: MotionPatterns) -> Task:
        """This task with other motion patterns (its pairs assigned to them)."""
        return replace(self, patterns=patterns, pairs=self.pairs.assigned(patterns),
                       test_pairs=self.test_pairs.assigned(patterns))


def split_frames(table: FrameTable, test_fraction: float, time_chunks: int = 1,
                 how: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """(train, test) frame indices of ``table``: the source's own split, else by ``how``
    (the ``split`` key): ``sequences`` holds whole sequences out, ``time`` cuts every
    sequence in time (``split_in_time``), ``auto`` is ``sequences`` for two or more
    sequences and ``time`` for one."""
    if table.split is not None:
        train, test = np.flatnonzero(table.split == "train"), np.flatnonzero(table.split == "test")
        if len(train) and len(test):
            return train, test
    seqs = np.unique(table.sequence)
    if how == "sequences" and len(seqs) < 2:
        raise EgoequivError("split=sequences holds whole sequences out, but this source has "
                            "1 sequence: use split=time (or auto) to cut it in time")
    if _holds_whole(table, how):
        rng = np.random.default_rng(SPLIT_SEED)
        n_test = min(len(seqs) - 1, max(1, round(test_fraction * len(seqs))))
        test_seqs = rng.choice(seqs, n_test, replace=False)
        is_test = np.isin(table.sequence, test_seqs)
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    sides = [split_in_time(table, test_fraction, time_chunks, np.flatnonzero(table.sequence == q))
             for q in seqs]
    return (np.sort(np.concatenate([tr for tr, _ in sides])),
            np.sort(np.concatenate([te for _, te in sides])))


def _holds_whole(table: FrameTable, how: str) -> bool:
    """Does ``split=how`` hold whole sequences out of ``table`` (else cut them in time)?"""
    return how == "sequences" or (how == "auto" and len(np.unique(table.sequence)) >= 2)


def split_in_time(table, test_fraction: float, chunks: int, frames: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One sequence (``frames`` of ``table``, default every frame) cut into ``chunks`` runs
    of consecutive frames, a ``test_fraction`` of them, spread along the recording, held
    out; so the two halves of a manoeuvre can reach both sides. Pairs are built within each
    side, so none spans a cut; the test frame at each cut is dropped as well, so no test
    frame is the next frame of a training frame."""
    frames = np.arange(len(table)) if frames is None else frames
    order = frames[np.argsort(table.time[frames], kind="stable")]
    chunks = max(1, min(chunks, len(order) // 4))
    bounds = np.linspace(0, len(order), chunks + 1).round().astype(int)
    # chunk c is held out when the running count of test chunks steps up at c
    steps = np.floor((np.arange(chunks) + 1) * test_fraction + 1e-9) - \
        np.floor(np.arange(chunks) * test_fraction + 1e-9)
    is_test = steps.astype(bool) if chunks > 1 else np.array([False])
    if chunks == 1 or not is_test.any():  # one cut: the end of the recording is held out
        cut = int(round(len(order) * (1 - test_fraction)))
        return np.sort(order[:cut]), np.sort(order[cut:])
    side = np.repeat(is_test, np.diff(bounds))
    cuts = np.flatnonzero(side[1:] != side[:-1])  # a cut lies between c and c + 1
    guard = np.zeros(len(side), bool)
    guard[np.where(side[cuts + 1], cuts + 1, cuts)] = True  # the test frame at each cut
    return np.sort(order[~side]), np.sort(order[side & ~guard])


def split_note(task: Task, how: str = "auto") -> str:
    """The split in one line, as ``train`` prints it: how it was made (``how``: the run's
    ``split`` key), the frames on each side, and the patterns without test pairs."""
    return _split_line(task.table, task.train, task.test, task.test_pairs,
                       task.patterns.num_patterns, how)


def _split_line(table: FrameTable, train, test, test_pairs: Pairs, num_patterns: int,
                how: str = "auto") -> str:
    seqs = len(np.unique(table.sequence))
    whole = _holds_whole(table, how)
    if table.split is not None:
        what = "the source's own split"
    elif whole:
        what = f"{seqs} sequences, whole ones held out"
    else:
        what = f"{seqs} sequence{'s' if seqs > 1 else ''} cut in time (time_chunks)"
    inside = test_pairs.pattern >= 0
    counts = np.bincount(test_pairs.pattern[inside], minlength=num_patterns)
    missing = [str(g) for g in range(num_patterns) if counts[g] == 0]
    line = (f"split: {what}: {len(train)} train / {len(test)} test frames; "
            f"{len(test_pairs)} test pairs, {int(inside.sum())} of them in a training "
            f"pattern; patterns with no test pairs: {', '.join(missing) or 'none'}")
    if table.split is None and whole and 2 * len(missing) > num_patterns:
        line += ("; the held-out sequences move unlike the training ones: split=time cuts "
                 "every sequence in time instead")
    return line


def validation_split(table: FrameTable, train: np.ndarray, fraction: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Carve a validation set out of the training frames, by whole groups (the ``instance``
    column where the source has one, else sequences), per class: about ``fraction`` of each
    class's groups, at least one where the class has two or more, never all of them. The
    test split is not touched, so choices made on the validation set never see it."""
    group_of = table.meta.get("instance", table.sequence)
    groups = np.unique(group_of[train])
    labels = table.labels if table.labels is not None else np.full(len(table), -1)
    cls = np.array([np.max(labels[train][group_of[train] == g], initial=-1) for g in groups])
    rng = np.random.default_rng([SPLIT_SEED, 1])
    held = []
    for c in np.unique(cls):
        members = groups[cls == c]
        count = min(len(members) - 1, max(1, round(fraction * len(members))))
        if count > 0:
            held.extend(rng.choice(members, count, replace=False))
    is_val = np.isin(group_of[train], held)
    if not is_val.any():
        raise EgoequivError("validation split: the training set has too few instances or "
                            "sequences to hold any out")
    return train[~is_val], train[is_val]


def choose_labelled(table: FrameTable, train: np.ndarray, per_class: int, split: int
                    ) -> np.ndarray:
    """``per_class`` random labelled training frames of each class (subset number ``split``)."""
    labels = table.labels
    if labels is None or per_class == 0:
        return np.zeros(0, dtype=np.int64)
    return choose_subset(labels, train, per_class, np.random.default_rng([SPLIT_SEED, split]))


def make_patterns(table, pairs: Pairs, cfg: Config) -> MotionPatterns:
    """One pattern per grid step on a views layout (``view_patterns``), else k-means.

    k-means is seeded with SPLIT_SEED, not the run seed, so every label split and method of
    a task shares the same patterns (per-pattern numbers then mean the same motion)."""
    rule = table.neighbours
    try:
        if rule.layout == "views" and cfg.view_patterns != "kmeans":
            if cfg.num_patterns:
                raise ValueError(f"num_patterns={cfg.num_patterns} applies to k-means only; "
                                 f"with view_patterns={cfg.view_patterns!r} the grid gives "
                                 "the patterns (set view_patterns=kmeans to cluster)")
            return grid_patterns(pairs.motion, rule.steps, diagonals="diagonals" in
                                 cfg.view_patterns, min_motion=cfg.min_motion)
        num_patterns = cfg.num_patterns or 2 * table.motor_spec.dim
        return fit_patterns(pairs.motion, num_patterns, seed=SPLIT_SEED,
                            min_motion=cfg.min_motion, keep_fraction=cfg.keep_fraction)
    except ValueError as e:
        raise EgoequivError(f"motion patterns: {e}") from None


def pattern_summary(table, pairs: Pairs, patterns: MotionPatterns) -> dict:
    """Per pattern: its motion, pair count and purity (``motion.patterns.purity``), and
    warnings naming the patterns that mix motions."""
    spec = table.motor_spec
    labels = pattern_labels(patterns, spec.names, spec.units)
    pure = purity(pairs.motion, pairs.pattern, patterns)
    rows = [{"pattern": g, "motion": labels[g], "pairs": int((pairs.pattern == g).sum()),
             "spread_ratio": pure["ratio"][g]} for g in range(patterns.num_patterns)]
    warnings = [f"motion pattern {g} ({labels[g]}) mixes motions: {_why_mixed(pure, g)}; "
                "one affine map cannot model it well" for g in pure["mixed"]]
    return {"num_pairs": int(len(pairs)), "patterns": rows, "mixed": pure["mixed"],
            "warnings": warnings}


def _why_mixed(pure: dict, g: int) -> str:
    ratio, split = pure["ratio"][g], pure["split"][g]
    if ratio is not None and ratio >= MIXED_RATIO:
        return (f"spread {ratio:.2f} of the distance to the nearest other pattern "
                f"(>= {MIXED_RATIO})")
    return (f"it splits into two distinct motions (a two-way split removes {split:.2f} of "
            f"its spread, >= {MIXED_SPLIT})")


def describe_patterns(table: FrameTable, cfg: Config | None = None) -> dict:
    """The split and motion patterns a run with ``cfg`` (default settings) would use on
    ``table``: the patterns fitted on the training pairs, with the training and test pairs
    of each. What ``egoequiv data info`` shows."""
    cfg = cfg or Config()
    table = _windowed(table, cfg.window)
    train, test, labelled, unlabelled = _frames_of(table, cfg)
    pairs, test_pairs = neighbour_pairs(table, unlabelled), neighbour_pairs(table, test)
    counts = {"num_pairs": int(len(neighbour_pairs(table))), "train_pairs": int(len(pairs)),
              "test_pairs": int(len(test_pairs))}
    if len(pairs) == 0:
        return {**counts, "patterns": [], "mixed": [],
                "warnings": ["no neighbour pairs among the training frames: no motion "
                             "patterns"]}
    spec = table.motor_spec
    motion = [{"name": n, "unit": u, "min": float(col.min()), "max": float(col.max()),
               "median": float(np.median(col))}
              for n, u, col in zip(spec.names, spec.units, pairs.motion.T)]
    hidden = hidden_vertical_warning(spec, table.motor[pairs.i], table.motor[pairs.j])
    try:
        patterns = make_patterns(table, pairs, cfg)
    except EgoequivError as e:  # too few motions for the patterns: say so, show the rest
        return {**counts, "motion": motion, "patterns": [], "mixed": [],
                "warnings": hidden + [str(e)]}
    test_pairs = test_pairs.assigned(patterns)
    summary = pattern_summary(table, pairs.assigned(patterns), patterns)
    for row in summary["patterns"]:
        row["test_pairs"] = int((test_pairs.pattern == row["pattern"]).sum())
    summary["warnings"] = hidden + summary["warnings"]
    return {**summary, **counts, "motion": motion,
            "split": _split_line(table, train, test, test_pairs, patterns.num_patterns,
                                 cfg.split)}


def with_window(frames: Frames, window: float) -> Frames:
    """``frames`` with neighbours within ``window`` seconds on a video source (0: the
    source's own window): a new table, the source's untouched."""
    table = _windowed(frames.table, window)
    return frames if table is frames.table else replace(frames, table=table)


def _windowed(table: FrameTable, window: float) -> FrameTable:
    if not window or table.neighbours.layout != "video":
        return table
    return replace(table, neighbours=replace(table.neighbours, window=window),
                   meta=dict(table.meta), warnings=list(table.warnings))


def build_task(frames: Frames, cfg: Config, needs_pairs: bool = True) -> Task:
    """The task of ``frames`` under ``cfg``. ``needs_pairs=False`` (a method of labels
    alone, clsnet): where the pairs cannot form motion patterns (still images), the same
    splits and labelled subset with the pairs there are and no motion pattern."""
    frames = with_window(frames, cfg.window)
    train, test, labelled, unlabelled = _frames_of(frames.table, cfg)
    try:
        return _patterned_task(frames, cfg, train, test, labelled, unlabelled)
    except EgoequivError:
        if needs_pairs:
            raise
        return _labels_only_task(frames, cfg, train, test, labelled, unlabelled)


def _frames_of(table: FrameTable, cfg: Config) -> tuple[np.ndarray, ...]:
    """(train, test, labelled, unlabelled) frame indices."""
    train, test = split_frames(table, cfg.test_fraction, cfg.time_chunks, cfg.split)
    if cfg.validation_fraction:  # model selection: measure on held-out training groups
        train, test = validation_split(table, train, cfg.validation_fraction)
    labelled = choose_labelled(table, train, cfg.labels_per_class, cfg.label_split)
    return train, test, labelled, np.setdiff1d(train, labelled)


def _patterned_task(frames: Frames, cfg: Config, train, test, labelled, unlabelled) -> Task:
    table = frames.table
    pairs = neighbour_pairs(table, unlabelled)
    if len(pairs) == 0:
        raise EgoequivError(
            f"no neighbour pairs among the {len(unlabelled)} unlabelled training frames "
            f"({len(labelled)} more are labelled): check the neighbour window / steps of "
            "this source, or lower labels_per_class")
    patterns = make_patterns(table, pairs, cfg)
    pairs = pairs.assigned(patterns)
    test_pairs = neighbour_pairs(table, test).assigned(patterns)
    std = pairs.motion.std(axis=0)
    return Task(frames, train, test, labelled, unlabelled, pairs, test_pairs, patterns,
                pairs.motion.mean(axis=0), np.where(std > 0, std, 1.0),
                hidden_vertical_warning(table.motor_spec, table.motor[pairs.i],
                                        table.motor[pairs.j])
                + _label_warnings(table, labelled, test))


def _labels_only_task(frames: Frames, cfg: Config, train, test, labelled, unlabelled) -> Task:
    """A task without motion patterns (the pairs there are, none assigned), for a method
    that needs none."""
    table = frames.table
    dim = table.motor_spec.dim
    none = MotionPatterns(np.zeros((0, dim)), np.ones(dim), np.zeros(0), cfg.min_motion)

    def unpatterned(idx):
        pairs = neighbour_pairs(table, idx)
        return replace(pairs, pattern=np.full(len(pairs), -1, dtype=np.int64))

    return Task(frames, train, test, labelled, unlabelled, unpatterned(unlabelled),
                unpatterned(test), none, np.zeros(dim), np.ones(dim),
                _label_warnings(table, labelled, test))


def _label_warnings(table, labelled: np.ndarray, test: np.ndarray) -> list[str]:
    """Classes the test split holds that no labelled training frame shows."""
    if table.labels is None or not len(labelled):
        return []
    seen = set(table.labels[labelled].tolist())
    unseen = sorted(set(table.labels[test].tolist()) - seen - {-1})
    if not unseen:
        return []
    names = [table.class_names[c] if table.class_names else str(c) for c in unseen]
    return [f"{len(unseen)} class(es) appear in test but have no labelled training frame "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}): top-1 cannot "
            "be earned on them"]
