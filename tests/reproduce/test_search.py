"""Greedy cross-validation picks the known best value of a synthetic objective."""

import math

import pytest

from egoequiv.reproduce.search import choose, lam_grid


def test_choose_picks_the_known_best_value_of_a_synthetic_objective():
    # a smooth objective peaking at lam = 10^0.5
    grid = lam_grid(-2, 1.5)
    best, scores = choose(grid, lambda lam: -(math.log10(lam) - 0.5) ** 2)
    assert best == pytest.approx(10 ** 0.5, rel=1e-5)
    assert set(scores) == set(grid)


def test_greedy_search_over_two_parameters_one_at_a_time():
    # lr first (lam fixed at its default), then lam with the chosen lr
    def accuracy(lr, lam):
        return -abs(math.log10(lr) + 2) - abs(math.log10(lam) - 1)

    lr, _ = choose((0.1, 0.01, 0.001, 0.0001), lambda v: accuracy(v, 1.0))
    lam, _ = choose(lam_grid(-1, 1.5), lambda v: accuracy(lr, v))
    assert lr == 0.01 and lam == pytest.approx(10.0)


def test_ties_go_to_the_earlier_value_and_failed_runs_are_skipped():
    assert choose([1, 2, 3], lambda v: 0.5)[0] == 1
    assert choose([1, 2, 3], lambda v: None if v == 2 else v)[0] == 3
    with pytest.raises(ValueError, match="could be scored"):
        choose([1, 2], lambda v: None)


def test_lam_grid_steps_by_ten_to_the_half():
    grid = lam_grid(-1, 1)
    assert grid == pytest.approx([0.1, 0.316228, 1.0, 3.162278, 10.0])
    assert all(b / a == pytest.approx(10 ** 0.5, rel=1e-5) for a, b in zip(grid, grid[1:]))
