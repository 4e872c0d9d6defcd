"""ResNet-18 on the backbone protocol: both stems, and a run that trains and evaluates."""

import torch

from egoequiv.config import load_config
from egoequiv.models import BACKBONES, ResNet18
from egoequiv.training.trainer import train


def test_protocol_and_stems():
    small, large = ResNet18(3, 32, 64), ResNet18(3, 224, 64)
    assert small.layers == ("pool", "fc") and small.dims == {"pool": 512, "fc": 64}
    assert len(small.stem) == 3 and len(large.stem) == 4  # CIFAR stem; 7x7 + max-pool
    out = small(torch.randn(2, 3, 32, 32))
    assert out["pool"].shape == (2, 512) and out["fc"].shape == (2, 64)
    assert large(torch.randn(1, 3, 224, 224))["fc"].shape == (1, 64)
    assert set(BACKBONES) >= {"smallnet", "alexnet", "resnet18"}


def test_resnet18_trains_and_evaluates_on_rendered_objects(tmp_path):
    cfg = load_config(overrides={"model": "resnet18", "image_size": 32, "batch_size": 4,
                                 "iters": 2, "feature_dim": 16, "method": "equiv+drlim"})
    objects = "rendered-objects:instances=2,elevations=2,lightings=1,size=32"
    metrics = train(cfg, objects, tmp_path, quiet=True)
    assert metrics["feature_dim"] == 16 and metrics["equivariance_error"] > 0
    assert metrics["top1"] is not None
