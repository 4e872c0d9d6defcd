import numpy as np

from egoequiv.evaluation.next_best_view import entropy, next_best_view


def _case(seed=0, objects=200):
    """Each object: a start view with a faint class cue; motion 0 reaches a blank view,
    motion 1 a side view that shows the class plainly. M'_0 erases the cue, M'_1 amplifies it."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, objects)
    sign = 2.0 * y - 1
    start = np.c_[0.1 * sign + 0.2 * rng.normal(size=objects), np.ones(objects)]
    blank = np.c_[0.05 * rng.normal(size=objects), np.ones(objects)]
    side = np.c_[5.0 * sign, np.ones(objects)]
    z = np.r_[start, blank, side]
    labels = np.r_[y, y, y]
    s = np.arange(objects)
    pair_i, pair_j = np.r_[s, s], np.r_[s + objects, s + 2 * objects]
    pattern = np.r_[np.zeros(objects, int), np.ones(objects, int)]
    maps = np.zeros((2, 3, 2))
    maps[0, 1, 1] = 1.0  # M'_0 z = (0, z_1)
    maps[1, 0, 0], maps[1, 1, 1] = 50.0, 1.0  # M'_1 z = (50 z_0, z_1)
    return z, labels, pair_i, pair_j, pattern, maps


def classify(z):
    return np.c_[-3 * z[:, 0], 3 * z[:, 0]]


def test_picks_the_revealing_motion_and_beats_random():
    z, labels, i, j, p, maps = _case()
    r = next_best_view(z, labels, i, j, p, maps, classify, seed=0)
    assert r["num_starts"] == 200
    assert r["chosen_pattern_counts"] == [0, 200]
    assert r["accuracy_chosen"] == 1.0 == r["accuracy_best"]
    assert r["accuracy_one_view"] < 0.85
    assert r["accuracy_random"] < r["accuracy_chosen"]
    assert r == next_best_view(z, labels, i, j, p, maps, classify, seed=0)


def test_skips_unavailable_motions_and_reports_empty():
    z, labels, i, j, p, maps = _case(objects=20)
    only_blank = p == 0
    r = next_best_view(z, labels, i[only_blank], j[only_blank], p[only_blank], maps, classify)
    assert r["chosen_pattern_counts"] == [20, 0]
    assert r["accuracy_chosen"] == r["accuracy_random"]
    empty = next_best_view(z, -np.ones_like(labels), i, j, p, maps, classify)
    assert empty["num_starts"] == 0 and empty["accuracy_chosen"] is None and empty["warnings"]


def test_entropy():
    assert np.allclose(entropy(np.zeros((1, 4))), np.log(4))
    assert entropy(np.array([[100.0, 0.0]]))[0] < 1e-6
