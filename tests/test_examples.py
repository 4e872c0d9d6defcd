"""The examples run as documented, on a fresh checkout."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_quickstart_trains_loads_embeds_exports_and_reloads(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "examples" / "quickstart.py"), "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=600,
                          env={"EGOEQUIV_CACHE": str(tmp_path / "cache"),
                               "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "export reloaded into egoequiv.models.SmallConvNet: same features" in done.stdout
    for name in ("backbone.pt", "backbone.pt.json", "backbone.pt.pt2"):
        assert (tmp_path / name).exists()


def test_own_loop_trains_a_resnet_on_pair_dataset_with_the_equivariance_loss(tmp_path,
                                                                             shared_data):
    done = subprocess.run([sys.executable, str(REPO / "examples" / "own_loop.py"),
                           "--dataset", f"eth80:{shared_data / 'eth80'}", "--steps", "5"],
                          capture_output=True, text=True, timeout=600,
                          env={"EGOEQUIV_CACHE": str(tmp_path / "cache"),
                               "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "step 5: equivariance loss" in done.stdout
    error = float(done.stdout.split("learned features: ")[1].split()[0])
    assert 0 < error < 1.5
