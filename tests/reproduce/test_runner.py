"""The protocol end to end on a tiny rendered set: choices on validation, finals, controls,
results.json as documented, and a second call that reuses every run."""

import json
from dataclasses import replace

import pytest

from egoequiv.reproduce.protocols import PROTOCOLS
from egoequiv.reproduce.runner import reproduce

TINY = replace(
    PROTOCOLS["norb"],
    dataset="rendered-objects:instances=4,elevations=3,lightings=1,azimuths=6,size=32",
    methods=("clsnet", "drlim", "equiv", "equiv+drlim"), lr_grid=(0.003, 0.001),
    lam_exponents=(0.0, 0.5), budget=30, monitor_every=10, patience=2, splits=2,
    config={"image_size": 16, "batch_size": 8, "labels_per_class": 2, "conv_channels": [4, 8],
            "hidden_dim": 16, "feature_dim": 8})


@pytest.mark.slow
def test_tiny_protocol_end_to_end_and_resume(tmp_path):
    lines = []
    report = reproduce(TINY, tmp_path, jobs=1, log=lines.append)
    results = json.loads((tmp_path / "results.json").read_text())
    for name in (*TINY.methods, "pixels", "random-init"):
        entry = results[name]
        assert set(entry["top1"]) >= {"mean", "std"} and entry["top1"]["n"] == 2
        assert len(entry["equivariance_error"]["per_pattern"]) == 4
        assert set(entry["nbv"]) >= {"chosen", "random", "oracle"}
    for name in ("equiv", "equiv+drlim"):
        assert results[name]["learned_map_error"]["mean"] > 0
    assert results["clsnet"]["chosen"]["lr"] in TINY.lr_grid
    assert results["equiv"]["chosen"]["lam"] in (1.0, 3.162278)
    assert results["pixels"]["chosen"] is None
    # equiv+drlim keeps drlim's weight: lam * drlim_weight == drlim's lam
    chosen = results["protocol"]["chosen"]
    assert chosen["equiv+drlim"]["extra"]["drlim_weight"] * chosen["equiv+drlim"]["lam"] == \
        pytest.approx(chosen["drlim"]["lam"])
    # validation runs never measured on the test split
    cv = json.loads((tmp_path / "runs/cv/lr/clsnet/lr0.001/metrics.json").read_text())
    assert cv["config"]["validation_fraction"] == TINY.validation_fraction
    text = report.read_text()
    assert text.index("## Conclusions") < text.index("## Results")
    for figure in ("results_top1.png", "results_equivariance.png"):  # egoequiv report's
        assert (tmp_path / "figures" / figure).exists() and f"figures/{figure}" in text
    # the same runs through egoequiv report: the same cells
    from egoequiv.evaluation.report import write_report

    again_text = write_report([tmp_path / "runs" / "final", tmp_path / "runs" / "controls"],
                              tmp_path / "report").read_text()
    table = [line for line in text.splitlines() if line.startswith("| equiv+drlim |")][0]
    assert table in again_text
    for key in ("val_top1", "equivariance_heldout", "learned_map_heldout"):
        assert (tmp_path / "figures" / f"curve_{key}.png").exists()
        assert f"figures/curve_{key}.png" in text
    # a second call reuses every run
    again = []
    reproduce(TINY, tmp_path, jobs=1, log=again.append)
    assert all("(reused)" in line for line in again if "split" in line or "cv/" in line)
    assert json.loads((tmp_path / "results.json").read_text())["equiv"]["top1"] == \
        results["equiv"]["top1"]


@pytest.mark.slow
def test_batched_stages_give_the_numbers_of_runs_trained_alone(tmp_path):
    """Every stage batched (the default) against every run alone: the same choices and the
    same results, to the tolerances of tests/training/test_batched.py."""
    protocol = replace(TINY, methods=("clsnet", "equiv+drlim"), splits=2)
    reproduce(protocol, tmp_path / "batched", jobs=1, log=lambda _: None)
    reproduce(protocol, tmp_path / "alone", jobs=1, log=lambda _: None, batched=False)
    a, b = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("batched",
                                                                            "alone"))
    assert a["protocol"]["chosen"] == b["protocol"]["chosen"]
    for name in ("clsnet", "equiv+drlim", "pixels", "random-init"):
        for key in ("top1", "equivariance_error"):
            assert a[name][key]["mean"] == pytest.approx(b[name][key]["mean"], abs=1e-3)
    cfg = json.loads((tmp_path / "batched/runs/final/equiv+drlim/split1/config.json")
                     .read_text())
    assert cfg["label_split"] == 1  # each member's own folder and settings
