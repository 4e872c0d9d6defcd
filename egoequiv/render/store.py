"""Where rendered sets live: ``$EGOEQUIV_CACHE/rendered/<name>-<key>/``, one folder per
(set, options, seed, renderer version), written atomically so a killed render leaves no
half set: render into a private temporary folder, then ``os.replace`` it into place."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from egoequiv.data.cache import cache_dir
from egoequiv.data.frames_csv import write_frames_csv

#: bump whenever a change to models, worlds, driver or renderer settings changes the images
RENDER_VERSION = 1


def render_key(name: str, options: dict) -> str:
    blob = json.dumps({"name": name, "version": RENDER_VERSION, "options": options},
                      sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def rendered_root() -> Path:
    return cache_dir() / "rendered"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(root: Path, stem: str) -> None:
    """Temporary folders of renders whose process is gone (killed mid-render)."""
    for tmp in root.glob(f".tmp-{stem}-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def rendered_folder(name: str, options: dict, render: Callable[[Path], None]) -> Path:
    """The folder of this set, rendered now by ``render(tmp_folder)`` if not there yet."""
    root = rendered_root()
    stem = f"{name}-{render_key(name, options)}"
    final = root / stem
    if (final / "frames.csv").exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale(root, stem)
    if final.exists():  # damaged by hand (no frames.csv): render it again
        shutil.rmtree(final)
    tmp = root / f".tmp-{stem}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        render(tmp)
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "frames.csv").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process finished it first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def save_set(out: Path, table, views, info: dict) -> None:
    """Write a rendered set's files into ``out``: frames.csv (+ frames.json), poses.npy (the
    view matrices passed to pybullet, in row order) and render.json (``info`` + counts)."""
    write_frames_csv(out, table, table.refs)
    np.save(Path(out) / "poses.npy", views)
    info = {**info, "images": len(table)}
    (Path(out) / "render.json").write_text(json.dumps(info, indent=2) + "\n")
