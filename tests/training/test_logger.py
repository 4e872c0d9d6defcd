"""Live logs: metrics.csv grows while the run trains; TensorBoard events with the extra."""

from egoequiv.config import load_config
from egoequiv.training.trainer import train
from egoequiv.utils.metrics_csv import read_metrics_csv

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 8, "log_every": 2, "checkpoint_every": 4}


def test_metrics_csv_grows_during_the_run_and_resume_rewrites_it(tmp_path, shared_data):
    spec = f"eth80:{shared_data / 'eth80'}"
    seen = []

    def watch(iteration):
        seen.append(len((tmp_path / "metrics.csv").read_text().splitlines()))

    train(load_config(overrides={**TINY, "method": "equiv+drlim"}), spec, tmp_path,
          quiet=True, callback=watch)
    assert seen[0] == 1 and seen[-1] > seen[3] > seen[1] > 1  # header, then rows appear
    curves = read_metrics_csv(tmp_path / "metrics.csv")
    assert [i for i, _ in curves["loss"]] == [2, 4, 6, 8]
    assert {"equiv", "drlim", "softmax", "lr"} <= set(curves)
    assert all(v == 0.01 for _, v in curves["lr"])


def test_tensorboard_writes_events(tmp_path, shared_data):
    train(load_config(overrides={**TINY, "method": "drlim", "logger": "tensorboard"}),
          f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
