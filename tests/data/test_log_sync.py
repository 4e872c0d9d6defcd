"""Which frame times a log covers: within its span, a sample near enough, no gap bridged."""

import numpy as np
import pytest

from egoequiv.data.log_sync import EVERY, TOLERANCE, within_log
from egoequiv.data.registry import open_source, source_class
from egoequiv.errors import ConfigError


def test_kept_times_lie_in_the_span_near_a_sample():
    times = np.array([0.0, 0.1, 0.2, 1.0, 1.1])  # a gap of 0.8 s after 0.2
    at = np.array([-0.05, 0.0, 0.15, 0.6, 1.05, 1.2])
    keep, hi = within_log(times, at, tolerance=0.1)
    assert keep.tolist() == [False, True, True, False, True, False]
    assert hi[keep].tolist() == [1, 2, 4]  # the sample after each kept time


@pytest.mark.parametrize("name", ["video", "rosbag"])
def test_both_log_sources_share_one_declaration_and_refuse_bad_values(tmp_path, name):
    declared = source_class(name).options
    assert declared["tolerance"] is TOLERANCE and declared["every"] is EVERY
    assert (TOLERANCE.default, EVERY.default) == (0.1, 1)
    for bad, message in (("every=0", "every must be > 0, got 0"),
                         ("tolerance=-0.5", "tolerance must be > 0, got -0.5"),
                         ("every=2.5", "every must be int, got '2.5'")):
        with pytest.raises(ConfigError, match=rf"dataset '{name}': {message}"):
            open_source(f"{name}:{tmp_path},{bad}")
