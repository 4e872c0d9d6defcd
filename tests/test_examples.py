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
