"""Early stopping reads the validation curves: known curves, known answers; the monitor's
validation equivariance recomputed from the features."""

import numpy as np
import pytest
import torch

from egoequiv.training.monitor import TrainingMonitor, monitor_curves, stop_iteration


def curve(losses, every=10):
    return [{"iteration": every * (k + 1), "val_softmax_loss": v} for k, v in enumerate(losses)]


def test_stops_after_patience_evaluations_without_a_new_minimum():
    assert stop_iteration(curve([3.0, 2.0, 2.5, 2.6]), patience=2) == (20, True)
    assert stop_iteration(curve([3.0, 2.0, 2.5]), patience=2) == (20, False)
    assert stop_iteration(curve([3.0, 2.0, 1.0]), patience=2) == (30, False)


def test_ties_keep_the_earlier_minimum_and_patience_zero_never_stops():
    assert stop_iteration(curve([2.0, 2.0, 2.0]), patience=2) == (10, True)
    assert stop_iteration(curve([1.0, 2.0, 3.0, 4.0]), patience=0) == (10, False)


def test_no_validation_loss_no_stop():
    history = [{"iteration": 5, "loss": 1.0}, {"iteration": 10, "slowness_auroc_train": 0.9}]
    assert stop_iteration(history, patience=3) == (None, False)
    assert monitor_curves(history)["slowness_auroc_train"] == [(10, 0.9)]
    assert monitor_curves(history)["val_softmax_loss"] == []


def test_top1_is_maximised():
    history = [{"iteration": 10 * (k + 1), "val_top1": v} for k, v in
               enumerate([0.2, 0.5, 0.4, 0.45])]
    assert stop_iteration(history, patience=2, metric="val_top1") == (20, True)
    assert stop_iteration(history, patience=3, metric="val_top1") == (20, False)


def test_equivariance_error_is_minimised():
    history = [{"iteration": 10 * (k + 1), "val_equivariance": v} for k, v in
               enumerate([0.9, 0.7, 0.8, 0.75])]
    assert stop_iteration(history, patience=2, metric="val_equivariance") == (20, True)


@pytest.fixture(scope="module")
def validation_task(shared_data):
    from egoequiv.config import load_config
    from egoequiv.task.load import prepare

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "method": "equiv",
                                 "validation_fraction": 0.2})
    frames, task = prepare(cfg, f"eth80:{shared_data / 'eth80'}", quiet=True)
    return cfg, frames, task


def test_validation_equivariance_is_the_refitted_error_on_unseen_instances(validation_task):
    from egoequiv.data.tensors import Normalizer
    from egoequiv.evaluation.equivariance import error_with_maps, fit_maps
    from egoequiv.training.checkpoint import build_method

    cfg, frames, task = validation_task
    torch.manual_seed(0)
    method = build_method(cfg, 1, task.num_classes, task.patterns.num_patterns,
                          task.pairs.motion.shape[1])
    normalizer = Normalizer.fit(frames.images, task.train)
    monitor = TrainingMonitor(task, validation=True)
    got = monitor(method, frames.images, normalizer)["val_equivariance"]

    instance = frames.table.meta["instance"]
    fit, scored = monitor.val_fit, monitor.val_pairs
    assert set(instance[scored.i]) | set(instance[scored.j]) <= set(instance[task.test])
    assert not (set(instance[fit.i]) | set(instance[fit.j])) & set(instance[task.test])
    with torch.no_grad():
        z = method.embed(normalizer(torch.from_numpy(np.asarray(frames.images)))).double().numpy()
    maps = fit_maps(z[fit.i], z[fit.j], fit.pattern, task.patterns.num_patterns)
    expected = error_with_maps(maps, z[scored.i], z[scored.j], scored.pattern)["mean"]
    assert got == pytest.approx(expected, rel=1e-5)
    assert 0 < got < 2


def test_no_validation_split_no_validation_equivariance(validation_task):
    from egoequiv.data.tensors import Normalizer
    from egoequiv.training.checkpoint import build_method

    cfg, frames, task = validation_task
    method = build_method(cfg, 1, task.num_classes, task.patterns.num_patterns,
                          task.pairs.motion.shape[1])
    out = TrainingMonitor(task, validation=False)(
        method, frames.images, Normalizer.fit(frames.images, task.train))
    assert "val_equivariance" not in out and np.isfinite(out["equivariance_heldout"])
