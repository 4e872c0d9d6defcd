"""``euroc:DIR[,camera=cam0]``: EuRoC MAV sequences (Burri et al., IJRR 2016) in their ASL
folder layout: a camera's frames and the ground truth of the body (the IMU).

``DIR`` is a sequence folder holding ``mav0/`` (``MH_01_easy/``), ``mav0`` itself, or a folder
of sequence folders (one without ground truth is skipped with a warning). Of ``mav0/``:

- ``cam0/data.csv``: ``#timestamp [ns],filename``; the frames are ``cam0/data/<filename>``
  (grey PNG, 20 Hz);
- ``state_groundtruth_estimate0/data.csv``: ``#timestamp [ns]``, ``p_RS_R_x, y, z`` [m],
  ``q_RS_w, x, y, z`` (the quaternion **scalar-first**), then velocities and biases (not
  read): the pose of the body (S, the IMU) in the world (R), world from body, 200 Hz;
- ``cam0/sensor.yaml``: ``T_BS``, the camera's pose in the body frame (body from camera), a
  row-major 4x4 ``data:`` list.

``axes=camera`` (the default) gives the camera's motion: its pose T_WB @ T_BS, in the camera's
optical axes (x right, y down, z forward). ``axes=body`` gives the body's motion: T_WB itself,
its axes read as body axes (x forward, y left, z up). EuRoC's IMU axes are the IMU's own,
not ROS's: on the MAV, cam0's T_BS puts the IMU's x up, y right and z forward, so "forward"
of ``axes=body`` is the IMU's x.

The ground truth is interpolated at the frame times by the code the bags and clips use
(positions linear, rotations slerp; a gap longer than ``tolerance`` is never bridged); frames
outside its span are dropped and counted in one warning. Nanosecond times are differenced as
integers before they become seconds, so no precision is lost. Each sequence is one sequence
of the table; time = seconds from its first kept frame; ``meta["stamp_ns"]`` the file's stamp.

Options (``OPTIONS``): ``camera``, ``axes``, ``dofs``, ``tolerance``, ``every``, ``window``.
Errors, one line with file and line (or field): a missing file, a line with too few fields, a
field that is not a number (an integer for nanoseconds), a header whose quaternion is not in
w, x, y, z order, a quaternion far from unit norm, times that do not increase, a listed frame
missing, a ``T_BS`` that is not a 4x4 rigid transform.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.columns import parse_number
from egoequiv.data.log_sync import EVERY, TOLERANCE
from egoequiv.data.pose import DOFS_OPTION, axes_option, pose_motion, poses_from_matrices
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.trajectory import (
    check_increasing,
    compose,
    on_lines,
    poses_at_frames,
    readings_of,
    rigid_transform,
    unit_quaternions,
    xyzw,
)
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

GROUNDTRUTH = "state_groundtruth_estimate0"
#: the ground truth's first 8 fields, as EuRoC's header names them (without units)
GROUNDTRUTH_FIELDS = ("#timestamp", "p_RS_R_x", "p_RS_R_y", "p_RS_R_z", "q_RS_w", "q_RS_x",
                      "q_RS_y", "q_RS_z")
OPTIONS = {
    "camera": Option("cam0", "the camera folder of mav0/: cam0 (left) or cam1 (right)",
                     choices=("cam0", "cam1")),
    "axes": axes_option("camera", "the camera's motion (T_WB @ T_BS) is what its frames "
                                  "see; body gives the IMU's motion in the IMU's own axes"),
    "dofs": DOFS_OPTION,
    "tolerance": TOLERANCE,
    "every": EVERY,
    "window": WINDOW,
}


class EurocSource(Source):
    name = "euroc"
    options = OPTIONS
    default_channels = 1  # the MAV's cameras are grey

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.spec = pose_motion(self.option("dofs"), axes=self.option("axes"))

    def _build_table(self) -> FrameTable:
        notes: list[str] = []
        parts = [self._sequence(mav, notes) for mav in find_sequences(self.path, notes)]
        for note in notes:
            warnings.warn(note, stacklevel=2)
        refs = [r for part in parts for r in part[0]]
        if not refs:
            raise DataError(self.path, "no frame lies within its sequence's ground truth")
        return FrameTable(
            refs=refs, motor=np.concatenate([p[2] for p in parts]), motor_spec=self.spec,
            sequence=np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)]),
            sequence_names=[p[3] for p in parts],
            time=np.concatenate([(p[1] - p[1][:1]) * 1e-9 for p in parts]),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"stamp_ns": np.concatenate([p[1] for p in parts])}, warnings=notes)

    def _sequence(self, mav: Path, notes: list[str]):
        """(refs, stamps in ns, readings, name) of one sequence's frames with a pose."""
        camera = mav / self.option("camera")
        stamps, files = read_frames(camera / "data.csv")
        pose_ns, body = read_groundtruth(mav / GROUNDTRUTH / "data.csv")
        if self.option("axes") == "camera":
            poses = compose(body, poses_from_matrices(read_extrinsic(camera / "sensor.yaml")[None]))
        else:
            poses = body
        kept, readings = poses_at_frames(pose_ns, poses, stamps, every=self.option("every"),
                                         tolerance=self.option("tolerance"), unit=1e-9,
                                         name="euroc", frames=str(camera / "data.csv"),
                                         notes=notes)
        name = mav.parent.name if mav.name == "mav0" else mav.name
        return [files[k] for k in kept], stamps[kept], readings, name


def find_sequences(path: Path, notes: list[str]) -> list[Path]:
    """The ``mav0`` folders in ``path``: its own, itself, or those of its sub-folders."""
    if (path / "mav0").is_dir():
        return [path / "mav0"]
    if path.name == "mav0":
        return [path]
    found = sorted(p / "mav0" for p in path.iterdir() if (p / "mav0").is_dir()) \
        if path.is_dir() else []
    without = [m.parent.name for m in found if not (m / GROUNDTRUTH).is_dir()]
    if without:
        notes.append(f"euroc: skipped {len(without)} sequences without {GROUNDTRUTH} "
                     f"({', '.join(without)}): no ground truth, no motion")
    found = [m for m in found if m.parent.name not in without]
    if not found:
        raise DataError(path, "no EuRoC sequence (expected mav0/ with cam0/ and "
                              f"{GROUNDTRUTH}/ here or in its sub-folders)")
    return found


def read_csv(path: Path, fields: int) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """(header names or None, [(line, fields)]) of an ASL ``data.csv``: a ``#`` header, then
    comma-separated rows of at least ``fields`` fields."""
    if not path.is_file():
        raise DataError(path, "missing (an EuRoC sequence's mav0/ holds cam0/data.csv and "
                              f"{GROUNDTRUTH}/data.csv)")
    header, rows = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line, text in enumerate(f, start=1):
            parts = [p.strip() for p in text.strip().split(",")]
            if not text.strip():
                continue
            if parts[0].startswith("#"):
                header = header or [re.sub(r"\s*\[.*?\]\s*$", "", p) for p in parts]
                continue
            if len(parts) < fields:
                raise DataError(path, f"{len(parts)} fields, expected at least {fields}", line)
            rows.append((line, parts))
    if not rows:
        raise DataError(path, "no rows after the header")
    return header, rows


def parse_ns(text: str, path: Path, line: int) -> int:
    if not text.isdigit():
        raise DataError(path, f"field timestamp: expected an integer of nanoseconds, got "
                              f"{text!r}", line)
    return int(text)


def read_frames(path: Path) -> tuple[np.ndarray, list[str]]:
    """Frame stamps (ns, int64) and image paths of a camera's ``data.csv``."""
    _, rows = read_csv(path, 2)
    stamps = np.array([parse_ns(p[0], path, line) for line, p in rows], dtype=np.int64)
    check_increasing(path, stamps, on_lines([line for line, _ in rows]), "timestamp")
    files = []
    for line, parts in rows:
        image = path.parent / "data" / parts[1]
        if not image.is_file():
            raise DataError(path, f"frame data/{parts[1]} does not exist", line)
        files.append(str(image))
    return stamps, files


def read_groundtruth(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pose stamps (ns, int64) and the body's readings (K, 7, scalar-last), checked."""
    header, rows = read_csv(path, len(GROUNDTRUTH_FIELDS))
    names = GROUNDTRUTH_FIELDS
    if header is not None:
        _check_quaternion_header(path, header)
        names = tuple(header[:len(GROUNDTRUTH_FIELDS)])
    stamps = np.array([parse_ns(p[0], path, line) for line, p in rows], dtype=np.int64)
    values = np.array([[parse_number(v, path, line, name)
                        for v, name in zip(p[1:8], names[1:], strict=True)]
                       for line, p in rows])
    where = on_lines([line for line, _ in rows])
    check_increasing(path, stamps, where, "timestamp")
    body = readings_of(values[:, :3], xyzw(values[:, 3:7]))
    body = unit_quaternions(path, body, where, f"{', '.join(names[4:8])}, scalar-first")
    if len(body) < 2:
        raise DataError(path, f"{len(body)} pose(s); interpolation needs at least 2")
    return stamps, body


def _check_quaternion_header(path: Path, header: list[str]) -> None:
    """A header that names its fields must put the quaternion w, x, y, z in fields 5-8: a
    file rewritten scalar-last would otherwise turn every rotation."""
    axes = [h.rstrip().rsplit("_", 1)[-1].lower().lstrip("q") for h in header[4:8]]
    if len(header) >= 8 and axes != ["w", "x", "y", "z"]:
        raise DataError(path, f"fields 5-8 are {', '.join(header[4:8])}; expected the "
                              "quaternion w, x, y, z (q_RS_w, q_RS_x, q_RS_y, q_RS_z)", 1)


def read_extrinsic(path: Path) -> np.ndarray:
    """``T_BS`` of a ``sensor.yaml`` (body from sensor), a 4x4 rigid transform."""
    if not path.is_file():
        raise DataError(path, "missing: the camera's sensor.yaml holds T_BS, the camera's "
                              "pose in the body frame (axes=body reads the body's motion "
                              "without it)")
    text = path.read_text(encoding="utf-8", errors="replace")
    block = re.search(r"^T_BS:(.*?)(?=^\S|\Z)", text, re.M | re.S)
    # EuRoC writes data: [a, b, ...]; YAML's block list (data: then "- a" lines) is the same
    flow = re.search(r"data:\s*\[(.*?)\]", block.group(1), re.S) if block else None
    listed = re.search(r"data:[ \t]*\n((?:[ \t]*-[ \t]*[^\n]*(?:\n|\Z))+)", block.group(1)) \
        if block and flow is None else None
    if flow is None and listed is None:
        raise DataError(path, "field T_BS: expected T_BS with rows: 4, cols: 4 and data: "
                              "[16 numbers] (body from camera)")
    items = flow.group(1).replace("\n", " ").split(",") if flow else \
        [line.strip()[1:] for line in listed.group(1).splitlines() if line.strip()]
    try:
        values = [float(v) for v in items if v.strip()]
    except ValueError:
        raise DataError(path, f"field T_BS.data: expected 16 numbers, got "
                              f"[{', '.join(v.strip() for v in items)}]") from None
    return rigid_transform(path, values, "field T_BS.data")
