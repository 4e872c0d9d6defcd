"""End-to-end training on a small slice of the real ETH-80 data (16x16 grey)."""

import json

import pytest
import torch

from egoequiv.config import load_config
from egoequiv.errors import ConfigError, EgoequivError
from egoequiv.methods import METHODS
from egoequiv.training.checkpoint import load_run, read_checkpoint
from egoequiv.training.trainer import train

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 6, "checkpoint_every": 3, "log_every": 2}


def tiny(**kw):
    return load_config(overrides={**TINY, **kw})


@pytest.fixture(scope="module")
def eth80(shared_data):
    return f"eth80:{shared_data / 'eth80'}"


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_trains_and_writes_metrics(tmp_path, eth80, method):
    metrics = train(tiny(method=method), eth80, tmp_path, quiet=True)
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("method", "dataset", "seed", "top1", "equivariance_error", "train_seconds"):
        assert key in on_disk
    assert on_disk["method"] == method and 0 <= metrics["top1"] <= 1
    assert metrics["equivariance_error"] > 0
    run = load_run(tmp_path / "checkpoint.pt")
    assert run.iteration == 6 and run.cfg.method == method
    assert (tmp_path / "motion_patterns.png").exists()


@pytest.mark.parametrize("overrides", [
    {"method": "equiv", "equiv_negatives": "frames"},
    {"method": "equiv+drlim", "contrastive_form": "hadsell", "map_type": "bottleneck"},
    {"method": "drlim", "feature_layer": "fc1"},
])
def test_documented_variants_train(tmp_path, eth80, overrides):
    metrics = train(tiny(**overrides), eth80, tmp_path, quiet=True)
    assert metrics["config"].items() >= overrides.items()
    assert metrics["equivariance_error"] > 0
    if overrides.get("equiv_negatives") == "frames":
        run = load_run(tmp_path / "checkpoint.pt")
        assert run.method.needs(run.method.hp).negatives  # the triplet form: random frames
    if overrides.get("feature_layer") == "fc1":
        assert metrics["feature_dim"] == 16


@pytest.mark.parametrize("extra", [{}, {"augment_shift": 2, "map_decay": 0.1}],
                         ids=["plain", "augmented"])
def test_killed_run_resumes_to_the_same_weights(tmp_path, eth80, extra):
    cfg = tiny(method="equiv+drlim", iters=8, checkpoint_every=3, **extra)
    train(cfg, eth80, tmp_path / "straight", quiet=True)

    class Killed(Exception):
        pass

    def kill_at_5(iteration):
        if iteration == 5:  # after the checkpoint at 3, before the one at 6
            raise Killed

    with pytest.raises(Killed):
        train(cfg, eth80, tmp_path / "resumed", quiet=True, callback=kill_at_5)
    assert read_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["iteration"] == 3
    train(cfg, eth80, tmp_path / "resumed", resume=True, quiet=True)
    a = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")["model"]
    b = read_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["model"]
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path, eth80):
    m1 = train(tiny(method="drlim"), eth80, tmp_path / "a", quiet=True)
    m2 = train(tiny(method="drlim"), eth80, tmp_path / "b", quiet=True)
    m3 = train(tiny(method="drlim", seed=1), eth80, tmp_path / "c", quiet=True)
    assert m1["history"] == m2["history"]
    assert m1["history"] != m3["history"]


def test_existing_run_needs_resume_and_same_settings(tmp_path, eth80):
    train(tiny(method="clsnet"), eth80, tmp_path, quiet=True)
    with pytest.raises(EgoequivError, match="resume=True"):
        train(tiny(method="clsnet"), eth80, tmp_path, quiet=True)
    with pytest.raises(EgoequivError, match="different settings.*lam"):
        train(tiny(method="clsnet", lam=0.5), eth80, tmp_path, resume=True, quiet=True)


def test_missing_dataset_path_is_one_line_error(tmp_path):
    with pytest.raises(EgoequivError, match="does not exist") as e:
        train(tiny(), f"eth80:{tmp_path / 'nowhere'}", tmp_path / "run", quiet=True)
    assert "\n" not in str(e.value)


def test_unlabelled_kitti_odometry_is_pure_equivariance_pretraining(tmp_path, shared_data):
    spec = f"kitti-odometry:{shared_data / 'kitti_odometry'}"
    metrics = train(tiny(method="equiv+drlim", num_patterns=3), spec, tmp_path, quiet=True)
    assert metrics["top1"] is None and metrics["num_labelled"] == 0
    assert metrics["equivariance_error"] > 0
    assert set(metrics["history"][-1]) >= {"equiv", "drlim"}  # no softmax term
    with pytest.raises(EgoequivError, match="needs labelled frames"):
        train(tiny(method="clsnet"), spec, tmp_path / "cls", quiet=True)


def test_frames_csv_source_trains(tmp_path, shared_data):
    from egoequiv.cli.main import main

    src = f"eth80:{shared_data / 'eth80'}"
    assert main(["data", "convert", src, str(tmp_path / "csv")]) == 0
    metrics = train(tiny(method="equiv"), f"frames-csv:{tmp_path / 'csv' / 'frames.csv'}",
                    tmp_path / "run", quiet=True)
    assert metrics["top1"] is not None and metrics["num_pairs"] > 0


def test_monitors_logged_as_curves(tmp_path, eth80):
    metrics = train(tiny(method="equiv", monitor_every=3), eth80, tmp_path, quiet=True)
    logged = [h for h in metrics["history"] if "slowness_auroc_train" in h]
    assert [h["iteration"] for h in logged] == [3, 6]
    for h in logged:
        assert 0 <= h["slowness_auroc_train"] <= 1
        assert h["equivariance_heldout"] > 0 and h["learned_map_heldout"] > 0
        assert "val_softmax_loss" not in h  # no validation split: test frames stay unseen
    for key in ("slowness_auroc_train", "equivariance_heldout", "learned_map_heldout"):
        assert (tmp_path / f"{key}_curve.png").exists()


def test_train_and_eval_write_the_same_numbers_for_one_checkpoint(tmp_path, eth80):
    from egoequiv.cli.main import main

    metrics = train(tiny(method="equiv+drlim"), eth80, tmp_path, quiet=True)
    assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--device", "cpu",
                 "--no-plots"]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    for key in ("top1", "probe_top1", "equivariance_error", "equivariance_error_per_pattern",
                "learned_map_error", "learned_map_error_per_pattern"):
        assert evaluated[key] == metrics[key], key


def test_the_probes_use_the_runs_own_labels_per_class_and_the_report_says_so(tmp_path, eth80):
    from egoequiv.cli.main import main
    from egoequiv.evaluation.report import write_report

    metrics = train(tiny(method="equiv", labels_per_class=3), eth80, tmp_path / "r",
                    quiet=True)
    assert (metrics["labels_per_class"], metrics["probe_labels_per_class"]) == (3, 3)
    ckpt = str(tmp_path / "r" / "checkpoint.pt")
    assert main(["eval", "--checkpoint", ckpt, "--device", "cpu", "--no-plots",
                 "--metrics", "recognition"]) == 0
    assert json.loads((tmp_path / "r" / "eval" / "metrics.json").read_text())[
        "probe_labels_per_class"] == 3
    assert main(["eval", "--checkpoint", ckpt, "--device", "cpu", "--no-plots", "--metrics",
                 "recognition", "--labels-per-class", "7", "--out", str(tmp_path / "e7")]) == 0
    e7 = json.loads((tmp_path / "e7" / "metrics.json").read_text())
    assert (e7["labels_per_class"], e7["probe_labels_per_class"]) == (3, 7)
    text = write_report([tmp_path / "r"], tmp_path / "rep").read_text()
    assert "Labelled training frames per class behind top-1: equiv 3 (probes 3)." in text


def test_validation_split_holds_out_training_instances_never_test(tmp_path, eth80):
    from egoequiv.training.trainer import prepare

    cfg = tiny(validation_fraction=0.2)
    frames, task = prepare(cfg, eth80, quiet=True)
    _, full = prepare(tiny(), eth80, quiet=True)
    split = frames.table.split
    assert (split[task.train] == "train").all() and (split[task.test] == "train").all()
    instance = frames.table.meta["instance"]
    assert not set(instance[task.train]) & set(instance[task.test])
    labels = frames.table.labels
    assert set(labels[task.test]) == set(labels[task.train])  # every class held out
    assert len(task.train) + len(task.test) == len(full.train)


def test_early_stopping_on_validation_loss(tmp_path, eth80):
    cfg = tiny(method="clsnet", validation_fraction=0.2, monitor_every=1, patience=2,
               iters=60, lr=0.1, stop_metric="val_softmax_loss")
    metrics = train(cfg, eth80, tmp_path, quiet=True)
    losses = [(h["iteration"], h["val_softmax_loss"]) for h in metrics["history"]
              if "val_softmax_loss" in h]
    best = min(losses, key=lambda x: x[1])[0]
    assert metrics["best_val_iteration"] == best == metrics["measured_iteration"]
    # the measured (and loaded) model is the best validation iterate, not the last one
    from egoequiv.cli.main import main

    assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--device", "cpu",
                 "--no-plots", "--metrics", "recognition"]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert evaluated["top1"] == metrics["top1"]
    if metrics["stopped_early"]:
        assert metrics["iterations"] == best + 2 < 60
    else:
        assert metrics["iterations"] == 60 and best > 60 - 2


def test_early_stopping_on_validation_equivariance_serves_its_best_iterate(tmp_path, eth80):
    cfg = tiny(method="equiv", validation_fraction=0.2, monitor_every=2, patience=10,
               iters=12, stop_metric="val_equivariance")
    metrics = train(cfg, eth80, tmp_path, quiet=True)
    errors = [(h["iteration"], h["val_equivariance"]) for h in metrics["history"]
              if "val_equivariance" in h]
    assert len(errors) == 6
    best = min(errors, key=lambda x: x[1])[0]
    assert metrics["best_val_iteration"] == best == metrics["measured_iteration"]
    state = read_checkpoint(tmp_path / "checkpoint.pt")
    assert state["iteration"] == 12 and state["extra"]["best_model"] is not None
    # chosen on the validation objects; then measured once on the test objects
    from egoequiv.cli.main import main
    from egoequiv.task.load import prepare

    for flag, out in (([], "val"), (["--test"], "test")):
        assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--device",
                     "cpu", "--no-plots", "--metrics", "equivariance", "--out",
                     str(tmp_path / out), *flag]) == 0
    val, test = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("val", "test"))
    assert val["equivariance_error"] == pytest.approx(metrics["equivariance_error"])
    _, test_task = prepare(tiny(validation_fraction=0.0), eth80, quiet=True)
    assert sum(test["equivariance_pairs"]) == int((test_task.test_pairs.pattern >= 0).sum())
    assert sum(val["equivariance_pairs"]) == metrics["num_test_pairs"] != \
        sum(test["equivariance_pairs"])
    assert test["config"]["validation_fraction"] == 0.0


def test_augment_shift_must_stay_inside_the_frame():
    with pytest.raises(ConfigError, match="augment_shift must be below image_size"):
        tiny(augment_shift=16)


def test_patience_needs_a_validation_split():
    with pytest.raises(EgoequivError, match="patience"):
        tiny(patience=3)


def test_pairs_from_kitti_labels_from_scene15(tmp_path, shared_data):
    """The paper's KITTI -> SUN setting: unlabelled video pairs from one source, a few
    labelled images from another; recognition is measured on the labelled source's test
    split, equivariance on the video's test pairs."""
    from egoequiv.cli.main import main

    data = tmp_path / "data"  # through a symlink: the records keep the path as typed
    data.symlink_to(shared_data)
    kitti = f"kitti-odometry:{data / 'kitti_odometry'}"
    scenes = f"imagefolder:{data / 'scene15'}"
    tmp_path = tmp_path / "run"
    cfg = tiny(method="equiv+drlim", labels_per_class=2, num_patterns=3, channels=1)
    metrics = train(cfg, kitti, tmp_path, quiet=True, labelled_dataset=scenes)
    assert metrics["labelled_dataset"] == scenes and metrics["num_labelled"] == 30
    assert 0 <= metrics["top1"] <= 1 and metrics["equivariance_error"] > 0
    run = load_run(tmp_path / "checkpoint.pt")
    assert run.labelled_dataset == scenes and run.shape["num_classes"] == 15
    with pytest.raises(EgoequivError, match="different settings"):
        train(cfg, kitti, tmp_path, resume=True, quiet=True)  # labels from elsewhere now
    assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--device", "cpu",
                 "--metrics", "recognition,equivariance"]) == 0
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert evaluated["top1"] == pytest.approx(metrics["top1"])


def test_streaming_from_disk_trains_bit_identically_to_frames_on_the_device(tmp_path, eth80):
    """device_cache_mb=0 streams every batch from the cache file (read in the step, or by
    the prefetch thread); the batches, and so the weights, are those of the in-memory run."""
    cfg = dict(method="equiv+drlim", iters=8, checkpoint_every=4)
    train(tiny(**cfg), eth80, tmp_path / "memory", quiet=True)
    a = read_checkpoint(tmp_path / "memory" / "checkpoint.pt")["model"]
    history = json.loads((tmp_path / "memory" / "metrics.json").read_text())["history"]
    for prefetch in (0, 2):
        out = tmp_path / f"disk{prefetch}"
        streamed = train(tiny(**cfg, device_cache_mb=0, prefetch=prefetch), eth80, out,
                         quiet=True)
        b = read_checkpoint(out / "checkpoint.pt")["model"]
        assert all(torch.equal(a[k], b[k]) for k in a)
        assert streamed["history"] == history


def test_a_diverging_run_stops_within_log_every_steps(tmp_path, eth80):
    from egoequiv.training.trainer import TrainingDiverged

    seen = []
    with pytest.raises(TrainingDiverged, match=r"diverged between iterations 1 and 4 "
                                               r"\(a non-finite loss\)"):
        train(tiny(method="drlim", lr=1e30, iters=40, log_every=4, checkpoint_every=40),
              eth80, tmp_path, quiet=True, callback=seen.append)
    assert max(seen) < 4  # stopped at the first read, iteration 4
    assert not (tmp_path / "checkpoint.pt").exists()  # nothing diverged was saved


def test_each_method_sees_only_the_hyperparameters_it_declares():
    """A method gets its declared config keys (and its parents'), not the whole config."""
    cfg = tiny(method="equiv+drlim")
    from egoequiv.models import build_backbone

    method = METHODS["equiv+drlim"](build_backbone(cfg, 1), cfg, 3, 4, 2)
    assert vars(method.hp) == {"margin": 1.0, "contrastive_form": "legacy",
                               "equiv_negatives": "maps", "equiv_pull": "relative",
                               "map_type": "auto", "map_hidden": 256, "map_decay": 0.0,
                               "equiv_margin_with_drlim": 0.1, "drlim_weight": 1.0}
    assert not hasattr(method, "cfg")


def test_a_method_key_reaches_the_method_and_is_stored(eth80, tmp_path):
    train(tiny(method="equiv+drlim", drlim_weight="0.5", iters=2), eth80, tmp_path,
          quiet=True)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["drlim_weight"] == 0.5 and saved["margin"] == 1.0  # set, and defaulted
    assert load_run(tmp_path / "checkpoint.pt").method.hp.drlim_weight == 0.5


def test_a_key_the_method_does_not_read_fails_before_any_decoding(tmp_path):
    with pytest.raises(ConfigError, match="method clsnet does not read 'margin'"):
        train(tiny(method="clsnet", margin=0.5), "eth80:/nonexistent", tmp_path, quiet=True)
