import json

from egoequiv.evaluate.report import gather, write_report


def _run(path, method, seed, **values):
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps(
        {"method": method, "dataset": "toy:X", "seed": seed, **values}))


def test_table_has_mean_and_std_over_seeds(tmp_path):
    runs = tmp_path / "runs"
    _run(runs / "a0", "equiv", 0, top1=0.5, equivariance_error=0.2,
         equivariance_error_per_pattern=[0.1, 0.3])
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
    assert "| equiv | 2 | 0.600 ± 0.141 |" in text
    assert "| drlim | 1 | 0.450 |" in text
    assert "0.900" in text and "0.250" in text  # NBV chosen, MRR columns
    assert "slowness AUROC" not in text  # no run measured it
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert len(pngs) == 2 and all(p in text for p in pngs)


def test_empty_report(tmp_path):
    assert "No metrics.json found" in write_report([tmp_path], tmp_path / "o").read_text()
