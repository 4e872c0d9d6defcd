"""What a new user meets in the first hour (issue 23): eval names what it skipped and why, a
clone's folder that shadows the package gets a hint, ``egoequiv.frames`` gives a dataset's
frames, and training from Python shows its progress unless asked not to."""

import contextlib
import inspect
import io
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import egoequiv
from egoequiv.cli.main import main
from egoequiv.errors import EgoequivError

TINY = {"image_size": 16, "channels": 1, "conv_channels": [4, 8], "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 3}
NOTE = "(a folder without __init__.py) as `egoequiv` instead of the installed package"


@pytest.fixture(scope="module")
def eth80(shared_data):
    return f"eth80:{shared_data / 'eth80'}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, eth80):
    """A tiny drlim run (drlim learns no per-pattern maps: learned_maps does not apply),
    trained with ``egoequiv.train``'s defaults and the progress bars on (the tests turn them
    off); (the run, what it printed on stderr)."""
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.delenv("EGOEQUIV_QUIET", raising=False)
        run = egoequiv.train(dataset=eth80, out=tmp_path_factory.mktemp("first") / "run",
                             method="drlim", **TINY)
    return run, err.getvalue()


def test_python_training_shows_its_progress_unless_quiet(trained):
    run, err = trained
    assert run.metrics["iterations"] == 3
    bar = [line for line in err.replace("\r", "\n").splitlines() if "train drlim" in line]
    assert bar and "3/3" in bar[-1]
    for call in (egoequiv.train, egoequiv.train_grid):
        assert inspect.signature(call).parameters["quiet"].default is False
    # train names what it skipped, as eval does
    assert run.metrics["skipped"] and f"egoequiv: skipped learned_maps: " \
        f"{run.metrics['skipped']['learned_maps']}" in err.splitlines()


def test_quiet_training_keeps_what_it_skipped_in_the_record_only(eth80, tmp_path, capsys):
    run = egoequiv.train(dataset=eth80, out=tmp_path / "run", method="drlim", quiet=True,
                         **TINY)
    assert run.metrics["skipped"]["learned_maps"]
    assert "egoequiv: skipped" not in capsys.readouterr().err


def test_eval_names_each_skipped_measurement_with_its_reason(trained, tmp_path, capsys):
    ckpt = trained[0].out / "checkpoint.pt"
    assert main(["eval", "--checkpoint", str(ckpt), "--device", "cpu", "--metrics",
                 "learned_maps,equivariance", "--splits", "1", "--no-plots", "--out",
                 str(tmp_path / "eval")]) == 0
    err = capsys.readouterr().err.splitlines()
    record = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert list(record["skipped"]) == ["learned_maps"] and record["skipped"]["learned_maps"]
    assert [line for line in err if line.startswith("egoequiv: skipped ")] == [
        f"egoequiv: skipped learned_maps: {record['skipped']['learned_maps']}"]
    # the suite's warnings as train prints them
    assert [f"egoequiv: warning: drlim: {w}" for w in record["warnings"]] == [
        line for line in err if line.startswith("egoequiv: warning: drlim: ")]

    # the same lines from Python, unless quiet
    result = egoequiv.evaluate_checkpoint(ckpt, metrics=["learned_maps"], device="cpu",
                                          plots=False)
    assert result["skipped"] == record["skipped"]
    assert f"egoequiv: skipped learned_maps: {result['skipped']['learned_maps']}" in \
        capsys.readouterr().err.splitlines()
    egoequiv.evaluate_checkpoint(ckpt, metrics=["learned_maps"], device="cpu", plots=False,
                                 quiet=True)
    assert "skipped" not in capsys.readouterr().err


def test_frames_are_a_datasets_decoded_frames_as_training_saw_them(trained, eth80, tmp_path):
    run = trained[0]
    images = egoequiv.frames(eth80, config=run.model.config)  # the run's size and channels
    assert isinstance(images, np.ndarray) and images.dtype == np.uint8
    assert images.shape == (3280, 16, 16, 1) and images.std() > 10
    config = tmp_path / "small.toml"
    config.write_text("image_size = 16\nchannels = 1\n")
    assert np.array_equal(egoequiv.frames(eth80, config=config, quiet=True), images)
    assert np.array_equal(egoequiv.frames(eth80, image_size=16, channels=1), images)
    # rows in the source's order: what embed_dataset embeds, row for row
    shape, _ = egoequiv.embed_dataset(run.out / "checkpoint.pt", eth80, tmp_path / "z.npy",
                                      device="cpu")
    assert np.allclose(run.model.embed(images), np.load(tmp_path / "z.npy"), atol=1e-5)
    with pytest.raises(EgoequivError, match="image_size"):
        egoequiv.frames(eth80, image_size=0)


def test_a_clone_folder_that_shadows_the_package_gets_a_hint(tmp_path):
    """Python started next to a clone's root folder ``egoequiv/`` imports that folder as a
    namespace package (no egoequiv.load); the command says so when started there."""
    (tmp_path / "egoequiv").mkdir()
    (tmp_path / "egoequiv" / "README.md").write_text("a clone's root holds no __init__.py\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = subprocess.run([sys.executable, "-c", "import egoequiv; egoequiv.load"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    shadowed = script.returncode != 0
    assert not shadowed or "module 'egoequiv' has no attribute 'load'" in script.stderr
    direct = json.loads(metadata.distribution("egoequiv").read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):  # pip install -e, as the README says
        assert shadowed

    command = Path(sys.executable).with_name("egoequiv")
    argv = [str(command)] if command.exists() else [sys.executable, "-m", "egoequiv.cli.main"]
    done = subprocess.run([*argv, "--version"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"egoequiv {egoequiv.__version__}"
    assert (NOTE in done.stderr) == shadowed  # a note exactly when Python here is shadowed
    if shadowed:
        assert f"{tmp_path / 'egoequiv'}/" in done.stderr and "docs/api.md" in done.stderr

    # a directory without such a folder (or with the package itself) gets no note
    (tmp_path / "egoequiv" / "README.md").unlink()
    (tmp_path / "egoequiv").rmdir()
    quiet = subprocess.run([*argv, "--version"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_help_and_data_info_start_without_importing_torch(shared_data):
    """Start-up time is torch's import (about 2.5 s of 3 s here): ``--help``, every
    command's ``--help`` and ``data info`` must not import it. Checked in a fresh process,
    not timed."""
    from egoequiv.cli.main import build_parser

    commands = sorted(build_parser()._subparsers._group_actions[0].choices)
    spec = f"kitti-odometry:{shared_data / 'kitti_odometry' / 'KITTI_sequence_2'}"
    script = f"""
import contextlib, io, sys
from egoequiv.cli.main import main
for argv in [["--help"], *[[c, "--help"] for c in {commands!r}]]:
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(argv)
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["data", "info", {spec!r}]) == 0
print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(commands) >= 12 and "methods" in commands  # every command was asked
