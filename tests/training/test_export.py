"""egoequiv export: a backbone-only state_dict with no egoequiv keys, and a torch.export
program."""

import json

import torch

from egoequiv.cli.main import main
from egoequiv.config import load_config
from egoequiv.models import SmallConvNet
from egoequiv.training.trainer import train

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 3}


def test_export_reloads_into_the_plain_class_with_the_same_features(tmp_path, shared_data):
    train(load_config(overrides={**TINY, "method": "equiv"}), f"eth80:{shared_data / 'eth80'}",
          tmp_path / "run", quiet=True)
    assert main(["export", "--checkpoint", str(tmp_path / "run" / "checkpoint.pt"), "--out",
                 str(tmp_path / "b.pt"), "--program"]) == 0
    weights = torch.load(tmp_path / "b.pt", weights_only=True)
    spec = json.loads((tmp_path / "b.pt.json").read_text())
    assert spec["class"] == "egoequiv.models.SmallConvNet" and spec["feature_layer"] == "fc2"
    assert all(not k.startswith(("backbone.", "head.", "maps.")) for k in weights)
    plain = SmallConvNet(**spec["kwargs"]).eval()
    plain.load_state_dict(weights)  # strict: exactly the class's keys
    from egoequiv.training.checkpoint import load_run

    run = load_run(tmp_path / "run" / "checkpoint.pt")
    x = torch.randn(4, 1, 16, 16)
    with torch.no_grad():
        want = run.method.eval().embed(x)
        assert torch.allclose(plain(x)["fc2"], want, atol=1e-6)
        program = torch.export.load(str(tmp_path / "b.pt.pt2")).module()
        assert torch.allclose(program(x)["fc2"], want, atol=1e-6)
