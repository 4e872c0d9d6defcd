"""Checkpoints load with weights_only=True: nothing in a file runs, bad files are one line."""

import os

import pytest
import torch

from egoequiv.errors import EgoequivError
from egoequiv.training.checkpoint import FORMAT, load_run, read_checkpoint


class Payload:
    """Pickles to a call of os.system: unpickling it would run the command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_malicious_checkpoint_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    torch.save({"format": FORMAT, "config": {}, "model": Payload(marker)}, path)
    with pytest.raises(EgoequivError, match="loaded safely") as e:
        read_checkpoint(path)
    assert not marker.exists()
    assert "\n" not in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize("content, message", [
    (b"", "loaded safely"),
    (b"not a zip file at all", "loaded safely"),
])
def test_damaged_checkpoints_are_one_line(tmp_path, content, message):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(EgoequivError, match=message) as e:
        read_checkpoint(path)
    assert "\n" not in str(e.value)


def test_a_checkpoint_missing_its_config_is_named(tmp_path):
    path = tmp_path / "checkpoint.pt"
    torch.save({"format": FORMAT, "model": {}}, path)
    with pytest.raises(EgoequivError, match="lacks config"):
        read_checkpoint(path)


def test_a_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(EgoequivError, match="not a regular file"):
        read_checkpoint(tmp_path)


def test_edited_shapes_are_one_line(tmp_path, shared_data):
    from egoequiv.config import load_config
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 2, "method": "clsnet"})
    train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    state["model"]["head.weight"] = torch.zeros(3, 3)
    torch.save(state, tmp_path / "edited.pt")
    with pytest.raises(EgoequivError, match="do not fit") as e:
        load_run(tmp_path / "edited.pt")
    assert "\n" not in str(e.value)


def test_a_checkpoint_that_stored_every_methods_keys_still_loads(tmp_path, shared_data):
    """Before methods declared their keys, every checkpoint's config held all of them."""
    from egoequiv.config import load_config
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 2, "method": "drlim", "margin": 2.0})
    train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    state["config"].update(vicreg_sim=1.0, lsm_hidden=256, map_type="auto")
    torch.save(state, tmp_path / "old.pt")
    run = load_run(tmp_path / "old.pt")
    assert vars(run.method.hp) == {"margin": 2.0, "contrastive_form": "legacy"}
    assert run.cfg.hyperparameters == {"margin": 2.0, "contrastive_form": "legacy"}
