"""A task does not change after it is built, nor does it change the frames it is built from:
on the real KITTI odometry frames (video, a neighbour window) and ETH-80 views."""

import dataclasses

import numpy as np
import pytest

from egoequiv.config import load_config
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.task.build import build_task


def cfg(**kw):
    return load_config(overrides={"image_size": 16, "channels": 1, **kw})


@pytest.fixture(scope="module")
def kitti(shared_data):
    return load_frames(open_source(f"kitti-odometry:{shared_data / 'kitti_odometry'}"), 16, 1,
                       quiet=True)


@pytest.fixture(scope="module")
def eth80(shared_data):
    return load_frames(open_source(f"eth80:{shared_data / 'eth80'}"), 16, 1, quiet=True)


def brute_video_pairs(table, frames, window):
    """(i, j) among ``frames``: one sequence, t_i < t_j <= t_i + window."""
    t = table.time
    return {(a, b) for a in frames for b in frames if table.sequence[a] == table.sequence[b]
            and t[a] < t[b] <= t[a] + window}


def test_a_window_gives_a_new_table_and_leaves_the_frames_as_they_were(kitti):
    rule = kitti.table.neighbours
    assert rule.layout == "video" and rule.window != 0.5
    narrow = build_task(kitti, cfg(window=0.5))
    assert kitti.table.neighbours is rule  # the source's (cached) table is untouched
    assert narrow.table.neighbours.window == 0.5 and narrow.frames.images is kitti.images
    got = set(zip(narrow.pairs.i.tolist(), narrow.pairs.j.tolist()))
    assert got == brute_video_pairs(kitti.table, narrow.unlabelled.tolist(), 0.5)
    # a later task without a window of its own has the source's window, not the last one
    default = build_task(kitti, cfg())
    got = set(zip(default.pairs.i.tolist(), default.pairs.j.tolist()))
    assert got == brute_video_pairs(kitti.table, default.unlabelled.tolist(), rule.window)
    assert len(default.pairs) > len(narrow.pairs)


def test_a_task_and_its_parts_are_frozen(eth80):
    task = build_task(eth80, cfg())
    for obj, name in ((task, "patterns"), (task.pairs, "pattern"), (task.patterns, "radius")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)


def test_new_patterns_give_a_new_task_and_leave_the_old_one(eth80):
    task = build_task(eth80, cfg())
    other = build_task(eth80, cfg(view_patterns="kmeans", num_patterns=3)).patterns
    before = task.pairs.pattern.copy(), task.test_pairs.pattern.copy()
    moved = task.with_patterns(other)
    assert moved.patterns is other and task.patterns.num_patterns == 4
    assert np.array_equal(moved.pairs.pattern, other.assign(task.pairs.motion))
    assert np.array_equal(moved.test_pairs.pattern, other.assign(task.test_pairs.motion))
    assert not np.array_equal(moved.pairs.pattern, before[0])
    assert np.array_equal(task.pairs.pattern, before[0])
    assert np.array_equal(task.test_pairs.pattern, before[1])
    assert np.array_equal(moved.pairs.i, task.pairs.i) and moved.train is task.train
