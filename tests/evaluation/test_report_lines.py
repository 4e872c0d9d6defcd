"""Report lines that must read right: no "best" below the null, the ranking's chance level,
the label counts, choices inside the noise, one-run cells without ±."""

from egoequiv.evaluation.conclusions import SPREAD, conclusions
from egoequiv.evaluation.report import label_counts, ranking_chance, write_report
from egoequiv.reproduce.report import close_choices, control_lines


def test_no_best_among_results_that_do_not_beat_no_information():
    runs = [{"method": "clsnet", "egomotion_r2": -0.414}, {"method": "drlim",
                                                           "egomotion_r2": -0.9}]
    lines = conclusions(runs)
    assert any(line.startswith("- **egomotion R²**: none beats no information (0)")
               for line in lines), lines
    assert not any("best clsnet" in line for line in lines)
    runs[0]["egomotion_r2"] = 0.2
    assert any("best clsnet (0.200)" in line for line in conclusions(runs))


def test_ranking_scores_come_with_their_chance_level():
    line = ranking_chance([{"ranking_candidates": 25}, {"ranking_candidates": 25}])
    assert line.startswith("Ranking: 25 candidates per query; chance hits@1 = 1/25 = 0.040, "
                           "hits@10 = 0.400")
    assert ranking_chance([{"mrr": 0.3}]) is None


def test_label_counts_name_the_head_and_the_probes():
    line = label_counts({"equiv": [{"labels_per_class": 5, "probe_labels_per_class": 10}]})
    assert line == "Labelled training frames per class behind top-1: equiv 5 (probes 10)."


def test_a_validation_choice_by_a_hair_is_flagged_with_both_scores():
    chosen = {"drlim": {"validation_top1": {"1": 0.7103, "3.16": 0.7086, "0.1": 0.5}},
              "equiv": {"validation_top1": {"1": 0.80, "3.16": 0.60}}}
    results = {"drlim": {"top1": {"mean": 0.6, "std": 0.02}},
               "equiv": {"top1": {"mean": 0.6, "std": 0.02}}}
    lines = close_choices(chosen, results)
    assert lines == ["- drlim: 1 (0.7103) over 3.16 (0.7086); gap 0.0017, final top-1 std "
                     "0.020."]


def test_the_controls_line_says_not_clearly_below_any():
    results = {"equiv": {"equivariance_error": {"mean": 0.9, "std": 0.05}},
               "pixels": {"equivariance_error": {"mean": 0.92, "std": 0.01}},
               "random-init": {"equivariance_error": {"mean": 0.5, "std": 0.01}}}
    assert control_lines(results, ["equiv", "pixels", "random-init"]) == [
        "- equiv: equivariance error 0.900; not clearly below any control."]


def test_one_run_shows_no_spread_and_says_what_the_spread_is_over(tmp_path):
    import json

    run = tmp_path / "r"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"method": "equiv", "dataset": "d",
                                                  "top1": 0.5, "num_classes": 4}))
    text = write_report([run], tmp_path).read_text()
    assert SPREAD in text and "| equiv | 1 | 0.500 |" in text
