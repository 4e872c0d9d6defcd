"""``nuscenes:DIR[,version=v1.0-mini][,channel=CAM_FRONT]``: one camera of nuScenes (Caesar et
al., CVPR 2020), keyframes and sweeps, with the ego pose of every image.

``DIR`` is the data root: ``DIR/<version>/*.json`` (the tables) beside ``samples/`` and
``sweeps/`` (the images, ``sample_data.filename`` is relative to ``DIR``); the version folder
itself names its data root. Tables read (stdlib ``json``):

- ``sample_data``: one record per image: ``timestamp`` (µs), ``filename``,
  ``ego_pose_token``, ``calibrated_sensor_token``, ``sample_token``; keyframes (2 Hz) and
  sweeps (12 Hz) alike;
- ``ego_pose``: the vehicle in the world (the log's map) at that image's time, world from
  ego, ``translation`` in metres and ``rotation`` a quaternion **w, x, y, z**; the ego frame
  is x forward, y left, z up;
- ``calibrated_sensor``: the camera in the ego frame (ego from camera), the same fields;
  the camera frame is x right, y down, z forward;
- ``sensor`` (the ``channel`` of a calibrated sensor), ``sample`` and ``scene`` (which scene
  an image belongs to).

``axes=camera`` (the default) gives the camera's motion: its pose ego_pose @
calibrated_sensor, in the camera's axes. ``axes=body`` gives the vehicle's: the ego pose
itself, in body axes. No interpolation: every image has its own ego pose. One sequence per
scene (its ``name``), frames in time order; time = seconds from the scene's first frame;
``meta``: ``timestamp_us`` and ``key_frame``. Images not on disk (a partial download: the
blobs come in ten parts) are skipped and counted in one warning.

Options (``OPTIONS``): ``version``, ``channel``, ``axes``, ``dofs``, ``every``, ``window``.
Errors, one line with file, record and field: a missing table, invalid JSON, a record
without a field or with one of the wrong type, a token that names no record, a non-finite
pose, a quaternion far from unit norm, a channel that is not a camera (listing the cameras).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.log_sync import EVERY
from egoequiv.data.pose import DOFS_OPTION, axes_option, pose_motion
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.trajectory import (
    check_finite,
    check_increasing,
    compose,
    readings_of,
    unit_quaternions,
    xyzw,
)
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

TABLES = ("sample_data", "ego_pose", "calibrated_sensor", "sensor", "sample", "scene")
POSE_FIELDS = ("translation[0]", "translation[1]", "translation[2]", "rotation[0] (w)",
               "rotation[1] (x)", "rotation[2] (y)", "rotation[3] (z)")
OPTIONS = {
    "version": Option("v1.0-mini", "the tables' folder in DIR: v1.0-mini, v1.0-trainval, "
                                   "v1.0-test (the mini split by default: the one a first "
                                   "download holds)"),
    "channel": Option("CAM_FRONT", "the camera: CAM_FRONT, CAM_FRONT_LEFT, CAM_FRONT_RIGHT, "
                                   "CAM_BACK, CAM_BACK_LEFT or CAM_BACK_RIGHT (the front "
                                   "camera by default: it sees the motion ahead)"),
    "axes": axes_option("camera", "the camera's motion (ego_pose @ calibrated_sensor) is "
                                  "what its images see; body gives the vehicle's (ego) motion"),
    "dofs": DOFS_OPTION,
    "every": EVERY,
    "window": WINDOW,
}


class NuScenesSource(Source):
    name = "nuscenes"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        version = self.option("version")
        if (self.path / "sample_data.json").is_file():  # the version folder itself
            self.root, self.folder = self.path.parent, self.path
        else:
            self.root, self.folder = self.path, self.path / version
        if not self.folder.is_dir():
            raise DataError(self.folder, f"no nuScenes tables folder {version!r} in the data "
                                         "root (choose it with version=)")
        self.spec = pose_motion(self.option("dofs"), axes=self.option("axes"))

    def _build_table(self) -> FrameTable:
        db = Tables(self.folder)
        by_scene: dict[str, list[dict]] = {}
        for rec in self._camera_records(db):
            sample = db["sample"][db.ref("sample_data", rec, "sample_token", "sample")]
            by_scene.setdefault(db.ref("sample", sample, "scene_token", "scene"), []).append(rec)
        order = sorted(by_scene, key=lambda s: db.field("scene", db["scene"][s], "name", str))
        parts = [self._scene(db, scene, by_scene[scene]) for scene in order]
        missing = sum(p["missing"] for p in parts)
        notes = [f"nuscenes: skipped {missing} of {sum(map(len, by_scene.values()))} "
                 f"{self.option('channel')} images not on disk (a partial download)"] \
            if missing else []
        for note in notes:
            warnings.warn(note, stacklevel=2)
        parts = [p for p in parts if p["refs"]]
        if not parts:
            raise DataError(self.root, f"no {self.option('channel')} image of "
                                       f"{self.folder.name} is on disk")
        return FrameTable(
            refs=[r for p in parts for r in p["refs"]],
            motor=np.concatenate([p["motor"] for p in parts]), motor_spec=self.spec,
            sequence=np.concatenate([np.full(len(p["refs"]), k) for k, p in enumerate(parts)]),
            sequence_names=[p["name"] for p in parts],
            time=np.concatenate([(p["us"] - p["us"][0]) * 1e-6 for p in parts]),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"timestamp_us": np.concatenate([p["us"] for p in parts]),
                  "key_frame": np.concatenate([p["key"] for p in parts])},
            warnings=notes)

    def _camera_records(self, db: Tables) -> list[dict]:
        """The sample_data records of the chosen channel; a channel that is not a camera
        is one line listing those that are."""
        channel = self.option("channel")
        kinds = {tok: (db.field("sensor", s, "channel", str), s.get("modality"))
                 for tok, s in db["sensor"].items()}
        cameras = sorted({c for c, m in kinds.values() if m == "camera"})
        sensors = {tok for tok, (c, _) in kinds.items() if c == channel}
        if not sensors or any(kinds[t][1] != "camera" for t in sensors):
            what = "is not a camera" if sensors else "is not in the table"
            raise DataError(db.path("sensor"), f"channel {channel!r} {what}; choose channel= "
                                               f"among the cameras: {', '.join(cameras)}")
        calibrated = {tok for tok, rec in db["calibrated_sensor"].items()
                      if db.ref("calibrated_sensor", rec, "sensor_token", "sensor") in sensors}
        return [rec for rec in db["sample_data"].values()
                if db.ref("sample_data", rec, "calibrated_sensor_token", "calibrated_sensor")
                in calibrated]

    def _scene(self, db: Tables, scene: str, records: list[dict]) -> dict:
        """One scene's frames on disk, in time order, with their poses, and the count of
        its images not on disk."""
        records = sorted(records, key=lambda r: db.field("sample_data", r, "timestamp", int))
        us = np.array([r["timestamp"] for r in records], dtype=np.int64)
        check_increasing(db.path("sample_data"), us, db.where("sample_data", records),
                         "timestamp")
        ego = [db["ego_pose"][db.ref("sample_data", r, "ego_pose_token", "ego_pose")]
               for r in records]
        poses = db.poses("ego_pose", ego)
        if self.option("axes") == "camera":
            cam = [db["calibrated_sensor"][r["calibrated_sensor_token"]] for r in records]
            poses = compose(poses, db.poses("calibrated_sensor", cam))
        files = [self.root / db.field("sample_data", r, "filename", str) for r in records]
        on_disk = np.array([f.is_file() for f in files], dtype=bool)
        kept = np.flatnonzero(on_disk)[::self.option("every")]
        return {"name": db["scene"][scene]["name"], "refs": [str(files[k]) for k in kept],
                "motor": poses[kept], "us": us[kept], "missing": int((~on_disk).sum()),
                "key": np.array([bool(records[k].get("is_key_frame")) for k in kept])}


class Tables:
    """The tables of one version folder, {table: {token: record}}, and the checks of their
    fields; an error names the table's file, the record's token and the field."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.tables = {name: load_table(self.path(name)) for name in TABLES}

    def __getitem__(self, table: str) -> dict[str, dict]:
        return self.tables[table]

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.json"

    def where(self, table: str, records: list[dict]):
        return lambda k: (f"{table} {records[k]['token']!r}: ", None)

    def field(self, table: str, rec: dict, key: str, kind: type):
        """``rec[key]``, checked to be a ``kind`` (str or int)."""
        value = rec.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DataError(self.path(table), f"{table} {rec['token']!r}: field {key}: expected "
                                              f"{'an integer' if kind is int else 'a string'}, "
                                              f"got {value!r}")
        return value

    def ref(self, table: str, rec: dict, key: str, target: str) -> str:
        """The token in ``rec[key]``, checked to name a record of ``target``."""
        token = self.field(table, rec, key, str)
        if token not in self.tables[target]:
            raise DataError(self.path(table), f"{table} {rec['token']!r}: field {key}: "
                                              f"{token!r} names no record of {target}.json")
        return token

    def poses(self, table: str, records: list[dict]) -> np.ndarray:
        """(K, 7) readings of records with a ``translation`` and a w-first ``rotation``."""
        values = []
        for rec in records:
            t, q = rec.get("translation"), rec.get("rotation")
            for key, value, n in (("translation", t, 3), ("rotation", q, 4)):
                if not (isinstance(value, list) and len(value) == n and all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
                    raise DataError(self.path(table), f"{table} {rec['token']!r}: field {key}: "
                                                      f"expected {n} numbers, got {value!r}")
            values.append([*t, *q])
        values = np.array(values, dtype=np.float64).reshape(len(records), 7)
        where = self.where(table, records)
        check_finite(self.path(table), values, POSE_FIELDS, where)
        return unit_quaternions(self.path(table),
                                readings_of(values[:, :3], xyzw(values[:, 3:])), where,
                                "rotation as w, x, y, z")


def load_table(path: Path) -> dict[str, dict]:
    """A nuScenes table: {token: record}."""
    if not path.is_file():
        raise DataError(path, f"missing: a nuScenes version folder holds the tables "
                              f"{', '.join(t + '.json' for t in TABLES)}")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(path, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(path, "expected a JSON list of records (objects)")
    out = {}
    for k, rec in enumerate(records):
        if not isinstance(rec.get("token"), str):
            raise DataError(path, f"record {k}: field token: expected a string, got "
                                  f"{rec.get('token')!r}")
        out[rec["token"]] = rec
    return out
