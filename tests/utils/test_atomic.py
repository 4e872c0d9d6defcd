"""Atomic writes on a full disk: one line naming the folder, no temporary file left."""

import subprocess

import numpy as np
import pytest
import torch

from egoequiv.errors import EgoequivError
from egoequiv.utils.atomic import atomic_torch_save, atomic_write_json


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs (needs root and mount; skipped where the machine allows neither)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)  # lazy: torch may hold a handle


def test_checkpoint_on_a_full_disk_is_one_line_and_leaves_nothing(tiny_disk):
    with pytest.raises(EgoequivError, match=f"no space left on {tiny_disk}") as e:
        atomic_torch_save(tiny_disk / "checkpoint.pt", {"w": torch.zeros(1_000_000)})
    assert "\n" not in str(e.value)
    assert list(tiny_disk.iterdir()) == []


def test_json_on_a_full_disk_is_one_line_and_leaves_nothing(tiny_disk):
    (tiny_disk / "filler").write_bytes(b"x" * (256 * 1024 - 4096))
    with pytest.raises(EgoequivError, match="no space left"):
        atomic_write_json(tiny_disk / "metrics.json", {"history": list(range(100_000))})
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]


def test_cache_on_a_full_disk_says_how_much_it_needs(tiny_disk, shared_data):
    from egoequiv.data.cache import load_frames
    from egoequiv.data.registry import open_source

    with pytest.raises(EgoequivError, match=r"no space left on .*needs about \d+ MB"):
        load_frames(open_source(f"eth80:{shared_data / 'eth80'}"), 64, 3,
                    directory=tiny_disk, quiet=True)
    assert list(tiny_disk.iterdir()) == []


def test_nan_never_reaches_json(tmp_path):
    atomic_write_json(tmp_path / "m.json", {"top1": float("nan"), "x": [np.inf, 1.0]})
    assert (tmp_path / "m.json").read_text().split() == \
        ['{', '"top1":', 'null,', '"x":', '[', 'null,', '1.0', ']', '}']


def test_a_path_below_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(EgoequivError, match="file") as e:
        atomic_write_json(tmp_path / "file" / "m.json", {})
    assert "\n" not in str(e.value)
