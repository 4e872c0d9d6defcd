"""``reproduce kitti-227``: pretraining without labels, then transfer (linear and finetuned)
to real scenes (15-Scene from ../shared/data) beside random init; a second call reuses every
stage; the report's numbers are the transfers' own records."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from egoequiv.cli.main import main
from egoequiv.reproduce.protocols import PROTOCOLS, get_protocol
from egoequiv.reproduce.runner import reproduce

TINY = replace(
    PROTOCOLS["kitti-227"].quick(), dataset="rendered-drive:sequences=2,frames=20,size=16",
    methods=("equiv", "drlim"), budget=20, labels_per_class=(3,), splits=2,
    lr_grid=(0.1, 0.01), finetune_iters=20,
    config={"model": "smallnet", "image_size": 16, "batch_size": 8, "channels": 3,
            "conv_channels": [4, 8], "hidden_dim": 16, "feature_dim": 8})


@pytest.mark.slow
def test_pretrain_then_transfer_beside_random_init_and_a_second_call_reuses_it(
        tmp_path, shared_data):
    scenes = f"imagefolder:{shared_data / 'scene15'}"
    lines = []
    report = reproduce(TINY, tmp_path, labelled=scenes, device="cpu", log=lines.append)
    results = json.loads((tmp_path / "results.json").read_text())
    for name in ("equiv", "drlim", "random-init"):
        for readout in ("linear", "finetuned"):
            own = json.loads((tmp_path / "transfer" / name / readout / "metrics.json")
                             .read_text())
            assert own["config"]["freeze"] == ("all" if readout == "linear" else "none")
            assert own["config"]["inits"] == ["random" if name == "random-init"
                                              else "pretrained"]
            row = own["finetune"][0]
            assert row["layer"] == ("fc1" if readout == "linear" else "fc2")
            key = name.replace("-", " ")
            assert results["transfer"][readout][key]["3"] == row["top1"]
            assert row["top1"]["n"] == 2 and 0 <= row["top1"]["mean"] <= 1
    for method in ("equiv", "drlim"):  # pretrained without labels, measured
        own = json.loads((tmp_path / "pretrain" / method / "metrics.json").read_text())
        assert own["config"]["labels_per_class"] == 0 and own["iterations"] == 20
        g = results["gaps"]["linear"][method]["3"]
        base = results["transfer"]["linear"]["random init"]["3"]["mean"]
        assert g["gap"] == pytest.approx(results["transfer"]["linear"][method]["3"]["mean"]
                                         - base)
        assert g["clear"] == (abs(g["gap"]) > 2 * g["spread"])
    text = report.read_text()
    assert "| random init |" in text and "Linear softmax on frozen fc1" in text
    assert (tmp_path / "figures" / "linear_top1.png").exists()
    assert any("expected time" in line for line in lines)

    again = []
    reproduce(TINY, tmp_path, labelled=scenes, device="cpu", log=again.append)
    assert sum("(reused)" in line for line in again) == 8  # 2 pretrainings + 6 transfers
    assert json.loads((tmp_path / "results.json").read_text())["transfer"] == \
        results["transfer"]


def test_its_settings_are_checked_by_name(tmp_path, capsys):
    assert main(["reproduce", "kitti-227", "--out", str(tmp_path / "a")]) == 2
    assert "pass --labelled SPEC" in capsys.readouterr().err
    assert main(["reproduce", "kitti-227", "--monitor-every", "5", "--labelled", "x",
                 "--out", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.strip() == (
        "egoequiv: error: protocol 'kitti-227': monitor_every does not apply to it")
    quick = get_protocol("kitti-227", quick=True, methods=("equiv",))
    assert quick.methods == ("equiv",) and quick.config["model"] == "smallnet"
    assert get_protocol("kitti-227").config == {"model": "alexnet", "image_size": 227,
                                                "batch_size": 32, "channels": 3}
