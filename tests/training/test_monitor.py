"""Early stopping reads the validation loss curve: known curves, known answers."""

from egoequiv.training.monitor import monitor_curves, stop_iteration


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
