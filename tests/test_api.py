"""The Python API: load, embed (uint8 of any size, float tensors), maps, errors."""

import numpy as np
import pytest
import torch

import egoequiv
from egoequiv.errors import EgoequivError

TINY = {"image_size": 16, "channels": 1, "conv_channels": [4, 8], "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("api")
    return egoequiv.train(dataset=f"eth80:{shared_data / 'eth80'}", out=out, method="equiv",
                          quiet=True, **TINY)


def test_embed_takes_uint8_of_any_size_and_normalised_tensors(trained):
    model = trained.model
    assert trained.metrics["iterations"] == 3 and model.config.method == "equiv"
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (40, 30, 3), dtype=np.uint8),
              rng.integers(0, 256, (16, 16), dtype=np.uint8)]
    z = model.embed(images)
    assert z.shape == (2, 8) and z.dtype == np.float32
    x = model._input(images)  # the normalised batch
    assert np.allclose(model.embed(x), z, atol=1e-6)
    assert isinstance(model.backbone, torch.nn.Module)
    assert model.maps(z, 1).shape == (2, 8) and len(model.pattern_labels) == 4
    with pytest.raises(EgoequivError, match="pattern must be in 0..3"):
        model.maps(z, 7)
    with pytest.raises(EgoequivError, match="uint8 arrays"):
        model.embed([np.zeros((4, 4), np.float64)])


def test_evaluate_measures_features_of_any_model(trained, shared_data):
    spec = f"eth80:{shared_data / 'eth80'}"
    with pytest.raises(EgoequivError, match="expected 3280 rows"):
        egoequiv.evaluate(np.zeros((5, 3)), dataset=spec, metrics=["slowness"])
    z = np.random.default_rng(0).normal(size=(3280, 4))
    out = egoequiv.evaluate(z, dataset=spec, metrics=["slowness"])
    assert 0.3 < out["slowness_auroc"] < 0.7 and out["top1"] is None


def test_evaluate_checkpoint_gives_trainings_numbers_and_embed_dataset_writes_rows(
        trained, tmp_path, shared_data):
    ckpt = trained.out / "checkpoint.pt"
    result = egoequiv.evaluate_checkpoint(ckpt, metrics=["recognition", "equivariance"],
                                          out=tmp_path / "eval", plots=False, quiet=True)
    assert result["top1"] == trained.metrics["top1"]  # the same code path as training's
    assert result["equivariance_error"] == trained.metrics["equivariance_error"]
    assert result["notes"] == [] and (tmp_path / "eval" / "metrics.json").exists()
    assert not list((tmp_path / "eval").glob("*.png"))
    shape, rows = egoequiv.embed_dataset(ckpt, f"eth80:{shared_data / 'eth80'}",
                                         tmp_path / "z.npy", device="cpu")
    assert shape == (3280, 8) and np.load(tmp_path / "z.npy").shape == shape
    assert len(rows.read_text().splitlines()) == 3281  # a header and a row per frame
    with pytest.raises(EgoequivError, match="metrics: unknown \\['nope'\\]"):
        egoequiv.evaluate_checkpoint(ckpt, metrics=["nope"])
