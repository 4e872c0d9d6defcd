"""The protocol end to end on a tiny rendered set: choices on validation, finals, controls,
results.json as documented, and a second call that reuses every run."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

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


#: ``reproduce(TINY, OUT, jobs=1)`` in a process of its own (the protocol as JSON in argv[2])
REPRODUCE = """
import json, sys
from dataclasses import replace
from egoequiv.reproduce.protocols import PROTOCOLS
from egoequiv.reproduce.runner import reproduce
fields = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(sys.argv[2]).items()}
reproduce(replace(PROTOCOLS["norb"], **fields), sys.argv[1], jobs=1)
"""
#: what differs between two runs of the same settings: wall times and the runs' ids
UNEQUAL = {"wall_seconds", "train_seconds", "total_seconds", "metric_seconds", "run_id"}


def _reproduce(out: Path, protocol) -> subprocess.Popen:
    """The protocol in another process, in a session of its own (killed with its children),
    its output unbuffered; the tests' frame cache through the environment, its scratch
    folders (``time_steps``'s) in OUT's parent."""
    fields = {k: v for k, v in dataclasses.asdict(protocol).items() if k != "config"}
    fields["config"] = protocol.config
    scratch = out.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-u", "-c", REPRODUCE, str(out),
                             json.dumps(fields)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(scratch)})


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL to ``proc`` and every process it started."""
    assert proc.poll() is None, "it ended before it was killed: " + proc.communicate()[0]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def _finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out
    return out


def _comparable(value):
    """``value`` without its wall times and run ids (nested)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in UNEQUAL}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _records(out: Path) -> dict:
    return {str(p.parent.relative_to(out)): _comparable(json.loads(p.read_text()))
            for p in (out / "runs").rglob("metrics.json")}


@pytest.mark.slow
def test_a_reproduce_killed_during_a_stage_resumes_to_the_same_results(tmp_path):
    """input: SIGKILL to a `reproduce` process (and its children) while it estimates its
    time, then again once a run folder holds a checkpoint, then the same command to its end:
    its results.json and every run's record equal those of the protocol run without a kill
    (wall times and run ids aside), and a run resumed from its checkpoint keeps its id."""
    import torch

    from egoequiv.training.checkpoint import read_run_id

    protocol = replace(TINY, methods=("clsnet", "equiv"))
    # first the whole protocol: it fills the frame cache, so the kills below land in the
    # estimate and in training, not in rendering
    _finish(_reproduce(tmp_path / "whole", protocol))
    out = tmp_path / "cut"
    cut = _reproduce(out, protocol)
    for line in cut.stdout:  # the estimate decodes the set, then times each method
        if "[reproduce] estimating the time" in line:
            break
    _kill(cut)
    assert out.is_dir() and not (out / "runs").exists()
    cut, runs = _reproduce(out, protocol), out / "runs"
    start = time.monotonic()
    while not any(runs.rglob("checkpoint.pt")) and cut.poll() is None:
        assert time.monotonic() - start < 600, "no checkpoint after 10 min"
        time.sleep(0.05)
    _kill(cut)
    killed_in = sorted(str(p.parent.relative_to(runs)) for p in runs.rglob("checkpoint.pt"))
    states = {d: torch.load(runs / d / "checkpoint.pt", weights_only=True) for d in killed_in}
    assert any(s["iteration"] < protocol.budget for s in states.values())  # cut mid-run
    assert not (out / "results.json").exists()
    log = _finish(_reproduce(out, protocol))
    assert "(reused)" not in log.split(killed_in[0])[1].splitlines()[0]  # resumed, not reused
    a, b = (json.loads((d / "results.json").read_text()) for d in (tmp_path / "whole", out))
    assert _comparable(b) == _comparable(a)
    assert _records(out) == _records(tmp_path / "whole")
    assert json.loads((out / "chosen.json").read_text()) == \
        json.loads((tmp_path / "whole" / "chosen.json").read_text())
    for d, state in states.items():  # a resumed run is the run that was killed
        assert read_run_id(runs / d / "checkpoint.pt") == state["run_id"] == \
            json.loads((runs / d / "metrics.json").read_text())["run_id"]


def test_the_log_says_a_run_diverged_and_why():
    from egoequiv.reproduce.runner import Clock

    lines = []
    clock = Clock(2, lines.append)
    clock.tick("cv/lr/clsnet/lr0.1", {"status": "diverged", "top1": None, "warnings": [
        "training diverged between iterations 51 and 100 (a non-finite loss); lower lr or lam"]})
    clock.tick("cv/lr/clsnet/lr0.01", {"status": "finished", "top1": 0.353,
                                       "equivariance_error": 0.901})
    assert lines[0].startswith("[reproduce] cv/lr/clsnet/lr0.1: diverged (training diverged "
                               "between iterations 51 and 100")
    assert lines[1].startswith("[reproduce] cv/lr/clsnet/lr0.01: top1 0.353, equivariance "
                               "error 0.901 [2/2")
