"""Frame pairs: temporal/viewpoint neighbours, their motions, and non-neighbour negatives.

A pair (i, j) is two frames of one sequence that the source's NeighbourRule calls
neighbours (within ``window`` seconds for video, adjacent viewpoints for views). Its
motion is y_j - y_i with angles wrapped (MotorSpec.difference).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from egoequiv.data.table import FrameTable

if TYPE_CHECKING:  # types only
    from egoequiv.motion.patterns import MotionPatterns

#: how often a negative's partner is redrawn while it is a neighbour
NEGATIVE_TRIES = 8


@dataclass(frozen=True)
class Pairs:
    """P pairs of frame indices with their motions and motion patterns (-1: none)."""

    i: np.ndarray  # (P,) int64
    j: np.ndarray  # (P,) int64
    motion: np.ndarray  # (P, D) float64
    pattern: np.ndarray  # (P,) int64

    def __len__(self) -> int:
        return len(self.i)

    def select(self, mask_or_index: np.ndarray) -> Pairs:
        s = mask_or_index
        return Pairs(self.i[s], self.j[s], self.motion[s], self.pattern[s])

    def assigned(self, patterns: MotionPatterns) -> Pairs:
        """These pairs with the motion patterns ``patterns`` gives their motions."""
        return replace(self, pattern=patterns.assign(self.motion))


@dataclass(frozen=True)
class Negatives:
    """Random pairs of a pool, drawn as non-neighbours; ``neighbours`` of them are neighbours
    all the same (no partner that is not one was found in ``NEGATIVE_TRIES`` draws: a pool of
    few frames, or of frames all within one neighbour window)."""

    i: np.ndarray  # (count,) int64
    j: np.ndarray
    neighbours: int


def neighbour_pairs(table: FrameTable, frames: np.ndarray | None = None) -> Pairs:
    """All neighbour pairs among ``frames`` (default: every frame) of ``table``.

    Video: ordered forward in time, 0 < t_j - t_i <= window. Views: both directions.
    """
    frames = np.arange(len(table)) if frames is None else np.asarray(frames, dtype=np.int64)
    rule = table.neighbours
    out_i, out_j = [], []
    seqs = table.sequence[frames]
    order = np.argsort(seqs, kind="stable")
    bounds = np.flatnonzero(np.diff(seqs[order])) + 1
    for group in np.split(frames[order], bounds):
        if len(group) < 2:
            continue
        if rule.layout == "video":
            a, b = _video_pairs(table.time[group], rule.window)
        else:
            a, b = _view_pairs(table, group, np.asarray(rule.steps))
        out_i.append(group[a])
        out_j.append(group[b])
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, np.zeros((0, table.motor_spec.dim)), empty)
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    motion = table.motor_spec.difference(table.motor[i], table.motor[j])
    return Pairs(i, j, motion, np.full(len(i), -1, dtype=np.int64))


def _video_pairs(times: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(times, kind="stable")
    t = times[order]
    hi = np.searchsorted(t, t + window, side="right")
    counts = hi - np.arange(len(t)) - 1
    a = np.repeat(np.arange(len(t)), counts)
    b = a + 1 + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    keep = t[b] > t[a]
    return order[a[keep]], order[b[keep]]


def _view_pairs(table: FrameTable, group: np.ndarray, steps: np.ndarray):
    y = table.motor[group]
    diff = table.motor_spec.difference(y[:, None, :], y[None, :, :])
    close = (np.abs(diff) <= steps + 1e-9).all(axis=2)
    np.fill_diagonal(close, False)
    return np.nonzero(close)


def are_neighbours(table: FrameTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: are frames a[k] and b[k] neighbours (or the same frame)?"""
    same = table.sequence[a] == table.sequence[b]
    rule = table.neighbours
    if rule.layout == "video":
        close = np.abs(table.time[a] - table.time[b]) <= rule.window
    else:
        diff = table.motor_spec.difference(table.motor[a], table.motor[b])
        close = (np.abs(diff) <= np.asarray(rule.steps) + 1e-9).all(axis=1)
    return same & close


def sample_negatives(table: FrameTable, pool: np.ndarray, count: int,
                     rng: np.random.Generator, tries: int = NEGATIVE_TRIES) -> Negatives:
    """``count`` random non-neighbour pairs from ``pool`` (rejection sampling: a neighbour's
    partner is redrawn up to ``tries`` times); those still neighbours are counted."""
    a = rng.choice(pool, size=count)
    b = rng.choice(pool, size=count)
    bad = are_neighbours(table, a, b)
    for _ in range(tries):
        if not bad.any():
            break
        b[bad] = rng.choice(pool, size=int(bad.sum()))
        bad = are_neighbours(table, a, b)
    return Negatives(a, b, int(bad.sum()))


def negatives_warning(neighbours: int, drawn: int, where: str) -> str:
    """The warning for ``neighbours`` of ``drawn`` negative pairs that are neighbours."""
    return (f"{where}: {neighbours} of {drawn} negative pairs are neighbours (no other "
            f"partner in {NEGATIVE_TRIES} draws; the frame pool has too few non-neighbours): "
            "they count as non-neighbours all the same")
