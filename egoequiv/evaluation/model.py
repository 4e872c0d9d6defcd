"""Evaluate a trained model (a Method) on a task: features, then the whole suite.

Used by training, ``egoequiv eval`` and the demo; ``run_suite`` does the measuring, this only
turns the model into what the suite takes (features, head logits, learned maps, classifier)
and decides which of the model's parts fit the task (``evaluate_on_task``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.evaluation.features import extract_features
from egoequiv.evaluation.suite import run_suite
from egoequiv.methods import Method

if TYPE_CHECKING:  # types only
    from egoequiv.motion.patterns import MotionPatterns
    from egoequiv.task.build import Task


def evaluate_model(method: Method, task: Task, normalizer: Normalizer, device="cpu",
                   metrics: list[str] | None = None, out_dir=None, seed: int = 0,
                   learned_maps: bool = True, use_head: bool = True, **options) -> dict:
    """The suite on ``method``'s features; ``learned_maps=False`` when the task's motion
    patterns are not the ones the model's maps were trained on, ``use_head=False`` when its
    classes are not the head's (top-1 then comes from a linear probe)."""
    z, logits = extract_features(method, task.frames.images, normalizer, device,
                                 logits=use_head)
    learned = None
    probe = torch.zeros(1, method.feature_dim, device=device)
    if learned_maps and method.map_features(
            probe, torch.zeros(1, dtype=torch.long, device=device)) is not None:
        learned = _numpy_fn(lambda zi, g: method.map_features(zi, g), device)
    classifier = None
    if method.head is not None and use_head:
        top = method.backbone.layers[-1]
        if top == method.feature_layer:  # the head reads z itself: usable on predicted z
            classifier = _numpy_fn(lambda zi: method.head(torch.relu(zi)), device)
    return run_suite(z, task, metrics=metrics, classifier_logits=logits, learned_maps=learned,
                     classifier=classifier, seed=seed, out_dir=out_dir, **options)


def evaluate_on_task(method: Method, normalizer: Normalizer, patterns: MotionPatterns,
                     motor: list[dict] | None, task: Task, device="cpu",
                     **options) -> tuple[dict, list[str]]:
    """``evaluate_model`` on a task that may come from other data than the model's: its
    motion patterns (and so its learned maps) are used when the task's motor readings are the
    same quantities in the same units (``motor``: the training data's [{name, unit}]), its
    head when it has the task's classes. Returns (measurements, notes on what was not used);
    ``task`` itself is not changed (the model's patterns give a new one)."""
    notes = []
    spec = task.table.motor_spec
    same = [(m["name"], m["unit"]) for m in motor] == list(zip(spec.names, spec.units)) \
        if motor else len(patterns.scale) == spec.dim
    if same:  # the patterns the maps were trained on
        task = task.with_patterns(patterns)
    else:
        notes.append("this data has other motor readings than the training data: "
                     "equivariance uses its own motion patterns, and the learned maps are "
                     "not measured")
    head = method.head.out_features if method.head is not None else 0
    use_head = bool(head) and head == task.num_classes
    if head and not use_head:
        notes.append(f"the checkpoint's head has {head} classes, this data has "
                     f"{task.num_classes or 'no'}: top-1 comes from a linear probe on its "
                     "own labels")
    result = evaluate_model(method, task, normalizer, device, learned_maps=same,
                            use_head=use_head, **options)
    return result, notes


def _numpy_fn(fn, device):
    """Wrap a torch function of (features[, patterns]) to take and return numpy arrays."""
    @torch.no_grad()
    def wrapped(*arrays):
        args = [torch.as_tensor(np.asarray(a), device=device) for a in arrays]
        args[0] = args[0].float()
        return fn(*args).float().cpu().numpy()

    return wrapped
