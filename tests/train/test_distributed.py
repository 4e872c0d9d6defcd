"""torchrun with two CPU processes (gloo): the DDP path trains and rank 0 writes results."""

import json
import os
import shutil
import subprocess

import pytest


@pytest.mark.slow
def test_torchrun_two_processes(tmp_path, shared_data):
    torchrun = shutil.which("torchrun") or pytest.fail("torchrun not on PATH")
    out = tmp_path / "ddp"
    cmd = [torchrun, "--nproc_per_node", "2", "-m", "egoequiv.cli.main", "train",
           "--dataset", f"eth80:{shared_data / 'eth80'}", "--method", "equiv+drlim",
           "--out", str(out), "--iters", "6", "--quiet", "--set", "image_size=16",
           "--set", "channels=1", "--set", "conv_channels=4,8", "--set", "hidden_dim=16"]
    env = {**os.environ, "EGOEQUIV_QUIET": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iterations"] == 6 and metrics["top1"] is not None
