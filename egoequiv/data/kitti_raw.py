"""KITTI raw (Geiger et al., IJRR 2013): synchronised drives with images and GPS/IMU (OXTS).

``DIR`` is one ``*_sync`` drive folder or a folder holding several (a date folder, or a folder of
date folders). A drive: ``image_0{0..3}/data/%010d.png`` + ``image_0N/timestamps.txt``;
``oxts/data/%010d.txt`` (one line of 30 numbers: lat lon alt roll pitch yaw vn ve vf ...; see
``oxts/dataformat.txt``) + ``oxts/timestamps.txt`` (``YYYY-MM-DD HH:MM:SS.nnnnnnnnn``). 10 Hz.

Options (``OPTIONS``): ``camera``, ``window``, ``motor`` and ``dofs`` (with ``motor=pose``).
``motor=pose``: the reading is the OXTS unit's pose (``data/pose.py``, body axes: x forward,
y left, z up), from lat/lon by KITTI's Mercator projection (``oxts_poses``) and R = Rz(yaw)
Ry(pitch) Rx(roll); a pair's motion is the relative transform in the first frame (forward,
lateral, yaw by default; ``dofs=6dof`` for all six).
``motor=heading``: heading = OXTS yaw in degrees (0 = east, counter-clockwise positive,
cyclic) and odometer = forward speed ``vf`` integrated (trapezoid) over the OXTS timestamps, in
metres; a pair's motion is (heading change, distance travelled). Time: the camera timestamps in
seconds from the drive's first frame. Label: the drive's category (City, Residential, Road,
Campus, Person) from the packaged table ``resources/kitti_raw_categories.csv`` (-1 for a drive
not in it, with a warning). Frames without an image or an OXTS record (partial downloads) are
skipped with one warning counting them. Errors (file:line): wrong OXTS field count, NaN,
timestamps going backwards.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import time as _time
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from egoequiv.data.motor import HEADING_ODOMETER
from egoequiv.data.pose import DOFS_OPTION, pose_motion, poses_from_euler
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

CATEGORIES = ["City", "Residential", "Road", "Campus", "Person"]
CAMERAS = ("image_00", "image_01", "image_02", "image_03")
OXTS_FIELDS = ("lat lon alt roll pitch yaw vn ve vf vl vu ax ay az af al au wx wy wz wf wl wu "
               "pos_accuracy vel_accuracy navstat numsats posmode velmode orimode").split()
YAW, VF = OXTS_FIELDS.index("yaw"), OXTS_FIELDS.index("vf")
EARTH_RADIUS = 6378137.0  # metres, as KITTI's devkit (convertOxtsToPose)
#: a plausibility bound on the forward speed (m/s, ours): OXTS records beyond it are corrupt
MAX_SPEED = 100.0
GREY = ("image_00", "image_01")
OPTIONS = {
    "camera": Option("image_02", "image_00/01: grey left/right, image_02/03: colour "
                                 "left/right; the left colour camera, as a raw drive comes "
                                 "with all four (kitti-odometry defaults to grey: see its "
                                 "camera option)", choices=CAMERAS),
    "window": WINDOW,
    "motor": Option("heading", "heading: OXTS heading (deg) and integrated odometer (m), "
                               "the yaw and forward motion the paper uses on KITTI; pose: the "
                               "OXTS unit's pose (kitti-odometry defaults to pose: its ground "
                               "truth is a pose)", choices=("heading", "pose")),
    "dofs": DOFS_OPTION,
}


class KittiRawSource(Source):
    name = "kitti-raw"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.default_channels = 1 if self.option("camera") in GREY else 3
        self.motor = self.option("motor")
        if "dofs" in self.opts and self.motor != "pose":
            raise DataError(self.path, "dofs= applies to motor=pose only")
        self.spec = pose_motion(self.option("dofs"), axes="body") \
            if self.motor == "pose" else HEADING_ODOMETER

    def _build_table(self) -> FrameTable:
        camera = self.option("camera")
        categories = drive_categories()
        refs, motor, seq, times, labels, frames, speeds = [], [], [], [], [], [], []
        seq_names, notes = [], []
        total = no_image = no_oxts = 0
        for drive in find_drives(self.path):
            oxts_t, records, present = read_oxts(drive)
            odo = odometer(oxts_t, records[:, VF], present)
            poses = oxts_poses(records) if self.motor == "pose" else None
            cam_ts = drive / camera / "timestamps.txt"
            cam_t = read_timestamps(cam_ts) if cam_ts.exists() else oxts_t
            drive_name = drive.name[:-5] if drive.name.endswith("_sync") else drive.name
            label = CATEGORIES.index(categories[drive_name]) if drive_name in categories else -1
            if label < 0:
                notes.append(f"kitti-raw: drive {drive_name} is not in the category table; "
                             f"its frames are unlabelled")
            seq_names.append(drive_name)
            t0 = cam_t[0] if len(cam_t) else 0.0
            for k in range(len(cam_t)):
                total += 1
                image = drive / camera / "data" / f"{k:010d}.png"
                if not image.exists():
                    no_image += 1
                    continue
                if k >= len(present) or not present[k]:
                    no_oxts += 1
                    continue
                refs.append(str(image))
                motor.append(poses[k] if poses is not None
                             else (math.degrees(records[k, YAW]), odo[k]))
                seq.append(len(seq_names) - 1)
                times.append(cam_t[k] - t0)
                labels.append(label)
                frames.append(k)
                speeds.append(records[k, VF])
        if no_image or no_oxts:
            notes.append(f"kitti-raw: skipped {no_image + no_oxts} of {total} frames "
                         f"({no_image} without an image in {camera}, {no_oxts} without an OXTS "
                         f"record)")
        for note in notes:
            warnings.warn(note, stacklevel=2)
        if not refs:
            raise DataError(self.path, f"no frame has both a {camera} image and an OXTS record")
        return FrameTable(
            refs=refs,
            motor=np.array(motor, dtype=np.float64),
            motor_spec=self.spec,
            sequence=np.array(seq, dtype=np.int64),
            sequence_names=seq_names,
            time=np.array(times, dtype=np.float64),
            neighbours=NeighbourRule("video", window=self.option("window")),
            labels=np.array(labels, dtype=np.int64),
            class_names=list(CATEGORIES),
            meta={"frame": np.array(frames, dtype=np.int64),
                  "speed": np.array(speeds, dtype=np.float64)},
            warnings=notes,
        )


def find_drives(folder: Path) -> list[Path]:
    """The drive folders in ``folder`` (itself, its ``*_sync`` children, or grandchildren)."""
    if (folder / "oxts").is_dir():
        return [folder]
    drives = sorted(p for p in folder.glob("*_sync") if p.is_dir())
    drives += sorted(p for p in folder.glob("*/*_sync") if p.is_dir())
    if not drives:
        raise DataError(folder, "not a KITTI raw drive (no oxts/ folder) and no *_sync drive "
                                "folders inside")
    return drives


def drive_categories() -> dict[str, str]:
    """{drive name (``2011_09_26_drive_0001``): category} from the packaged table."""
    text = resources.files("egoequiv").joinpath("resources/kitti_raw_categories.csv").read_text()
    return {row["drive"]: row["category"] for row in csv.DictReader(io.StringIO(text))}


def read_timestamps(path: Path) -> np.ndarray:
    """Seconds since the epoch, one per line; error (file:line) if time goes backwards."""
    out = []
    with open(path) as f:
        lines = f.read().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for line, text in enumerate(lines, start=1):
        text = text.strip()
        try:
            stamp, _, frac = text.partition(".")
            seconds = calendar.timegm(_time.strptime(stamp, "%Y-%m-%d %H:%M:%S"))
            value = seconds + (float("0." + frac) if frac else 0.0)
        except ValueError:
            raise DataError(path, f"expected YYYY-MM-DD HH:MM:SS.nnnnnnnnn, got {text!r}",
                            line) from None
        if out and value < out[-1]:
            raise DataError(path, f"timestamp goes backwards ({text} is "
                                  f"{out[-1] - value:.3f} s before the previous line)", line)
        out.append(value)
    return np.array(out, dtype=np.float64)


def read_oxts(drive: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times (K,), records (K, 30), present (K,) bool) of a drive's OXTS; K = timestamp lines."""
    stamps = drive / "oxts" / "timestamps.txt"
    if not stamps.exists():
        raise DataError(stamps, "OXTS timestamps file is missing")
    times = read_timestamps(stamps)
    records = np.full((len(times), len(OXTS_FIELDS)), np.nan)
    present = np.zeros(len(times), dtype=bool)
    for k in range(len(times)):
        path = drive / "oxts" / "data" / f"{k:010d}.txt"
        if path.exists():
            records[k] = parse_oxts(path)
            present[k] = True
    return times, records, present


def parse_oxts(path: Path) -> np.ndarray:
    """The 30 numbers of one OXTS record file (first non-empty line)."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise DataError(path, "empty OXTS record", 1)
    fields = lines[0].split()
    if len(fields) != len(OXTS_FIELDS):
        raise DataError(path, f"{len(fields)} fields, expected {len(OXTS_FIELDS)} "
                              f"(see oxts/dataformat.txt)", 1)
    try:
        values = np.array([float(x) for x in fields])
    except ValueError as e:
        raise DataError(path, f"not a number ({e})", 1) from None
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise DataError(path, f"field {OXTS_FIELDS[bad[0]]} is {fields[bad[0]]}, expected a "
                              f"finite number", 1)
    if abs(values[VF]) > MAX_SPEED:
        raise DataError(path, f"field vf is {fields[VF]} m/s; a car's speed is below "
                              f"{MAX_SPEED:g} m/s", 1)
    if abs(values[YAW]) > 2 * np.pi + 1e-6:
        raise DataError(path, f"field yaw is {fields[YAW]}; expected radians in [-2pi, 2pi]", 1)
    return values


def oxts_poses(records: np.ndarray) -> np.ndarray:
    """(K, 7) pose readings of OXTS records (K, 30), as KITTI's devkit ``convertOxtsToPose``:
    Mercator x, y scaled by the first record's latitude, z = altitude; rows of missing
    records (NaN) stay NaN."""
    lat, lon, alt = records[:, 0], records[:, 1], records[:, 2]
    first = lat[np.isfinite(lat)][0] if np.isfinite(lat).any() else 0.0
    scale = math.cos(math.radians(first))
    x = scale * np.radians(lon) * EARTH_RADIUS
    y = scale * EARTH_RADIUS * np.log(np.tan(np.radians(90.0 + lat) / 2.0))
    out = np.full((len(records), 7), np.nan)
    ok = np.isfinite(records[:, :6]).all(axis=1)
    out[ok] = poses_from_euler(np.stack([x, y, alt], axis=1)[ok], records[ok, 3:6])
    return out


def odometer(times: np.ndarray, speed: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Distance travelled (m) at each record: trapezoid integral of ``speed`` over ``times``,
    bridging records that are missing; NaN where the record itself is missing."""
    out = np.full(len(times), np.nan)
    idx = np.flatnonzero(present)
    if len(idx):
        steps = 0.5 * (speed[idx][1:] + speed[idx][:-1]) * np.diff(times[idx])
        out[idx] = np.concatenate([[0.0], np.cumsum(steps)])
    return out
