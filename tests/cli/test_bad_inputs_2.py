"""Bad inputs of the second hardening round (issue 21): each one, named, is refused with one
line naming what was expected, or gives the right result. Run through the command where a
user would meet it; in other processes where processes matter (tests/training/
test_run_folder.py holds the lock and interrupt cases)."""

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from egoequiv.cli.main import main
from egoequiv.config import load_config
from egoequiv.errors import ConfigError, EgoequivError

TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8",
        "--iters", "2", "--quiet"]


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egoequiv: error:") and "\n" not in err, err
    return err


@pytest.fixture(scope="module")
def trained(tmp_path_factory, shared_data):
    """A tiny equiv run on ETH-80 (its folder), trained once for this module."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--dataset", f"eth80:{shared_data / 'eth80'}", "--out", str(out),
                 "--method", "equiv", *TINY]) == 0
    return out


# --- 1. a folder holds one run -------------------------------------------------------------

def test_checkpoint_and_metrics_carry_one_run_id(trained):
    from egoequiv.training.checkpoint import read_checkpoint

    run_id = read_checkpoint(trained / "checkpoint.pt")["run_id"]
    assert run_id and json.loads((trained / "metrics.json").read_text())["run_id"] == run_id


@pytest.mark.parametrize("command", ["eval", "embed"])
def test_a_folder_mixing_two_runs_is_refused_naming_both(tmp_path, capsys, trained, command):
    """input: trained/metrics.json rewritten with another run's id beside its checkpoint."""
    import shutil

    mixed = tmp_path / "mixed"
    shutil.copytree(trained, mixed)
    record = json.loads((mixed / "metrics.json").read_text())
    own, record["run_id"] = record["run_id"], "0123456789ab"
    (mixed / "metrics.json").write_text(json.dumps(record))
    argv = {"eval": ["eval", "--checkpoint", str(mixed / "checkpoint.pt"), "--no-plots",
                     "--device", "cpu"],
            "embed": ["embed", "--checkpoint", str(mixed / "checkpoint.pt"), "--dataset",
                      "eth80:/never/read", "--out", str(tmp_path / "z.npy")]}[command]
    err = one_line_error(capsys, argv)
    assert f"is of run {own}" in err and "is of run 0123456789ab" in err
    assert "mixes two runs" in err


def test_report_leaves_out_a_folder_mixing_two_runs_naming_it(tmp_path, capsys, trained):
    """input: `egoequiv report` over two copies of a run, one of which holds the metrics.json
    of another run (seed 7, its own run id) beside its checkpoint."""
    import shutil

    from egoequiv.training.checkpoint import read_run_id

    good, mixed = tmp_path / "runs" / "good", tmp_path / "runs" / "mixed"
    shutil.copytree(trained, good)
    shutil.copytree(trained, mixed)
    record = json.loads((mixed / "metrics.json").read_text())
    own = read_run_id(mixed / "checkpoint.pt")
    assert own == record["run_id"]
    record.update(run_id="0123456789ab", seed=7, config={**record["config"], "seed": 7})
    (mixed / "metrics.json").write_text(json.dumps(record))
    assert main(["report", str(tmp_path / "runs")]) == 0
    out, err = capsys.readouterr()
    line = (f"{mixed}: metrics.json is of run 0123456789ab, but checkpoint.pt is of run "
            f"{own}: the folder mixes two runs (retrain into a fresh folder, or move one of "
            "them out)")
    assert err.strip() == f"egoequiv: warning: skipped {line}"
    assert out.strip() == f"1 runs -> {tmp_path / 'runs' / 'report.md'}"  # good alone
    text = (tmp_path / "runs" / "report.md").read_text()
    assert f"- {line}" in text and "| equiv | 1 |" in text
    # the same folders without the mix: nothing said, and the two copies of one run (one
    # run id) count once
    (mixed / "metrics.json").write_text(json.dumps({**record, "run_id": own}))
    assert main(["report", str(tmp_path / "runs")]) == 0
    out, err = capsys.readouterr()
    assert err.strip() == "" and out.startswith("1 runs -> ")


# --- 2. configs read whole -----------------------------------------------------------------

@pytest.mark.parametrize("name, text, message", [
    ("other-table.toml", "[train]\nlr = 0.1\n[optimiser]\nlr = 0.5\n",
     r"\[optimiser\] lr: unknown table"),
    ("only-other-table.toml", "[optimiser]\nlr = 0.5\n", r"\[optimiser\] lr: unknown table"),
    ("key-beside-train.toml", "lr = 0.5\n[train]\niters = 3\n", r"lr: a key beside \[train\]"),
    ("table-in-train.toml", "[train]\niters = 3\n[train.optimiser]\nlr = 0.5\n",
     r"\[train.optimiser\] lr: unknown table"),
    ("key-beside-train.json", '{"train": {"iters": 3}, "seed": 1}',
     r"seed: a key beside \[train\]"),
    ("other-table.json", '{"optimiser": {"lr": 0.5}}', r"\[optimiser\] lr: unknown table"),
])
def test_every_table_and_key_of_a_config_is_used_or_refused(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        load_config(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("name, text", [
    ("train-table.toml", "[train]\nlr = 0.5\nhidden_dim = 24\n"),
    ("top-level.toml", "lr = 0.5\nhidden_dim = 24\n"),
    ("train-table.json", '{"train": {"lr": 0.5, "hidden_dim": 24}}'),
    ("top-level.json", '{"lr": 0.5, "hidden_dim": 24}'),
])
def test_both_layouts_are_read_whole(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    cfg = load_config(path)
    assert cfg.lr == 0.5 and cfg.backbone["hidden_dim"] == 24


def test_train_with_a_half_read_config_stops_at_once(tmp_path, capsys):
    """input: run.toml with [train] and an [optimiser] table (the issue's finding 2)."""
    path = tmp_path / "run.toml"
    path.write_text("[train]\niters = 2\n[optimiser]\nlr = 0.5\n")
    err = one_line_error(capsys, ["train", "--dataset", "eth80:/never/decoded", "--out",
                                  str(tmp_path / "r"), "--config", str(path)])
    assert "[optimiser] lr: unknown table" in err
    assert not (tmp_path / "r").exists()


# --- 4. numbers checked where they enter ---------------------------------------------------

def _nan_weights(trained: Path, tmp_path: Path) -> Path:
    state = torch.load(trained / "checkpoint.pt", weights_only=True)
    name = next(k for k, v in state["model"].items() if v.is_floating_point())
    state["model"][name][0] = float("nan")
    (tmp_path / "nan").mkdir()
    path = tmp_path / "nan" / "checkpoint.pt"
    torch.save(state, path)
    return path


@pytest.mark.parametrize("command", ["eval", "embed", "export"])
def test_nan_weights_are_refused_by_name(tmp_path, capsys, trained, shared_data, command):
    """input: the trained checkpoint with one weight set to NaN."""
    path = _nan_weights(trained, tmp_path)
    out = tmp_path / "z.npy"
    argv = {"eval": ["eval", "--checkpoint", str(path), "--no-plots", "--device", "cpu"],
            "embed": ["embed", "--checkpoint", str(path), "--dataset",
                      f"eth80:{shared_data / 'eth80'}", "--out", str(out)],
            "export": ["export", "--checkpoint", str(path), "--out",
                       str(tmp_path / "exported")]}[command]
    err = one_line_error(capsys, argv)
    assert str(path) in err and "weights hold NaN or infinity (backbone." in err
    assert not out.exists()


def test_load_refuses_nan_weights(tmp_path, trained):
    import egoequiv

    with pytest.raises(EgoequivError, match="weights hold NaN or infinity"):
        egoequiv.load(_nan_weights(trained, tmp_path))


def test_embed_never_writes_non_finite_features(tmp_path, capsys, trained, shared_data):
    """input: finite weights scaled by 1e30, whose features overflow to infinity."""
    state = torch.load(trained / "checkpoint.pt", weights_only=True)
    for v in state["model"].values():
        if v.is_floating_point():
            v.mul_(1e30)
    (tmp_path / "big").mkdir()
    path = tmp_path / "big" / "checkpoint.pt"
    torch.save(state, path)
    out = tmp_path / "z.npy"
    err = one_line_error(capsys, ["embed", "--checkpoint", str(path), "--dataset",
                                  f"eth80:{shared_data / 'eth80'}", "--out", str(out)])
    assert "features hold NaN or infinity" in err and "not written" in err
    assert not out.exists() and not (tmp_path / "z.rows.csv").exists()


@pytest.mark.parametrize("row, message", [
    ("a.png,s,1,nan", "column motor_x: value is 'nan', expected a finite number"),
    ("a.png,s,1,inf", "column motor_x: value is 'inf', expected a finite number"),
])
def test_frames_csv_motor_values_must_be_finite(tmp_path, capsys, row, message):
    """input: frames.csv whose second row's motor_x is NaN / infinite."""
    (tmp_path / "frames.csv").write_text(f"image,sequence,time,motor_x\nb.png,s,0,0\n{row}\n")
    err = one_line_error(capsys, ["data", "info", f"frames-csv:{tmp_path}"])
    assert f"frames.csv:3: {message}" in err


def test_a_clip_log_with_nan_is_refused(tmp_path, capsys, write_clip):
    """input: walk.mp4 and walk.csv whose pose_x on line 3 is NaN."""
    write_clip(tmp_path / "walk.mp4", frames=4)
    (tmp_path / "walk.csv").write_text("time,motor_x\n0,0\n0.2,nan\n0.4,2\n")
    err = one_line_error(capsys, ["data", "info", f"video:{tmp_path}"])
    assert "walk.csv:3: column motor_x: value is 'nan', expected a finite number" in err


def test_a_clip_log_in_nanoseconds_gets_a_hint(tmp_path, capsys, write_clip):
    """input: walk.mp4 (0.8 s) with walk.csv timed in nanoseconds of a robot's clock."""
    write_clip(tmp_path / "walk.mp4", frames=8)
    start = 1_700_000_000 * 10 ** 9
    (tmp_path / "walk.csv").write_text("time,motor_x\n" + "".join(
        f"{start + k * 10 ** 8},{k}\n" for k in range(8)))
    err = one_line_error(capsys, ["data", "info", f"video:{tmp_path}"])
    assert "no frame lies within its clip's log (the logs' times start at 1.7e+18: they " \
           "must be seconds on the clip's own timeline" in err and "nanoseconds" in err


def test_a_clip_without_a_video_stream_says_so(tmp_path, capsys):
    """input: walk.mkv holding one audio stream only (no frames), with its log."""
    av = pytest.importorskip("av")
    with av.open(str(tmp_path / "walk.mkv"), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    (tmp_path / "walk.csv").write_text("time,motor_x\n0,0\n1,1\n")
    err = one_line_error(capsys, ["data", "info", f"video:{tmp_path}"])
    assert err.endswith("walk.mkv: no video stream (it holds audio stream(s) only)")


# --- 5. checkpoints bounded before they are read -------------------------------------------
# (tests/training/test_run_folder.py measures the peak memory of a crafted file)

def test_a_checkpoint_of_a_newer_format_says_so(tmp_path, capsys):
    """input: a checkpoint.pt whose format is 3 (this version reads 2)."""
    path = tmp_path / "checkpoint.pt"
    torch.save({"format": 3, "config": {}}, path)
    err = one_line_error(capsys, ["eval", "--checkpoint", str(path), "--no-plots"])
    assert "written by a newer egoequiv (checkpoint format 3; this version reads format 2)" \
        in err


# --- 6. refusals name their cause ----------------------------------------------------------

def test_a_read_only_cache_folder_says_so(tmp_path, capsys, monkeypatch, shared_data):
    """input: EGOEQUIV_CACHE on a read-only file system, no finished cache there (the
    filesystem's refusal, EROFS, is what the open of the cache file raises)."""
    import egoequiv.data.cache as cache

    cache_folder = tmp_path / "ro-cache"
    cache_folder.mkdir()
    monkeypatch.setenv("EGOEQUIV_CACHE", str(cache_folder))

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(cache, "open", read_only, raising=False)
    err = one_line_error(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}",
                                  "--out", str(tmp_path / "r"), *TINY])
    assert f"cache folder {cache_folder}: read-only file system" in err
    assert "set EGOEQUIV_CACHE to a writable folder" in err
    assert not (tmp_path / "r").exists()


def test_a_symlink_loop_names_the_csv_line(tmp_path, capsys):
    """input: frames.csv whose line 3 names loop.png, a symlink to itself."""
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_x\n"
                                         "a.png,s,0,0\nloop.png,s,1,1\n")
    err = one_line_error(capsys, ["data", "info", f"frames-csv:{tmp_path}"])
    assert "frames.csv:3: column image: 'loop.png' cannot be followed (a symlink loop)" in err


@pytest.fixture
def small_imagefolder(tmp_path, shared_data):
    """Two ETH-80 classes as an imagefolder: apple (12 images) and cup (6)."""
    root = tmp_path / "folder"
    for cls, number, count in (("apple", "1", 12), ("cup", "4", 6)):
        (root / cls).mkdir(parents=True)
        for png in sorted((shared_data / "eth80" / number).rglob("*.png"))[:count]:
            (root / cls / png.name).symlink_to(png)
    return root


def test_clsnet_trains_on_a_labelled_only_source(tmp_path, capsys, small_imagefolder):
    """input: an imagefolder (still images: no neighbour pairs), method clsnet."""
    out = tmp_path / "r"
    assert main(["train", "--dataset", f"imagefolder:{small_imagefolder}", "--method",
                 "clsnet", "--out", str(out), *TINY, "--set", "labels_per_class=2"]) == 0
    record = json.loads((out / "metrics.json").read_text())
    assert record["num_labelled"] == 4 and record["top1"] is not None
    # and its checkpoint is measured again on the same still images
    assert main(["eval", "--checkpoint", str(out / "checkpoint.pt"), "--no-plots"]) == 0
    again = json.loads((out / "eval" / "metrics.json").read_text())
    assert again["top1"] == record["top1"] and again["equivariance_error"] is None


def test_classes_short_of_labels_are_warned_with_counts(tmp_path, capsys, small_imagefolder):
    """input: labels_per_class=5 where cup has about 3 training images (6, about half held
    out by the split)."""
    import re

    assert main(["train", "--dataset", f"imagefolder:{small_imagefolder}", "--method",
                 "clsnet", "--out", str(tmp_path / "r"), *TINY,
                 "--set", "labels_per_class=5"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"1 of 2 class\(es\) have fewer labelled training frames than "
                     r"labels_per_class=5 \(cup [0-4]\)", err), err


# --- 7. faults -----------------------------------------------------------------------------

def test_a_failed_train_leaves_no_folder_behind(tmp_path, capsys, shared_data):
    """input: clsnet with labels_per_class=0, refused once the data are read."""
    out = tmp_path / "r"
    err = one_line_error(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}",
                                  "--out", str(out), *TINY, "--method", "clsnet",
                                  "--set", "labels_per_class=0"])
    assert "needs labelled frames" in err and not out.exists()


def test_a_failed_train_keeps_a_folder_it_did_not_create(tmp_path, capsys, shared_data):
    (tmp_path / "notes.txt").write_text("mine")
    one_line_error(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}", "--out",
                            str(tmp_path), *TINY, "--method", "clsnet",
                            "--set", "labels_per_class=0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_data_info_exits_non_zero_when_nothing_can_train(tmp_path, capsys):
    """input: frames.csv of 3 unlabelled frames 10 s apart (window 1 s): no pair, no label.
    (A bag spec with a wrong topic: tests/data/test_rosbag.py.)"""
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_x\n"
                                         "a.png,s,0,0\nb.png,s,10,1\nc.png,s,20,2\n")
    assert main(["data", "info", f"frames-csv:{tmp_path}"]) == 2
    out, err = capsys.readouterr()
    assert "pairs" in out  # what it holds is still shown
    assert f"frames     - ({tmp_path / 'a.png'}: image file is missing)" in out
    assert err.strip() == (f"egoequiv: error: frames-csv:{tmp_path / 'frames.csv'}: nothing "
                           "to train on: no neighbour pairs and no labels")


def test_reproduce_makes_its_folder_and_prints_its_plan_before_the_estimate(tmp_path,
                                                                            monkeypatch):
    """input: a reproduce killed (KeyboardInterrupt) while it estimates its time."""
    from dataclasses import replace

    from egoequiv.reproduce import runner
    from egoequiv.reproduce.protocols import PROTOCOLS

    tiny = replace(PROTOCOLS["norb"], dataset="rendered-objects:never-rendered",
                   methods=("clsnet", "equiv"), lr_grid=(0.003, 0.001), lam_exponents=(0.0, 0.5),
                   budget=30, splits=2)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_expected_minutes", killed)
    lines = []
    with pytest.raises(KeyboardInterrupt):
        runner.reproduce(tiny, tmp_path / "out", jobs=1, log=lines.append)
    assert (tmp_path / "out").is_dir()
    assert lines[0].startswith("[reproduce] ") and "runs of at most 30 iterations" in lines[0]
    assert lines[1].startswith("[reproduce] plan: 2 lr runs of clsnet, 2 lam runs")
    assert np.all(["expected time" not in line for line in lines])
