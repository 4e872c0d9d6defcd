import json

from egoequiv.evaluation.report import gather, write_report


def _run(path, method, seed, **values):
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps(
        {"method": method, "dataset": "toy:X", "seed": seed, **values}))


def test_table_has_mean_and_std_over_seeds(tmp_path):
    runs = tmp_path / "runs"
    _run(runs / "a0", "equiv", 0, top1=0.5, equivariance_error=0.2,
         equivariance_error_per_pattern=[0.1, 0.3], num_classes=4,
         pattern_labels=["+20° azimuth", "-20° azimuth"],
         warnings=["equivariance: pattern 1: no test pairs"])
    _run(runs / "a1", "equiv", 1, top1=0.7, equivariance_error=0.4,
         equivariance_error_per_pattern=[0.3, None])
    _run(runs / "b0", "drlim", 0, top1=0.4, equivariance_error=None)
    # the same run evaluated again with more measurements: that file wins
    _run(runs / "b0" / "eval", "drlim", 0, top1=0.45, mrr=0.25,
         next_best_view={"accuracy_chosen": 0.9})
    assert len(gather([runs])) == 3
    path = write_report([runs], tmp_path / "out")
    text = path.read_text()
    assert "## toy:X" in text
    assert "| equiv | 2 | 0.60 ± 0.14 |" in text  # rounded to what the spread supports
    assert "| drlim | 1 | 0.450 |" in text
    # conclusions first, then the tables
    assert text.index("## Conclusions") < text.index("**Recognition**")
    assert ("- **top-1**: best equiv (0.60 ± 0.14), then drlim (0.450); the gap 0.15 is "
            "within twice the larger std over runs (0.14): not a reliable difference.") in text
    assert "- **equivariance error vs the identity's 1.0**" in text
    assert "equiv 70 % below" in text
    # the stored warning is shown beside the tables, under what it means
    assert ("- *That motion pattern has no test pair: its per-pattern error is not measured, "
            "and the mean error averages the other patterns only*:\n"
            "  - equivariance: pattern 1: no test pairs (equiv split 0)") in text
    assert "train s" not in text and "NBV 1 view" not in text
    assert "0.900" in text and "0.250" in text  # NBV chosen, MRR columns
    assert "slowness AUROC" not in text  # no run measured it
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert len(pngs) == 2 and all(p in text for p in pngs)


def test_empty_report(tmp_path):
    assert "No metrics.json found" in write_report([tmp_path], tmp_path / "o").read_text()


def test_decimals_follow_the_spread():
    from egoequiv.evaluation.conclusions import decimals, fmt

    assert [decimals(s) for s in (0.084, 0.0031, 0.6, None, 0.0)] == [2, 3, 1, 3, 3]
    assert fmt(0.60123, 0.0841) == "0.60 ± 0.08" and fmt(0.5, None) == "0.500"


def test_a_gap_inside_the_spread_is_called_so():
    from egoequiv.evaluation.conclusions import conclusions

    runs = [{"method": "a", "top1": v} for v in (0.5, 0.7)]
    runs += [{"method": "b", "top1": v} for v in (0.55, 0.61)]
    (line,) = conclusions(runs)
    assert "best a (0.60 ± 0.14), then b (0.58 ± 0.04)" in line
    assert "within twice the larger std over runs" in line and "not a reliable" in line
    far = conclusions([{"method": "a", "top1": v} for v in (0.9, 0.92)]
                      + [{"method": "b", "top1": v} for v in (0.5, 0.52)])
    assert "a clear gap: 0.400, more than twice the larger std over runs (0.014)" in far[0]
    one = conclusions([{"method": "a", "top1": 0.5}, {"method": "b", "top1": 0.4}])
    assert "one run each: no spread to judge the gap by" in one[0]


def test_a_pattern_no_series_measured_is_marked_on_the_chart():
    from egoequiv.evaluation.report import pattern_ticks

    series = {"equiv": [2.8, None, None], "drlim": [0.9, 0.8]}
    assert pattern_ticks(["fwd", "left", "right"], series) == [
        "fwd", "left", "right\n(not measured)"]
    assert pattern_ticks(None, {"equiv": [None, 1.0]}) == ["g0\n(not measured)", "g1"]


def test_runs_of_other_settings_get_rows_of_their_own_and_one_runs_records_merge(tmp_path):
    """input: two equiv runs apart in one config key (split), with seeds 0 and 1 of the
    first; an eval record of the second without a run id (older eval) beside its trainer's."""
    runs = tmp_path / "runs"
    base = {"split": "auto", "lr": 0.01, "seed": 0, "device": "cpu", "workers": 2}
    _run(runs / "a0", "equiv", 0, run_id="a0", equivariance_error=0.5,
         config={**base})
    _run(runs / "a1", "equiv", 1, run_id="a1", equivariance_error=0.7,
         config={**base, "seed": 1, "device": "cuda", "workers": 0})  # the same experiment
    _run(runs / "t0", "equiv", 0, run_id="t0", equivariance_error=0.9,
         config={**base, "split": "time"})
    (runs / "t0" / "checkpoint.pt").write_bytes(b"")
    _run(runs / "t0" / "eval", "equiv", 0, equivariance_error=0.9, mrr=0.3,
         config={**base, "split": "time"}, checkpoint=str(runs / "t0" / "checkpoint.pt"))
    found = gather([runs])
    assert sorted(m["run_id"] for m in found) == ["a0", "a1", "t0"]
    assert next(m for m in found if m["run_id"] == "t0")["mrr"] == 0.3  # the fuller record
    text = write_report([runs], tmp_path / "out").read_text()
    assert "| equiv [split=auto] | 2 | 0.60 ± 0.14 |" in text
    assert "| equiv [split=time] | 1 | 0.900 |" in text


def test_runs_with_other_patterns_are_named_not_plotted_under_the_first_ones_ticks(tmp_path):
    """input: equiv and drlim runs of one dataset whose patterns differ (other splits)."""
    from egoequiv.evaluation.report import per_pattern_series

    runs = tmp_path / "runs"
    _run(runs / "a", "equiv", 0, run_id="a", equivariance_error=0.5,
         equivariance_error_per_pattern=[0.4, 0.6], pattern_labels=["+1 m forward", "+2 m"])
    _run(runs / "b", "drlim", 0, run_id="b", equivariance_error=0.9,
         equivariance_error_per_pattern=[0.8, 1.0], pattern_labels=["+5 m forward", "+9 m"])
    found = sorted(gather([runs]), key=lambda m: m["run_id"])
    series, _, labels, other = per_pattern_series({m["method"]: [m] for m in found})
    assert series == {"equiv": [0.4, 0.6]} and labels == ["+1 m forward", "+2 m"]
    assert other == ["drlim"]
    text = write_report([runs], tmp_path / "out").read_text()
    assert "Not in the per-pattern chart (their runs fitted other motion patterns):" in text
