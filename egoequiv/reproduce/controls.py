"""Controls measured beside the methods, with the same suite and the same labelled frames:

- ``pixels``: the normalised frames themselves, flattened (image_size^2 x channels values);
- ``random-init``: the untrained network (Glorot-initialised with the run's seed), its
  feature layer.

Neither has a trained head, so top-1 (and next-best-view) use a linear probe fitted on the
labelled training frames of the same label split the methods' heads were trained on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from egoequiv.config import Config, to_dict
from egoequiv.data.tensors import Normalizer
from egoequiv.evaluation import record
from egoequiv.evaluation.context import probe_labels
from egoequiv.evaluation.features import extract_features
from egoequiv.evaluation.recognition import fit_linear_probe
from egoequiv.evaluation.suite import run_suite
from egoequiv.task.load import prepare
from egoequiv.training.checkpoint import build_method

CONTROLS = ("pixels", "random-init")


def pixel_features(images: np.ndarray, normalizer: Normalizer, batch: int = 2048) -> np.ndarray:
    """(N, H*W*C) float32: each frame normalised as the networks see it, flattened."""
    out = [normalizer(torch.from_numpy(np.array(images[s:s + batch]))).flatten(1).numpy()
           for s in range(0, len(images), batch)]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def control_features(name: str, cfg: Config, frames, task) -> np.ndarray:
    normalizer = Normalizer.fit(frames.images, task.train)
    if name == "pixels":
        return pixel_features(frames.images, normalizer)
    if name == "random-init":
        torch.manual_seed(cfg.seed)
        method = build_method(cfg, frames.images.shape[3], task.num_classes,
                              task.patterns.num_patterns, task.pairs.motion.shape[1])
        return extract_features(method, frames.images, normalizer)[0]
    raise ValueError(f"unknown control {name!r}; known: {', '.join(CONTROLS)}")


def run_control(name: str, cfg: Config, dataset: str, labelled: str | None, run_dir: Path,
                metrics) -> dict:
    """Measure control ``name`` on the task of ``cfg`` (reused when already measured)."""
    done = record.reusable(run_dir, to_dict(cfg), metrics)
    if done is not None:
        return {**done, "reused": True}
    frames, task = prepare(cfg, dataset, quiet=True, labelled_dataset=labelled)
    z = control_features(name, cfg, frames, task)
    classifier = None
    if task.table.is_labelled and len(task.labelled):
        labels = task.table.labels
        classifier = fit_linear_probe(z[task.labelled], labels[task.labelled],
                                      task.num_classes).logits
    suite = run_suite(z, task, metrics=list(metrics),
                      classifier_logits=None if classifier is None else classifier(z),
                      classifier=classifier, seed=cfg.seed,
                      labels_per_class=probe_labels(cfg.labels_per_class))
    result = record.make("control", method=name, dataset=dataset, config=to_dict(cfg),
                         measurements=suite, labelled_dataset=labelled,
                         feature_dim=int(z.shape[1]), num_classes=task.num_classes)
    record.write(run_dir, result)
    return {**result, "reused": False}
