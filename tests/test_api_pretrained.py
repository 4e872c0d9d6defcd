"""Model.save_pretrained / egoequiv.from_pretrained: a config.json + model.safetensors
folder that gives the checkpoint's features, maps and classes without the training data;
a missing or malformed file is one line naming it."""

import json
import shutil

import numpy as np
import pytest
import torch

import egoequiv
from egoequiv.cli.main import main
from egoequiv.errors import EgoequivError

TINY = {"image_size": 16, "channels": 1, "conv_channels": [4, 8], "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 3}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("pretrained")
    egoequiv.train(dataset=f"eth80:{shared_data / 'eth80'}", out=out / "run", method="equiv",
                   **TINY)
    written = egoequiv.load(out / "run" / "checkpoint.pt").save_pretrained(out / "hf")
    assert [p.name for p in written] == ["model.safetensors", "config.json"]
    return out


def test_from_pretrained_gives_the_checkpoints_features_maps_and_classes(folder):
    want = egoequiv.load(folder / "run" / "checkpoint.pt")
    got = egoequiv.from_pretrained(folder / "hf")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 40, 30, 3), dtype=np.uint8)
    z = want.embed(images)
    assert np.array_equal(got.embed(images), z)
    assert np.array_equal(got.maps(z, [0, 1, 2, 3, 0, 1]), want.maps(z, [0, 1, 2, 3, 0, 1]))
    with torch.no_grad():
        x = want._input(images)
        assert torch.equal(got.method.classify(x), want.method.classify(x))
    assert got.pattern_labels == want.pattern_labels and len(got.pattern_labels) == 4
    assert got.config == want.config
    spec = json.loads((folder / "hf" / "config.json").read_text())
    assert spec["backbone"]["class"] == "egoequiv.models.SmallConvNet"


def test_from_pretrained_needs_no_training_data(folder, tmp_path, monkeypatch):
    moved = tmp_path / "elsewhere"
    shutil.copytree(folder / "hf", moved)
    monkeypatch.setenv("EGOEQUIV_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("EGOEQUIV_SHARED_DATA", str(tmp_path / "no-data"))
    z = egoequiv.from_pretrained(moved).embed(np.zeros((2, 16, 16), np.uint8))
    assert z.shape == (2, 8) and np.isfinite(z).all()
    assert not (tmp_path / "empty-cache").exists()


def broken(folder, tmp_path, name, text=None):
    copy = tmp_path / "broken"
    shutil.copytree(folder / "hf", copy)
    if text is None:
        (copy / name).unlink()
    else:
        (copy / name).write_bytes(text)
    return copy


@pytest.mark.parametrize("name, text, why", [
    ("config.json", None, "missing"),
    ("model.safetensors", None, "missing"),
    ("config.json", b"{not json", "not valid JSON"),
    ("config.json", b'{"library": "egoequiv", "format": 1}', "lacks config, shape"),
    ("model.safetensors", b"\x00\x01garbage", "not a readable safetensors file"),
])
def test_a_missing_or_malformed_file_is_one_line_naming_it(folder, tmp_path, name, text, why):
    path = broken(folder, tmp_path, name, text)
    with pytest.raises(EgoequivError, match=why) as e:
        egoequiv.from_pretrained(path)
    assert str(e.value).startswith(str(path / name)) and "\n" not in str(e.value)


def test_weights_of_another_model_are_refused(folder, tmp_path):
    from safetensors.torch import load_file, save_file

    path = broken(folder, tmp_path, "model.safetensors", b"")
    weights = load_file(str(folder / "hf" / "model.safetensors"))
    del weights["maps.weight"]
    save_file(weights, str(path / "model.safetensors"))
    with pytest.raises(EgoequivError, match="model.safetensors: weights do not fit"):
        egoequiv.from_pretrained(path)
    with pytest.raises(EgoequivError, match="not a model folder"):
        egoequiv.from_pretrained(tmp_path / "nowhere")


def test_non_finite_weights_are_refused_by_name_and_nothing_is_written(folder, tmp_path):
    model = egoequiv.from_pretrained(folder / "hf")
    with torch.no_grad():  # a model whose weights went bad in memory (a user's fine-tuning)
        model.method.maps.weight[0, 0, 0] = float("nan")
        model.method.backbone.fc1.bias[0] = float("inf")
    with pytest.raises(EgoequivError, match=r"non-finite values in backbone\.fc1\.bias, "
                                            r"maps\.weight"):
        model.save_pretrained(tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_cli_export_pretrained_matches_save_pretrained(folder, tmp_path):
    assert main(["export", "--checkpoint", str(folder / "run" / "checkpoint.pt"), "--out",
                 str(tmp_path / "cli"), "--format", "pretrained"]) == 0
    assert (tmp_path / "cli" / "config.json").read_text() == \
        (folder / "hf" / "config.json").read_text()
    images = np.random.default_rng(1).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    assert np.array_equal(egoequiv.from_pretrained(tmp_path / "cli").embed(images),
                          egoequiv.from_pretrained(folder / "hf").embed(images))
