"""The finetuned model as a training checkpoint: a ``clsnet`` run (backbone + softmax head),
so ``egoequiv.load``, ``eval`` and ``export`` read it like any other.

Its config is written from the backbone's description alone (not the pretraining run's), so
a checkpoint and the export it came from finetune into the same file. A head on the top layer
is the method's own head; a head on a lower layer has no place in a method, so it is kept in
``extra["finetune_head"]`` ({layer, weight, bias}) and the config's ``feature_layer`` names
that layer (``embed`` returns its features).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.config import load_config
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.methods import resolve_config
from egoequiv.motion.patterns import MotionPatterns
from egoequiv.training.checkpoint import build_method, save_checkpoint
from egoequiv.transfer.start import Start

#: constructor arguments that are a config's own fields, not backbone keys
NOT_KEYS = ("in_channels", "image_size")


def finetuned_config(start: Start, cell, settings, dataset: str):
    """The clsnet Config that rebuilds this backbone, with the cell's schedule."""
    keys = {k: v for k, v in start.kwargs.items() if k in start.cls.options}
    top = cell.layer == start.layers[-1]
    sched = settings.schedule
    cfg = resolve_config(load_config(overrides={
        "model": start.model, **keys, "image_size": start.image_size,
        "channels": start.channels, "method": "clsnet", "feature_layer":
        "auto" if top else cell.layer, "labels_per_class": cell.labels_per_class,
        "label_split": cell.split, "lr": cell.lr, "weight_decay": sched.weight_decay,
        "momentum": sched.momentum, "batch_size": sched.batch_size, "iters": sched.iters,
        "seed": settings.seed}))
    return cfg


def no_patterns() -> MotionPatterns:
    """A classifier learns no motion patterns: an empty set (no maps, no pattern labels)."""
    return MotionPatterns(np.zeros((0, 1)), np.ones(1), np.zeros(0), 0.1)


def save_finetuned(path: Path, start: Start, kept, settings, dataset: str, num_classes: int,
                   run_id: str) -> None:
    model, backbone, cell = kept
    cfg = finetuned_config(start, cell, settings, dataset)
    top = cell.layer == start.layers[-1]
    method = build_method(cfg, start.channels, num_classes if top else 0, 0, 1)
    if method.backbone.kwargs != start.kwargs:  # a backbone no config describes
        raise EgoequivError(f"finetune: {start.cls.__name__}({start.kwargs}) cannot be "
                            "written as a config; no checkpoint saved")
    method.backbone.load_state_dict(backbone.state_dict())
    extra = {"finetune": {"init": cell.init, "layer": cell.layer, "freeze": settings.freeze,
                          "labels_per_class": cell.labels_per_class, "split": cell.split,
                          "lr": cell.lr, "test_top1": cell.test_top1,
                          "started_from": start.origin}}
    head = model.folded_head()  # the standardisation folded in: it reads relu(layer)
    if top:
        method.head.load_state_dict(head.state_dict())
    else:
        extra["finetune_head"] = {"layer": cell.layer, "weight": head.weight.detach(),
                                  "bias": head.bias.detach()}
    shape = {"in_channels": start.channels, "num_classes": num_classes if top else 0,
             "num_patterns": 0, "motion_dim": 1, "image_size": start.image_size, "motor": []}
    save_checkpoint(path, method=method, optimizer=None, iteration=cell.best_iteration,
                    cfg=cfg, dataset=dataset, normalizer=Normalizer(start.mean, start.std),
                    patterns=no_patterns(), shape=shape, extra=extra, run_id=run_id)
