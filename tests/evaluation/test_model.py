"""``evaluate_on_task`` on real ETH-80 views: the model's motion patterns are measured on a new
task, and the caller's task is left as it was."""

import numpy as np
import pytest
import torch

from egoequiv.config import load_config
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.data.tensors import Normalizer
from egoequiv.evaluation.model import evaluate_on_task
from egoequiv.methods import resolve_config
from egoequiv.task.build import build_task
from egoequiv.training.checkpoint import build_method

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8}


def cfg(**kw):
    return resolve_config(load_config(overrides={**TINY, **kw}))


@pytest.fixture(scope="module")
def setting(shared_data):
    frames = load_frames(open_source(f"eth80:{shared_data / 'eth80'}"), 16, 1, quiet=True)
    task = build_task(frames, cfg())
    # the model's own patterns: 3 k-means clusters, not the task's 4 grid steps
    model_patterns = build_task(frames, cfg(view_patterns="kmeans", num_patterns=3)).patterns
    torch.manual_seed(0)
    method = build_method(cfg(method="equiv"), 1, task.num_classes, 3, 2)
    spec = task.table.motor_spec
    motor = [{"name": n, "unit": u} for n, u in zip(spec.names, spec.units)]
    return task, model_patterns, method, Normalizer.fit(frames.images, task.train), motor


def counts(patterns, motion, g):
    assigned = patterns.assign(motion)
    return [int((assigned == k).sum()) for k in range(g)]


@pytest.mark.parametrize("same_motor", [True, False])
def test_the_callers_task_is_unchanged(setting, same_motor):
    task, model_patterns, method, normalizer, motor = setting
    motor = motor if same_motor else [{"name": "speed", "unit": "m/s"}] * 2
    own = task.patterns
    before = task.pairs.pattern.copy(), task.test_pairs.pattern.copy()
    result, notes = evaluate_on_task(method, normalizer, model_patterns, motor, task,
                                     metrics=["equivariance"])
    assert task.patterns is own
    assert np.array_equal(task.pairs.pattern, before[0])
    assert np.array_equal(task.test_pairs.pattern, before[1])
    used, g = (model_patterns, 3) if same_motor else (own, 4)
    assert result["equivariance_pairs"] == counts(used, task.test_pairs.motion, g)
    assert bool(notes) != same_motor  # other motor readings: said so, own patterns used
