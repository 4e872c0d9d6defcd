"""torchrun with two CPU processes (gloo): the DDP path trains with and without labels,
resumes, and rank 0 writes the final metrics."""

import json
import os
import shutil
import subprocess

import pytest

TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "checkpoint_every=3"]


def torchrun(args, out):
    exe = shutil.which("torchrun") or pytest.fail("torchrun not on PATH")
    cmd = [exe, "--nproc_per_node", "2", "-m", "egoequiv.cli.main", "train", "--out",
           str(out), "--quiet", *TINY, *args]
    env = {**os.environ, "EGOEQUIV_QUIET": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((out / "metrics.json").read_text())


@pytest.mark.slow
def test_torchrun_two_processes_labels_no_labels_and_resume(tmp_path, shared_data):
    eth80 = ["--dataset", f"eth80:{shared_data / 'eth80'}", "--method", "equiv+drlim"]
    metrics = torchrun([*eth80, "--iters", "6", "--set", "lr_scaling=linear"],
                       tmp_path / "labels")
    assert metrics["iterations"] == 6 and metrics["top1"] is not None
    assert metrics["equivariance_error"] > 0
    # no labels: the model has no classifier head, so DDP has no unused parameters
    metrics = torchrun([*eth80, "--iters", "6", "--set", "labels_per_class=0"],
                       tmp_path / "unlabelled")
    assert metrics["num_labelled"] == 0 and metrics["top1_source"] == "linear_probe"
    assert metrics["equivariance_error"] > 0
    # resume: 3 iterations, then on to 6, under torchrun again
    torchrun([*eth80, "--iters", "3"], tmp_path / "resumed")
    metrics = torchrun([*eth80, "--iters", "6", "--resume"], tmp_path / "resumed")
    assert metrics["iterations"] == 6 and metrics["probe_top1"] is not None
