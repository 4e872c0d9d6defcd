"""Matching frames to a timestamped log (a video clip's log, a bag's poses): which frame
times a log covers, and the options that say how closely (``tolerance``, ``every``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.errors import DataError


def sync_options(path: Path, opts: dict) -> tuple[float, int]:
    """(tolerance in s, keep every k-th frame) from a source's options; one line if bad."""
    tolerance = float(opts.get("tolerance", 0.1))
    every = int(opts.get("every", 1))
    if not tolerance > 0 or every < 1:
        raise DataError(path, f"tolerance must be > 0 s and every >= 1, got "
                              f"tolerance={tolerance}, every={every}")
    return tolerance, every


def within_log(times: np.ndarray, at: np.ndarray, tolerance: float) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """(kept mask over ``at``, index of the log sample after each time): a time is kept when
    it lies within the log's span and its nearest sample is at most ``tolerance`` seconds
    away, so interpolation never bridges a gap in the log. ``times`` (>= 2) increase."""
    hi = np.clip(np.searchsorted(times, at), 1, len(times) - 1)
    nearest = np.minimum(np.abs(at - times[hi - 1]), np.abs(times[hi] - at))
    return (at >= times[0]) & (at <= times[-1]) & (nearest <= tolerance), hi
