"""Grid patterns (one motion per pattern on a view grid) and the purity diagnostic."""

import numpy as np
import pytest

from egoequiv.motion.patterns import MotionPatterns, fit_patterns, grid_patterns, purity

STEPS = (5.0, 20.0)
GRID = np.array([(de, da) for de in (-5, 0, 5) for da in (-20, 0, 20) if (de, da) != (0, 0)],
                float)


def grid_motions(repeat=50):
    return np.repeat(GRID, repeat, axis=0)


def test_steps_give_one_pattern_per_single_axis_step_and_leave_out_diagonals():
    motion = grid_motions()
    patterns = grid_patterns(motion, STEPS)
    assert patterns.num_patterns == 4
    np.testing.assert_allclose(patterns.centres_in_units(),
                               [[-5, 0], [0, -20], [0, 20], [5, 0]], atol=1e-9)
    assigned = patterns.assign(GRID)
    diagonal = (GRID != 0).all(axis=1)
    assert (assigned[diagonal] == -1).all()
    for m, g in zip(GRID[~diagonal], assigned[~diagonal], strict=True):
        np.testing.assert_allclose(patterns.centres_in_units()[g], m, atol=1e-9)


def test_steps_with_diagonals_give_each_of_the_eight_motions_its_own_pattern():
    patterns = grid_patterns(grid_motions(), STEPS, diagonals=True)
    assert patterns.num_patterns == 8
    assigned = patterns.assign(GRID)
    assert sorted(assigned.tolist()) == list(range(8))


def test_grid_patterns_refuse_motions_off_the_grid():
    with pytest.raises(ValueError, match="one-step"):
        grid_patterns(np.array([[2.0, 7.0], [-2.0, 9.0]]), STEPS)


def test_pure_patterns_are_not_flagged():
    rng = np.random.default_rng(0)
    motion = grid_motions() + rng.normal(0, 0.05, (len(GRID) * 50, 2))
    patterns = grid_patterns(motion, STEPS, diagonals=True)
    result = purity(motion, patterns.assign(motion), patterns)
    assert result["mixed"] == []
    assert max(result["ratio"]) < 0.05


def test_a_pattern_holding_two_motions_is_flagged():
    # k-means with 4 centres on the 8 grid motions must lump some of them together
    motion = grid_motions()
    patterns = fit_patterns(motion, 4, seed=0, keep_fraction=1.0)
    result = purity(motion, patterns.assign(motion), patterns)
    assert result["mixed"], result
    for g in result["mixed"]:
        members = np.unique(motion[patterns.assign(motion) == g], axis=0)
        assert len(members) >= 2  # really holds several distinct motions


def test_planted_mixture_flagged_by_its_split_and_blob_not():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    blob = rng.normal(0, 0.3, (300, 2))
    two = np.concatenate([rng.normal(0, 0.05, (150, 2)) + [-1.5, 0],
                          rng.normal(0, 0.05, (150, 2)) + [1.5, 0]])
    motion = np.concatenate([blob, two + centres[1], rng.normal(0, 0.3, (300, 2)) + centres[2]])
    pattern = np.repeat([0, 1, 2], 300)
    patterns = MotionPatterns(centres, np.ones(2), np.full(3, 100.0), 0.0)
    result = purity(motion, pattern, patterns)
    assert result["mixed"] == [1]
    assert result["split"][1] > 0.95 and result["split"][0] < 0.7
