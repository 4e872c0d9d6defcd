"""The measurements written at the end of every training run: top-1 on the test split
(from the jointly trained softmax head) and the equivariance error (maps refitted by least
squares on training pairs, error on test pairs; see egoequiv.evaluate.equivariance)."""

from __future__ import annotations

import numpy as np

from egoequiv.data.cache import Frames
from egoequiv.data.tensors import Normalizer
from egoequiv.evaluate.equivariance import equivariance_error
from egoequiv.evaluate.features import extract_features
from egoequiv.methods import Method
from egoequiv.train.task import Task


def first_measurements(method: Method, frames: Frames, task: Task, normalizer: Normalizer,
                       device) -> dict:
    z, logits = extract_features(method, frames.images, normalizer, device, logits=True)
    out = {"top1": None}
    labels = task.table.labels
    if logits is not None and labels is not None:
        test = task.test[labels[task.test] >= 0]
        out["top1"] = float((logits[test].argmax(axis=1) == labels[test]).mean())
    tr = task.pairs.select(task.pairs.pattern >= 0)
    te = task.test_pairs.select(task.test_pairs.pattern >= 0)
    eq = equivariance_error(z[tr.i], z[tr.j], tr.pattern, z[te.i], z[te.j], te.pattern,
                            task.patterns.num_patterns)
    out["equivariance_error"] = eq["mean"]
    out["equivariance_error_per_pattern"] = eq["per_pattern"]
    out["num_test_pairs"] = int(len(te))
    out["feature_dim"] = int(z.shape[1])
    if not np.isfinite(z).all():
        out["warnings"] = ["features contain non-finite values"]
    return out
