"""``tum:DIR``: TUM RGB-D sequences (Sturm et al., IROS 2012): colour frames and the
motion-capture ground truth of the colour camera.

``DIR`` is one sequence folder (``rgb.txt``, ``groundtruth.txt``, ``rgb/*.png``) or a folder of
them; a sequence without ``groundtruth.txt`` (the benchmark's validation sequences) is skipped
with a warning. Lines starting with ``#`` are comments.

- ``rgb.txt``: ``timestamp filename`` (seconds; the image's path relative to the sequence);
- ``groundtruth.txt``: ``timestamp tx ty tz qx qy qz qw``: the pose of the colour camera's
  optical centre in the world (the motion-capture frame), world from camera, metres, the
  quaternion **scalar-last**. The camera's axes are the optical frame's (x right, y down,
  z forward), so ``axes=camera``.

The ground truth (about 100 Hz) is interpolated at the image times (30 Hz) by the code the bags
and clips use (``pose.interpolate_poses``: positions linear, rotations slerp; a gap longer
than ``tolerance`` is never bridged); the images outside the ground truth's span are dropped
and counted in one warning. Each sequence is one sequence of the table; time = seconds from
its first kept frame; ``meta["stamp"]`` the file's timestamp.

Options (``OPTIONS``): ``axes``, ``dofs``, ``tolerance``, ``every``, ``window``. Errors, one line
with file and line: a line without its 2 or 8 fields, a field that is not a finite number,
a quaternion far from unit norm, timestamps that do not increase, an image listed but
missing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.columns import parse_number
from egoequiv.data.log_sync import EVERY, TOLERANCE
from egoequiv.data.pose import DOFS_OPTION, axes_option, pose_motion
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.trajectory import check_increasing, on_lines, poses_at_frames, unit_quaternions
from egoequiv.errors import DataError

RGB_FIELDS = ("timestamp", "filename")
GROUNDTRUTH_FIELDS = ("timestamp", "tx", "ty", "tz", "qx", "qy", "qz", "qw")
OPTIONS = {
    "axes": axes_option("camera", "TUM's ground truth is the colour camera's optical frame"),
    "dofs": DOFS_OPTION,
    "tolerance": TOLERANCE,
    "every": EVERY,
    "window": WINDOW,
}


class TumSource(Source):
    name = "tum"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.spec = pose_motion(self.option("dofs"), axes=self.option("axes"))

    def _build_table(self) -> FrameTable:
        notes: list[str] = []
        parts = [self._sequence(folder, notes) for folder in find_sequences(self.path, notes)]
        for note in notes:
            warnings.warn(note, stacklevel=2)
        refs = [r for part in parts for r in part[0]]
        if not refs:
            raise DataError(self.path, "no image lies within its sequence's ground truth")
        return FrameTable(
            refs=refs, motor=np.concatenate([p[2] for p in parts]), motor_spec=self.spec,
            sequence=np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)]),
            sequence_names=[p[3] for p in parts],
            time=np.concatenate([p[1] - p[1][0] if len(p[1]) else p[1] for p in parts]),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"stamp": np.concatenate([p[1] for p in parts])}, warnings=notes)

    def _sequence(self, folder: Path, notes: list[str]):
        """(refs, stamps, readings, name) of the frames of one sequence with a pose."""
        rgb = folder / "rgb.txt"
        stamps, files = read_rgb(rgb)
        pose_t, poses = read_groundtruth(folder / "groundtruth.txt")
        kept, readings = poses_at_frames(pose_t, poses, stamps, every=self.option("every"),
                                         tolerance=self.option("tolerance"), unit=1.0,
                                         name="tum", frames=str(rgb), notes=notes)
        return [files[k] for k in kept], stamps[kept], readings, folder.name


def find_sequences(path: Path, notes: list[str]) -> list[Path]:
    """The sequence folders in ``path``: itself, or its sub-folders with an ``rgb.txt``."""
    if (path / "rgb.txt").is_file():
        return [path]
    found = sorted(p for p in path.iterdir() if (p / "rgb.txt").is_file()) \
        if path.is_dir() else []
    without = [p.name for p in found if not (p / "groundtruth.txt").is_file()]
    if without:
        notes.append(f"tum: skipped {len(without)} sequences without groundtruth.txt "
                     f"({', '.join(without)}): no ground truth, no motion")
    found = [p for p in found if p.name not in without]
    if not found:
        raise DataError(path, "no TUM RGB-D sequence (expected rgb.txt and groundtruth.txt "
                              "in this folder or its sub-folders)")
    return found


def read_fields(path: Path, fields: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """(line, fields) of every line that is not blank or a ``#`` comment."""
    if not path.is_file():
        raise DataError(path, "missing: a TUM RGB-D sequence holds rgb.txt and groundtruth.txt")
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line, text in enumerate(f, start=1):
            parts = text.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) != len(fields):
                raise DataError(path, f"{len(parts)} fields, expected {len(fields)}: "
                                      f"{' '.join(fields)}", line)
            rows.append((line, parts))
    if not rows:
        raise DataError(path, f"no lines of {' '.join(fields)}")
    return rows


def read_rgb(path: Path) -> tuple[np.ndarray, list[str]]:
    """Image times (s) and absolute paths, in the file's order."""
    rows = read_fields(path, RGB_FIELDS)
    stamps = np.array([parse_number(p[0], path, line, "timestamp") for line, p in rows])
    check_increasing(path, stamps, on_lines([line for line, _ in rows]), "timestamp")
    files = []
    for line, (_, name) in rows:
        image = path.parent / name
        if not image.is_file():
            raise DataError(path, f"image {name!r} does not exist", line)
        files.append(str(image))
    return stamps, files


def read_groundtruth(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pose times (s) and readings (K, 7), checked: finite, unit quaternions, increasing."""
    rows = read_fields(path, GROUNDTRUTH_FIELDS)
    values = np.array([[parse_number(v, path, line, name)
                        for v, name in zip(p, GROUNDTRUTH_FIELDS, strict=True)]
                       for line, p in rows])
    where = on_lines([line for line, _ in rows])
    check_increasing(path, values[:, 0], where, "timestamp")
    readings = unit_quaternions(path, values[:, 1:], where, "qx qy qz qw, scalar-last")
    if len(readings) < 2:
        raise DataError(path, f"{len(readings)} pose(s); interpolation needs at least 2")
    return values[:, 0], readings
