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


@pytest.fixture(scope="module")
def two_drives(shared_data):
    """The two real KITTI odometry sequences (51 frames each): one drives straight, the
    other turns."""
    path = shared_data / "kitti_odometry"
    return load_frames(open_source(f"kitti-odometry:{path}"), 16, 1, quiet=True).table


def test_split_time_cuts_every_sequence_as_if_it_were_alone(two_drives):
    from egoequiv.motion.pairs import neighbour_pairs
    from egoequiv.task.build import split_frames

    train, test = split_frames(two_drives, 0.5, 4, "time")
    for q in (0, 1):
        frames = np.flatnonzero(two_drives.sequence == q)
        alone_train, alone_test = split_in_time(two_drives, 0.5, 4, frames)
        np.testing.assert_array_equal(train[np.isin(train, frames)], alone_train)
        np.testing.assert_array_equal(test[np.isin(test, frames)], alone_test)
        assert len(alone_train) and len(alone_test)  # each drive reaches both sides
    pairs = neighbour_pairs(two_drives, test)
    assert len(pairs) and not np.isin(pairs.i, train).any() and not np.isin(pairs.j, train).any()
    # auto (and sequences) hold a whole drive out instead
    for how in ("auto", "sequences"):
        train, test = split_frames(two_drives, 0.5, 4, how)
        assert len(np.unique(two_drives.sequence[test])) == 1
        assert not np.isin(two_drives.sequence[train], two_drives.sequence[test]).any()


def test_split_sequences_on_one_sequence_is_refused_by_name(table):
    from egoequiv.errors import EgoequivError
    from egoequiv.task.build import split_frames

    with pytest.raises(EgoequivError, match=r"split=sequences .* 1 sequence: use split=time"):
        split_frames(table, 0.5, 4, "sequences")


def test_the_split_line_counts_test_pairs_in_a_pattern_and_names_split_time(two_drives):
    """input: a straight drive held out from a turning one: its pairs fall in few of the
    turning drive's patterns; cut in time, every pattern has test pairs."""
    import re

    from egoequiv.config import Config
    from egoequiv.task.build import describe_patterns

    whole = describe_patterns(two_drives, Config())
    counted = re.search(r"(\d+) test pairs, (\d+) of them in a training pattern; patterns "
                        r"with no test pairs: ([\d, ]+)", whole["split"])
    assert counted, whole["split"]
    assert int(counted[1]) == whole["test_pairs"]
    assert int(counted[2]) == sum(p["test_pairs"] for p in whole["patterns"])
    empty = [p["pattern"] for p in whole["patterns"] if p["test_pairs"] == 0]
    assert counted[3].split(", ") == [str(g) for g in empty]
    assert 2 * len(empty) > len(whole["patterns"])
    assert whole["split"].endswith("split=time cuts every sequence in time instead")
    cut = describe_patterns(two_drives, Config(split="time"))
    assert "2 sequences cut in time" in cut["split"] and "split=time" not in cut["split"]
    assert all(p["test_pairs"] for p in cut["patterns"]), cut["split"]
