"""Dataset specs: ``name:PATH[,key=value,...]`` or ``name[:key=value,...]``."""

from __future__ import annotations

import os
from pathlib import Path

from egoequiv.errors import EgoequivError


def parse_spec(spec: str) -> tuple[str, str | None, dict[str, str]]:
    """Split a spec into (name, path, options).

    >>> parse_spec("kitti-raw:/data/drive,camera=image_00")
    ('kitti-raw', '/data/drive', {'camera': 'image_00'})
    >>> parse_spec("rendered-objects:instances=4")
    ('rendered-objects', None, {'instances': '4'})
    """
    name, _, rest = spec.partition(":")
    name = name.strip().lower()
    if not name:
        raise EgoequivError(f"dataset spec {spec!r}: expected NAME:PATH or NAME")
    path, options = None, {}
    if rest:
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            if eq and "/" not in key and key.strip():
                options[key.strip()] = value.strip()
            elif path is None:
                path = item
            else:
                path = f"{path},{item}"  # a comma inside the path
    return name, path, options


def short_spec(spec: str) -> str:
    """A spec in a few words for a title or a file name: its source and its path's last
    part (``rosbag:/data/bags,image=/cam,odom=/odom`` -> ``rosbag bags``)."""
    name, path, _ = parse_spec(spec)
    return f"{name} {Path(path).name}" if path and Path(path).name else name


def resolve_spec(spec: str) -> str:
    """The spec with its path made absolute (when it names an existing file or folder), so
    that a checkpoint's dataset still opens from another working directory. The path stays
    as typed otherwise: ``..`` is folded, but symlinks are kept, so records and reports name
    the data as the user does (``data/kitti`` linked to a big disk stays ``.../data/kitti``)."""
    name, path, options = parse_spec(spec)
    if not path:
        return spec
    try:
        full = Path(path).expanduser()
        if not full.exists():
            return spec
        full = Path(os.path.normpath(os.path.abspath(full)))
    except OSError:
        return spec
    rest = ",".join([str(full), *(f"{k}={v}" for k, v in options.items())])
    return f"{name}:{rest}"
