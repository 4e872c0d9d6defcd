"""egoequiv export --format safetensors / pretrained: the same backbone back, identical
features; a checkpoint with non-finite weights is refused by name."""

import json
import re

import pytest
import torch
from safetensors.torch import load_file

from egoequiv.cli.main import main
from egoequiv.config import load_config
from egoequiv.errors import EgoequivError
from egoequiv.models import SmallConvNet
from egoequiv.training.checkpoint import load_run
from egoequiv.training.export import export_backbone, load_exported
from egoequiv.training.trainer import train

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 3}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("run")
    train(load_config(overrides={**TINY, "method": "equiv"}), f"eth80:{shared_data / 'eth80'}",
          out, quiet=True)
    return out / "checkpoint.pt"


def test_safetensors_export_rebuilds_the_backbone_with_identical_features(checkpoint,
                                                                          tmp_path, capsys):
    out = tmp_path / "model.safetensors"
    assert main(["export", "--checkpoint", str(checkpoint), "--out", str(out),
                 "--format", "safetensors"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    spec = json.loads((tmp_path / "model.safetensors.json").read_text())
    assert spec["class"] == "egoequiv.models.SmallConvNet"
    assert spec["input"]["image_size"] == 16 and spec["input"]["channels"] == 1
    plain = SmallConvNet(**spec["kwargs"]).eval()
    plain.load_state_dict(load_file(str(out)))  # strict: exactly the class's keys
    run = load_run(checkpoint)
    x = torch.randn(5, 1, 16, 16)
    with torch.no_grad():
        want = run.method.eval().embed(x)
        assert torch.equal(plain(x)[spec["feature_layer"]], want)
        assert torch.equal(load_exported(out)(x)["fc2"], want)


def test_pt_export_loads_back_through_load_exported(checkpoint, tmp_path):
    paths = export_backbone(checkpoint, tmp_path / "b.pt")
    assert [p.name for p in paths] == ["b.pt", "b.pt.json"]
    x = torch.randn(3, 1, 16, 16)
    with torch.no_grad():
        assert torch.equal(load_exported(tmp_path / "b.pt")(x)["fc2"],
                           load_run(checkpoint).method.eval().embed(x))


def test_non_finite_weights_are_refused_by_name(checkpoint, tmp_path, capsys):
    state = torch.load(checkpoint, weights_only=True)
    state["model"]["backbone.fc1.weight"][0, 0] = float("nan")
    state["model"]["backbone.conv.0.bias"][1] = float("inf")
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    with pytest.raises(EgoequivError, match=r"backbone\.conv\.0\.bias") as e:
        export_backbone(bad, tmp_path / "model.safetensors", fmt="safetensors")
    assert re.search("NaN or infinity|non-finite", str(e.value))
    assert not (tmp_path / "model.safetensors").exists()
    assert main(["export", "--checkpoint", str(bad), "--out", str(tmp_path / "p"),
                 "--format", "pretrained"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "backbone.conv.0.bias" in err
    assert not (tmp_path / "p").exists()


def test_pretrained_format_writes_a_model_folder(checkpoint, tmp_path):
    assert main(["export", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "hf"),
                 "--format", "pretrained"]) == 0
    assert sorted(p.name for p in (tmp_path / "hf").iterdir()) == ["config.json",
                                                                   "model.safetensors"]
    weights = load_file(str(tmp_path / "hf" / "model.safetensors"))
    assert {"backbone.fc2.weight", "maps.weight", "head.weight"} <= set(weights)
