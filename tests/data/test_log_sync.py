"""Which frame times a log covers: within its span, a sample near enough, no gap bridged."""

import numpy as np
import pytest

from egoequiv.data.log_sync import sync_options, within_log
from egoequiv.errors import DataError


def test_kept_times_lie_in_the_span_near_a_sample():
    times = np.array([0.0, 0.1, 0.2, 1.0, 1.1])  # a gap of 0.8 s after 0.2
    at = np.array([-0.05, 0.0, 0.15, 0.6, 1.05, 1.2])
    keep, hi = within_log(times, at, tolerance=0.1)
    assert keep.tolist() == [False, True, True, False, True, False]
    assert hi[keep].tolist() == [1, 2, 4]  # the sample after each kept time


def test_sync_options_defaults_and_bad_values(tmp_path):
    assert sync_options(tmp_path, {}) == (0.1, 1)
    with pytest.raises(DataError, match="tolerance must be > 0 s and every >= 1"):
        sync_options(tmp_path, {"every": 0})
