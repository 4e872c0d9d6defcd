"""What finetuning starts from: a pretrained backbone, read from a checkpoint or from an
export, reduced to the same description either way (class, constructor arguments, weights,
input normalisation), so that both give the same numbers for the same seed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from egoequiv.errors import EgoequivError
from egoequiv.models import BACKBONES, Backbone
from egoequiv.training.checkpoint import load_run
from egoequiv.training.export import load_exported, plain_tensors

INITS = ("pretrained", "random")


@dataclass(frozen=True)
class Start:
    """A backbone to finetune: ``build(init, seed)`` gives a fresh copy of it."""

    cls: type[Backbone]
    kwargs: dict
    weights: dict[str, torch.Tensor]
    mean: np.ndarray  # per-channel input normalisation (uint8 / 255, then (x - mean) / std)
    std: np.ndarray
    image_size: int
    channels: int
    origin: dict  # what it came from: kind, path, method, dataset, iteration

    @property
    def model(self) -> str:
        """The backbone's name in ``BACKBONES`` (a config's ``model``)."""
        return next(name for name, cls in BACKBONES.items() if cls is self.cls)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.cls.layers)

    def build(self, init: str, seed: int) -> Backbone:
        """A new backbone: the pretrained weights, or the class's own random initialisation
        drawn from ``seed`` (the global RNG is left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = self.cls(**self.kwargs)
        if init == "pretrained":
            net.load_state_dict(self.weights)
        return net


def from_checkpoint(path: str | Path) -> Start:
    """The backbone of a training checkpoint (``load_run``: weights_only, finite weights)."""
    run = load_run(path, torch.device("cpu"))
    backbone = run.method.backbone
    return Start(type(backbone), dict(backbone.kwargs), plain_tensors(backbone),
                 run.normalizer.mean.numpy().copy(), run.normalizer.std.numpy().copy(),
                 int(run.cfg.image_size), int(run.shape["in_channels"]),
                 {"kind": "checkpoint", "path": str(path), "method": run.cfg.method,
                  "dataset": run.dataset, "iteration": run.iteration, "run_id": run.run_id})


def from_export(path: str | Path) -> Start:
    """The backbone of an ``egoequiv export`` (OUT beside OUT.json)."""
    path = Path(path)
    net = load_exported(path)  # checks OUT.json and the weights, one line each
    side = path.with_name(path.name + ".json")
    try:
        spec = json.loads(side.read_text())
        given = spec["input"]
        mean, std = (np.asarray(given[k], np.float32) for k in ("mean", "std"))
        size, channels = int(given["image_size"]), int(given["channels"])
    except (ValueError, KeyError, TypeError) as e:
        raise EgoequivError(f"{side}: no input normalisation in this export description "
                            f"({e.__class__.__name__}: {e})") from None
    if type(net) not in BACKBONES.values():
        raise EgoequivError(f"{side}: {spec['class']} is not a registered backbone")
    return Start(type(net), dict(spec["kwargs"]), plain_tensors(net), mean, std, size,
                 channels, {"kind": "export", "path": str(path), "method": spec.get("method"),
                            "dataset": spec.get("dataset"), "iteration": spec.get("iteration")})


def open_start(checkpoint: str | Path | None, backbone: str | Path | None) -> Start:
    """The start named by exactly one of ``checkpoint`` and ``backbone`` (an export)."""
    if (checkpoint is None) == (backbone is None):
        raise EgoequivError("finetune: give one of --checkpoint CKPT or --backbone EXPORT")
    return from_checkpoint(checkpoint) if checkpoint is not None else from_export(backbone)


def depends_on(backbone: Backbone, layer: str, image_size: int, channels: int) -> set[str]:
    """Names of the parameters that ``layer``'s features depend on: the ones found in its
    autograd graph, so this holds for any backbone without a list per class."""
    was = backbone.training
    backbone.eval()  # BatchNorm's running statistics must not move
    named = [(n, p) for n, p in backbone.named_parameters() if p.requires_grad]
    device = next(backbone.parameters()).device
    feats = backbone(torch.zeros(2, channels, image_size, image_size, device=device))[layer]
    grads = torch.autograd.grad(feats.sum(), [p for _, p in named], allow_unused=True)
    backbone.train(was)
    return {n for (n, _), g in zip(named, grads, strict=True) if g is not None}
