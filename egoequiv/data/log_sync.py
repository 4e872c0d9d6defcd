"""Matching frames to a timestamped log (a video clip's log, a bag's poses): which frame
times a log covers, and the options that say how closely (``tolerance``, ``every``)."""

from __future__ import annotations

import numpy as np

from egoequiv.utils.options import Option

TOLERANCE = Option(0.1, "a frame is kept when a log sample lies at most this many seconds "
                        "away: interpolation never bridges a longer gap (ours)", positive=True)
EVERY = Option(1, "keep every k-th frame", positive=True)


def within_log(times: np.ndarray, at: np.ndarray, tolerance: float) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """(kept mask over ``at``, index of the log sample after each time): a time is kept when
    it lies within the log's span and its nearest sample is at most ``tolerance`` seconds
    away, so interpolation never bridges a gap in the log. ``times`` (>= 2) increase."""
    hi = np.clip(np.searchsorted(times, at), 1, len(times) - 1)
    nearest = np.minimum(np.abs(at - times[hi - 1]), np.abs(times[hi] - at))
    return (at >= times[0]) & (at <= times[-1]) & (nearest <= tolerance), hi
