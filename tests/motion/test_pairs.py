import dataclasses

import numpy as np
import pytest

from egoequiv.data.motor import MotorSpec
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.motion.pairs import (
    NEGATIVE_TRIES,
    are_neighbours,
    negatives_warning,
    neighbour_pairs,
    sample_negatives,
)
from egoequiv.motion.patterns import fit_patterns


def video_table(times_per_seq, window=1.0):
    refs, seq, time, motor = [], [], [], []
    for s, times in enumerate(times_per_seq):
        for t in times:
            refs.append(f"f{s}-{t}")
            seq.append(s)
            time.append(t)
            motor.append((10.0 * t % 360, 2.0 * t))
    spec = MotorSpec(("heading", "odometer"), ("deg", "m"), (360.0, None))
    return FrameTable(refs, np.array(motor), spec, np.array(seq), [str(s) for s in
                      range(len(times_per_seq))], np.array(time), NeighbourRule("video", window))


def brute_video_pairs(table):
    out = set()
    for a in range(len(table)):
        for b in range(len(table)):
            dt = table.time[b] - table.time[a]
            if table.sequence[a] == table.sequence[b] and 0 < dt <= table.neighbours.window:
                out.add((a, b))
    return out


def test_video_pairs_match_brute_force_and_stay_within_sequences():
    table = video_table([[0, 0.4, 0.9, 1.5, 3.0, 3.1], [0, 0.5, 1.0, 1.6]], window=1.0)
    pairs = neighbour_pairs(table)
    assert set(zip(pairs.i.tolist(), pairs.j.tolist())) == brute_video_pairs(table)
    assert (table.sequence[pairs.i] == table.sequence[pairs.j]).all()


def test_motion_is_wrapped_difference():
    spec = MotorSpec(("yaw",), ("deg",), (360.0,))
    table = FrameTable(["a", "b"], np.array([[350.0], [10.0]]), spec, np.array([0, 0]), ["s"],
                       np.array([0.0, 0.1]), NeighbourRule("video", 1.0))
    pairs = neighbour_pairs(table)
    assert pairs.motion.tolist() == [[20.0]]


def test_view_pairs_are_adjacent_viewpoints_both_ways():
    # a 3 x 4 grid of views: elevation 30, 35, 40; azimuth 0, 20, 40, ..., cyclic at 360
    el, az = np.meshgrid([30.0, 35.0, 40.0], [0.0, 20.0, 40.0, 340.0], indexing="ij")
    motor = np.stack([el.ravel(), az.ravel()], axis=1)
    spec = MotorSpec(("elevation", "azimuth"), ("deg", "deg"), (None, 360.0))
    n = len(motor)
    table = FrameTable([str(k) for k in range(n)], motor, spec, np.zeros(n), ["obj"],
                       np.arange(n), NeighbourRule("views", steps=(5.0, 20.0)))
    pairs = neighbour_pairs(table)
    got = set(zip(pairs.i.tolist(), pairs.j.tolist()))
    expected = set()
    for a in range(n):
        for b in range(n):
            d_el = abs(motor[a, 0] - motor[b, 0])
            d_az = abs((motor[b, 1] - motor[a, 1] + 180) % 360 - 180)
            if a != b and d_el <= 5 and d_az <= 20:
                expected.add((a, b))
    assert got == expected
    # azimuth 340 -> 0 is a +20 degree step, not -340
    k = [(a, b) for a, b in got if motor[a, 1] == 340 and motor[b, 1] == 0][0]
    idx = list(zip(pairs.i.tolist(), pairs.j.tolist())).index(k)
    assert pairs.motion[idx, 1] == 20.0


def test_negatives_are_never_neighbours():
    table = video_table([np.arange(0, 5, 0.1), np.arange(0, 5, 0.1)], window=0.5)
    pool = np.arange(len(table))
    neg = sample_negatives(table, pool, 500, np.random.default_rng(0))
    assert not are_neighbours(table, neg.i, neg.j).any() and neg.neighbours == 0


def rejection_sample(table, pool, count, rng, tries):
    """The sampling written out pair by pair: draw a, b; redraw each b that is a
    neighbour of its a, all such b's of one round at once, at most ``tries`` rounds."""
    a, b = rng.choice(pool, size=count), rng.choice(pool, size=count)
    for _ in range(tries):
        bad = [k for k in range(count) if are_neighbours(table, a[k:k + 1], b[k:k + 1])[0]]
        if not bad:
            break
        b[bad] = rng.choice(pool, size=len(bad))
    return a, b


@pytest.mark.parametrize("window, left_over", [(0.5, "none"), (2.0, "some"), (10.0, "all")])
def test_neighbours_left_among_negatives_are_counted_and_draws_unchanged(window, left_over):
    # one sequence of 0..2.75 s: a 10 s window makes every pair a neighbour, 2 s most of them
    table = video_table([np.arange(0, 3, 0.25)], window=window)
    pool = np.arange(len(table))
    neg = sample_negatives(table, pool, 200, np.random.default_rng(3))
    a, b = rejection_sample(table, pool, 200, np.random.default_rng(3), NEGATIVE_TRIES)
    assert np.array_equal(neg.i, a) and np.array_equal(neg.j, b)
    left = sum(bool(are_neighbours(table, a[k:k + 1], b[k:k + 1])[0]) for k in range(200))
    assert neg.neighbours == left
    assert {"none": left == 0, "some": 0 < left < 200, "all": left == 200}[left_over]


def test_negatives_warning_names_the_count():
    text = negatives_warning(5, 80, "training batches")
    assert text.startswith("training batches: 5 of 80 negative pairs are neighbours")
    assert "\n" not in text


def test_pairs_are_frozen_and_assigned_anew():
    table = video_table([np.arange(0, 5, 0.1)], window=0.3)
    pairs = neighbour_pairs(table)
    patterns = fit_patterns(pairs.motion, 2, seed=0)
    assigned = pairs.assigned(patterns)
    assert (pairs.pattern == -1).all()  # the unassigned pairs are untouched
    assert np.array_equal(assigned.pattern, patterns.assign(pairs.motion))
    assert (assigned.pattern >= 0).any()
    with pytest.raises(dataclasses.FrozenInstanceError):
        pairs.pattern = assigned.pattern
