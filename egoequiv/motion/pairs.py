"""Frame pairs: temporal/viewpoint neighbours, their motions, and non-neighbour negatives.

A pair (i, j) is two frames of one sequence that the source's NeighbourRule calls
neighbours (within ``window`` seconds for video, adjacent viewpoints for views). Its
motion is y_j - y_i with angles wrapped (MotorSpec.difference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egoequiv.data.table import FrameTable


@dataclass
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
                     rng: np.random.Generator, tries: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random non-neighbour pairs from ``pool`` (rejection sampling)."""
    a = rng.choice(pool, size=count)
    b = rng.choice(pool, size=count)
    for _ in range(tries):
        bad = are_neighbours(table, a, b)
        if not bad.any():
            break
        b[bad] = rng.choice(pool, size=int(bad.sum()))
    return a, b
