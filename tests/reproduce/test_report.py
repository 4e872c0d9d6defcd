"""The report's rules on known cases: what is a clear gap, how warnings are grouped."""

from egoequiv.evaluation.conclusions import summary
from egoequiv.reproduce.report import _distinct, clear


def test_a_gap_is_clear_beyond_twice_the_larger_std():
    a, b = {"mean": 0.60, "std": 0.01}, {"mean": 0.70, "std": 0.04}
    assert clear(a, b)  # 0.10 > 2 x 0.04
    assert not clear(a, {"mean": 0.70, "std": 0.06})  # 0.10 < 2 x 0.06
    assert clear(a, None) is None
    one = {"mean": 0.9, "std": None}  # one split: its own spread is unknown
    assert clear(a, one) and clear(one, one) is None


def test_results_take_the_one_mean_and_sample_std_over_splits():
    s = summary([0.5, 0.7, None, float("nan"), True])  # None, NaN and True are not values
    assert s["mean"] == 0.6 and abs(s["std"] - 0.1414213) < 1e-6 and s["n"] == 2
    assert summary([0.4]) == {"mean": 0.4, "std": None, "n": 1}  # no spread from one value
    assert summary([None]) is None


def test_warnings_of_one_kind_are_counted_not_repeated_patterns_kept_apart():
    lines = _distinct(["m: pattern 0: 12 of 100 excluded", "m: pattern 0: 3 of 100 excluded",
                       "m: pattern 1: 3 of 100 excluded"])
    assert lines == ["m: pattern 0: 12 of 100 excluded (and 1 similar)",
                     "m: pattern 1: 3 of 100 excluded"]
