"""One recording cut in time chunks, on the real KITTI odometry sequence (51 frames, 10 Hz)."""

import numpy as np
import pytest

from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.task.build import split_in_time


@pytest.fixture(scope="module")
def table(shared_data):
    path = shared_data / "kitti_odometry" / "KITTI_sequence_1"
    return load_frames(open_source(f"kitti-odometry:{path}"), 16, 1, quiet=True).table


def test_one_chunk_holds_out_the_end_of_the_recording(table):
    train, test = split_in_time(table, 0.5, 1)
    assert (len(train), len(test)) == (26, 25) and train.max() < test.min()


def test_chunks_alternate_and_the_frame_at_each_cut_is_dropped(table):
    train, test = split_in_time(table, 0.5, 4)
    assert np.intersect1d(train, test).size == 0
    # chunks of 13, 13, 12, 13 frames: train, test, train, test; the test frame at each of
    # the three cuts is left out
    assert train.tolist() == list(range(0, 13)) + list(range(26, 38))
    assert test.tolist() == list(range(14, 25)) + list(range(39, 51))
    assert not np.isin(test + 1, train).any() and not np.isin(test - 1, train).any()


def test_more_chunks_than_the_recording_allows_are_capped(table):
    train, test = split_in_time(table, 0.5, 1000)  # at most a chunk per 4 frames
    assert len(train) and len(test) and len(train) + len(test) < len(table)
