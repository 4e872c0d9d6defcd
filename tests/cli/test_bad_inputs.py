"""Bad inputs named by the issue: each is refused with one line naming what was expected."""

import json

import numpy as np
import pytest

from egoequiv.cli.main import main
from egoequiv.config import load_config
from egoequiv.errors import ConfigError, EgoequivError

TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8",
        "--iters", "2"]


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egoequiv: error:") and "\n" not in err, err
    return err


@pytest.mark.parametrize("overrides, message", [
    ({"iters": True}, "iters must be int"),
    ({"lam": float("nan")}, "lam must be float"),
    ({"seed": 2 ** 70}, "seed must be below 2\\*\\*63"),
    ({"image_size": 4}, "image_size 4 is too small"),
    ({"window": -1}, "window must be >= 0"),
    ({"labels_per_class": -1}, "labels_per_class must be >= 0"),
])
def test_bad_config_values(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)


@pytest.mark.parametrize("text, suffix, message", [
    ("[1, 2]", ".json", "expected a table of keys, got a list"),
    ("train = 5", ".toml", "'train' must be a table"),
])
def test_config_files_of_the_wrong_shape(tmp_path, text, suffix, message):
    path = tmp_path / f"run{suffix}"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_feature_layer_the_backbone_lacks(tmp_path, capsys, shared_data):
    err = one_line_error(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}",
                                  "--out", str(tmp_path / "r"), *TINY,
                                  "--set", "feature_layer=fc6"])
    assert "feature_layer 'fc6' is not a layer of smallnet; valid: auto, fc1, fc2" in err


@pytest.mark.parametrize("make_out, message", [
    (lambda p: (p / "f").write_text("x") and p / "f", "exists and is not a folder"),
    (lambda p: (p / "f").write_text("x") and p / "f" / "run", "cannot create it"),
])
def test_bad_out_fails_before_decoding(tmp_path, capsys, make_out, message):
    out = make_out(tmp_path)
    err = one_line_error(capsys, ["train", "--dataset", "eth80:/nonexistent/never/decoded",
                                  "--out", str(out), *TINY])
    assert message in err


def test_clsnet_without_labelled_frames(tmp_path, capsys, shared_data):
    err = one_line_error(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}",
                                  "--out", str(tmp_path / "r"), *TINY, "--method", "clsnet",
                                  "--set", "labels_per_class=0"])
    assert "needs labelled frames; labels_per_class is 0" in err


def test_no_labels_no_head_no_head_top1(tmp_path, shared_data):
    from egoequiv.training.checkpoint import load_run
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 2, "labels_per_class": 0, "method": "equiv"})
    metrics = train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    assert load_run(tmp_path / "checkpoint.pt").method.head is None
    assert metrics["top1_source"] == "linear_probe"


@pytest.mark.parametrize("argv_tail, message", [
    (["--batch-size", "-4"], "expected a positive integer"),
])
def test_embed_batch_size(tmp_path, capsys, argv_tail, message):
    with pytest.raises(SystemExit):
        main(["embed", "--checkpoint", "x", "--dataset", "y", "--out", "z", *argv_tail])
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (np.zeros((3280, 0)), "D >= 1"),
    (np.full((3280, 2), 1e300), "rescale"),
    (np.array([["a"]] * 3280), "expected real numbers"),
    ("npz", "not savez"),
])
def test_probe_features(tmp_path, capsys, shared_data, content, message):
    path = tmp_path / ("f.npz" if isinstance(content, str) else "f.npy")
    if isinstance(content, str):
        np.savez(path, z=np.zeros((3, 2)))
    else:
        np.save(path, content)
    err = one_line_error(capsys, ["probe", "--features", str(path), "--dataset",
                                  f"eth80:{shared_data / 'eth80'}", "--out", str(tmp_path)])
    assert message in err


def test_probe_refuses_a_key_that_is_not_the_tasks(tmp_path, capsys):
    np.save(tmp_path / "f.npy", np.zeros((3, 2)))
    err = one_line_error(capsys, ["probe", "--features", str(tmp_path / "f.npy"), "--dataset",
                                  "eth80:x", "--out", str(tmp_path), "--set", "windw=2"])
    assert "unknown config key 'windw' (valid keys: image_size" in err


@pytest.mark.parametrize("flag", ["--splits", "--labels-per-class"])
def test_probe_counts_must_be_positive(tmp_path, capsys, flag):
    with pytest.raises(SystemExit):
        main(["probe", "--features", "f.npy", "--dataset", "eth80:x", "--out", "o", flag, "0"])
    assert "expected a positive integer" in capsys.readouterr().err


def test_download_url_without_scheme(tmp_path, capsys):
    err = one_line_error(capsys, ["data", "download", "norb", "--to", str(tmp_path),
                                  "--url-base", "mirror.example.org/norb"])
    assert "expected an http(s) or ftp address" in err


def test_report_names_a_malformed_metrics_file(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.json").write_text("{not json")
    assert main(["report", str(tmp_path / "run"), "--out", str(tmp_path / "rep")]) == 0
    assert "skipped" in capsys.readouterr().err
    assert "not readable JSON" in (tmp_path / "rep" / "report.md").read_text()


def test_resume_with_fewer_iters_keeps_the_true_count(tmp_path, shared_data):
    from egoequiv.training.trainer import train

    base = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
            "feature_dim": 8, "batch_size": 8, "method": "clsnet"}
    spec = f"eth80:{shared_data / 'eth80'}"
    train(load_config(overrides={**base, "iters": 8}), spec, tmp_path, quiet=True)
    metrics = train(load_config(overrides={**base, "iters": 3}), spec, tmp_path, resume=True,
                    quiet=True)
    assert metrics["iterations"] == 8
    assert json.loads((tmp_path / "metrics.json").read_text())["iterations"] == 8


def test_checkpoint_exists_is_checked_before_decoding(tmp_path):
    from egoequiv.training.trainer import train

    (tmp_path / "checkpoint.pt").write_bytes(b"x")
    with pytest.raises(EgoequivError, match=r"resume=True; on the command line --resume"):
        train(load_config(), "eth80:/nonexistent/never/decoded", tmp_path, quiet=True)


def test_eval_on_another_dataset_neither_reuses_patterns_nor_the_head(tmp_path, capsys,
                                                                     shared_data):
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 2, "method": "equiv", "labels_per_class": 2})
    train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)  # 8 classes, views
    kitti = f"kitti-odometry:{shared_data / 'kitti_odometry'}"
    assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--dataset", kitti,
                 "--device", "cpu", "--no-plots",
                 "--metrics", "equivariance,learned_maps"]) == 0
    err = capsys.readouterr().err
    assert "other motor readings" in err
    result = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert result["learned_map_error"] is None and "learned_maps" in result["skipped"]
    assert any("other motor readings" in n for n in result["notes"])


def test_eval_with_a_head_of_other_classes_uses_a_probe(tmp_path, capsys, shared_data):
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 2, "method": "clsnet", "labels_per_class": 2})
    train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    objects = "rendered-objects:instances=2,elevations=3,lightings=1,azimuths=6,size=32"
    assert main(["eval", "--checkpoint", str(tmp_path / "checkpoint.pt"), "--dataset",
                 objects, "--device", "cpu", "--no-plots", "--metrics", "recognition"]) == 0
    assert "head has 8 classes" in capsys.readouterr().err
    result = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert result["top1_source"] == "linear_probe" and 0 <= result["top1"] <= 1


def test_a_class_only_in_test_is_warned_about(tmp_path, shared_data):
    from egoequiv.training.trainer import prepare

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "labels_per_class": 1})
    frames, _ = prepare(cfg, f"eth80:{shared_data / 'eth80'}", quiet=True)
    from egoequiv.task.build import build_task

    labels = frames.table.labels.copy()
    train_side = frames.table.split == "train"
    frames.table.labels[train_side & (labels == 7)] = -1  # class 7 only in test
    task = build_task(frames, cfg)
    frames.table.labels[:] = labels
    assert any("appear in test but have no labelled training frame" in w
               for w in task.warnings)
