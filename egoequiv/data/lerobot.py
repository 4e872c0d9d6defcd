"""``lerobot:DIR[,camera=KEY][,pose=KEY | motor=KEY][,episodes=...]``: a LeRobot dataset,
codebase v2.0/v2.1 or v3.0, read with pyarrow and PyAV (``pip install 'egoequiv[lerobot]'``;
not the ``lerobot`` package, whose torchvision does not import beside our torch).

``DIR`` holds ``meta/info.json``: ``codebase_version``, ``fps``, ``features`` (each with
``dtype``, ``shape`` and ``names``), ``data_path`` and ``video_path`` (templates), and for
v2.x ``chunks_size``. The frames are parquet rows with ``episode_index``, ``frame_index``,
``timestamp`` (seconds from the episode's start) and the vector features
(``observation.state``, ``action``, ...); a camera is a ``video`` feature.

- v2.0/v2.1: one parquet file and one mp4 per episode and camera:
  ``data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet`` and
  ``videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4``, the
  chunk being ``episode_index // chunks_size``; the episodes listed in
  ``meta/episodes.jsonl``.
- v3.0: several episodes per parquet and mp4 file (``data/chunk-000/file-000.parquet``,
  ``videos/{video_key}/chunk-000/file-000.mp4``); ``meta/episodes/chunk-*/file-*.parquet``
  says where each episode is: ``data/chunk_index``, ``data/file_index``,
  ``videos/{key}/chunk_index``, ``videos/{key}/file_index`` and
  ``videos/{key}/from_timestamp``, the episode's start in its video.

Each episode is one sequence. A frame is the video frame shown at ``from_timestamp +
timestamp`` (as lerobot decodes it: the frame whose presentation time ``pts x time_base``
is nearest, here within half a frame period, else one line naming the episode and frame).
Decoding seeks to the keyframe before a run of frames, so a long v3.0 file is not decoded
from its start for every episode. An AV1 video decodes with PyAV's dav1d; a PyAV without
an AV1 decoder is refused by name with what to install.

The motion is one of:

- ``pose=KEY``: a vector feature whose ``names`` hold x, y, z and qx, qy, qz, qw (in any
  order, so w first is told by the names; ``tx``/``pos_x``/``quat_x``/``orientation.x``
  are accepted too), read as the camera's pose in the world (world from camera), metres;
  ``axes`` and ``dofs`` as for every pose;
- ``motor=KEY``: any vector feature (joint angles, end-effector positions, ``action``) as
  plain positions, a pair's motion their difference; ``fields=a+b`` picks entries by name,
  and a name ending in ``_deg`` or ``_rad`` is an angle (its differences wrap).

Without a camera (when there are several) or a motion, ``egoequiv data info`` lists the
cameras and the vector features with their names. Options: ``OPTIONS``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from egoequiv.data.columns import motor_unit
from egoequiv.data.log_sync import EVERY
from egoequiv.data.motor import MotorSpec
from egoequiv.data.pose import DOFS_OPTION, axes_option, pose_motion
from egoequiv.data.rosbag import TopicChoiceError
from egoequiv.data.source import Source, chunk_refs
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.trajectory import check_finite, check_increasing, unit_quaternions
from egoequiv.errors import ConfigError, DataError, EgoequivError
from egoequiv.utils.options import Option

INSTALL = "reading LeRobot datasets needs pyarrow and PyAV: pip install 'egoequiv[lerobot]'"
AV1_INSTALL = ("PyAV has no AV1 decoder here: pip install --upgrade av (its wheels bring "
               "dav1d), or re-encode the videos to H.264")
#: the columns every LeRobot frame has, which are not features one reads as a motion
FRAME_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")
#: the names a pose feature's entries may have, per reading column (lower case)
POSE_NAMES = {
    "x": ("x", "tx", "pos_x", "position_x", "position.x", "translation_x"),
    "y": ("y", "ty", "pos_y", "position_y", "position.y", "translation_y"),
    "z": ("z", "tz", "pos_z", "position_z", "position.z", "translation_z"),
    "qx": ("qx", "quat_x", "rot_x", "orientation_x", "orientation.x", "rotation_x"),
    "qy": ("qy", "quat_y", "rot_y", "orientation_y", "orientation.y", "rotation_y"),
    "qz": ("qz", "quat_z", "rot_z", "orientation_z", "orientation.z", "rotation_z"),
    "qw": ("qw", "quat_w", "rot_w", "orientation_w", "orientation.w", "rotation_w"),
}
#: frames per decode job: a job seeks once, then decodes forward
CHUNK = 256


def parse_episodes(text: str) -> list[int]:
    """``3``, ``0-9``, ``0-9+12+20-24``: the episode indices, sorted."""
    out: set[int] = set()
    for part in text.split("+"):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and (not last.isdigit() or int(last) < int(first))):
            raise ValueError(f"episodes={text!r}: expected indices and ranges joined by + "
                             "(0-9+12)")
        out.update(range(int(first), int(last) + 1) if dash else [int(first)])
    return sorted(out)


OPTIONS = {
    "camera": Option(None, "the camera: a video feature of meta/info.json "
                           "(observation.images.front); without it the dataset's only camera",
                     kind=str),
    "pose": Option(None, "the motion: a vector feature naming x, y, z, qx, qy, qz, qw (in "
                         "any order) read as the camera's pose (or motor=)", kind=str),
    "motor": Option(None, "the motion: a vector feature (joint angles, end-effector "
                          "positions, action) read as plain positions (or pose=)", kind=str),
    "fields": Option(None, "with motor=: its entries to read, by name, joined by + "
                           "(shoulder_pan+elbow_flex); without it all", kind=str),
    "episodes": Option(None, "the episodes to read: indices and ranges joined by + "
                             "(0-9+12); without it all", kind=str, check=parse_episodes),
    "axes": axes_option("camera", "pose= reads the camera's own pose"),
    "dofs": DOFS_OPTION,
    "every": EVERY,
    "window": WINDOW,
}


def _need_pyarrow():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EgoequivError(INSTALL) from None
    return pq


class LeRobotSource(Source):
    name = "lerobot"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        if self.option("pose") and self.option("motor"):
            raise ConfigError("dataset 'lerobot': give pose= or motor=, not both")
        if self.option("fields") and not self.option("motor"):
            raise ConfigError("dataset 'lerobot': fields= picks entries of motor=KEY")
        self.info = read_info(self.path / "meta" / "info.json")
        self._pts: dict[str, np.ndarray] = {}

    # -- what the dataset holds ----------------------------------------------------------
    @property
    def features(self) -> dict[str, dict]:
        return self.info["features"]

    def cameras(self) -> list[str]:
        return [k for k, f in self.features.items() if f.get("dtype") == "video"]

    def vectors(self) -> list[str]:
        return [k for k, f in self.features.items() if k not in FRAME_COLUMNS
                and f.get("dtype") not in ("video", "image", "string")]

    def topics(self) -> list[dict]:
        """[{topic, type, count}]: the cameras and vector features (what ``data info``
        lists), count = the dataset's frames."""
        count = self.info.get("total_frames", 0)
        rows = []
        for key in self.cameras():
            video = self.features[key].get("info") or {}
            size = "x".join(str(s) for s in self.features[key].get("shape", [])[:2])
            rows.append({"topic": key, "count": count,
                         "type": f"camera ({video.get('video.codec', 'video')} {size})"})
        for key in self.vectors():
            names = feature_names(self.features[key])
            rows.append({"topic": key, "count": count,
                         "type": f"{self.features[key].get('dtype')}"
                                 f"{list(self.features[key].get('shape', []))}"
                                 + (f": {', '.join(names)}" if names else "")})
        return rows

    def _listing(self) -> str:
        cams = ", ".join(self.cameras()) or "none"
        vecs = "; ".join(f"{k} ({', '.join(feature_names(self.features[k]) or ['unnamed'])})"
                         for k in self.vectors()) or "none"
        return f"cameras: {cams}; vector features: {vecs}"

    def camera(self) -> str:
        key, cameras = self.option("camera"), self.cameras()
        if key is None and len(cameras) == 1:
            return cameras[0]
        if key is None or key not in cameras:
            why = "choose the camera with camera=KEY" if key is None else \
                f"no camera {key!r}" + (" (it is stored as images: this reader reads video "
                                        "features)" if key in self.features else "")
            raise TopicChoiceError(self.path, f"{why}; the dataset has {self._listing()}")
        return key

    def motion(self) -> tuple[str, str]:
        """(feature, "pose" or "motor") the spec chose."""
        for kind in ("pose", "motor"):
            key = self.option(kind)
            if key is not None:
                if key not in self.vectors():
                    raise TopicChoiceError(self.path, f"{kind}={key}: no vector feature "
                                                      f"{key!r}; the dataset has "
                                                      f"{self._listing()}")
                return key, kind
        raise TopicChoiceError(self.path, "choose the motion with pose=KEY or motor=KEY; the "
                                          f"dataset has {self._listing()}")

    # -- the table -----------------------------------------------------------------------
    def _build_table(self) -> FrameTable:
        camera = self.camera()
        key, kind = self.motion()
        columns, spec = self._motion_spec(key, kind)
        refs, motor, seq, times, frames, names, episodes = [], [], [], [], [], [], []
        cache: dict[Path, object] = {}
        for ep in self._episodes(camera):
            data = self._episode_rows(ep, key, cache)
            values = data["values"][:, columns]
            where = frame_where(ep, data["frame"])
            check_finite(ep["data"], values, [f"{key}.{n}" for n in spec_fields(
                self.features[key], columns)], where)
            if kind == "pose":
                values = unit_quaternions(ep["data"], values, where,
                                          ", ".join(spec_fields(self.features[key], columns)[3:]))
            rows = np.arange(len(values))[::self.option("every")]
            video = ep["video"]
            index = self._frame_index(video, ep, data["time"][rows] + ep["from"],
                                      data["frame"][rows])
            refs += [f"{video}#{k}" for k in index]
            motor.append(values[rows])
            seq += [len(names)] * len(rows)
            times.append(data["time"][rows])
            frames.append(data["frame"][rows])
            episodes += [ep["index"]] * len(rows)
            names.append(f"episode_{ep['index']:06d}")
        if not refs:
            raise DataError(self.path, "no frames in the chosen episodes")
        return FrameTable(
            refs=refs, motor=np.concatenate(motor), motor_spec=spec,
            sequence=np.array(seq), sequence_names=names, time=np.concatenate(times),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"episode": np.array(episodes), "frame_index": np.concatenate(frames)})

    def _motion_spec(self, key: str, kind: str):
        """(the feature's entries to read, in reading order; the MotorSpec)."""
        feature, info = self.features[key], self.path / "meta" / "info.json"
        names = feature_names(feature)
        if kind == "pose":
            return pose_indices(info, key, names), pose_motion(self.option("dofs"),
                                                                axes=self.option("axes"))
        width = int(np.prod(feature.get("shape") or [1]))
        names = names or [f"{key.rsplit('.', 1)[-1]}_{k}" for k in range(width)]
        picked = list(range(len(names)))
        if self.option("fields"):
            wanted = [n.strip() for n in self.option("fields").split("+") if n.strip()]
            unknown = [n for n in wanted if n not in names]
            if unknown:
                raise DataError(info, f"feature {key}: fields {', '.join(unknown)} are not "
                                      f"among its names ({', '.join(names)})")
            picked = [names.index(n) for n in wanted]
        units = [motor_unit(f"motor_{names[k]}") for k in picked]
        return picked, MotorSpec(tuple(u[0] for u in units), tuple(u[1] for u in units),
                                 tuple(u[2] for u in units))

    def _episodes(self, camera: str) -> list[dict]:
        """[{index, data: parquet file, video: mp4 file, from: the episode's start in its
        video (s)}] of the chosen episodes."""
        listed = read_episodes_v2(self.path, self.info, camera) if self.info["layout"] == 2 \
            else read_episodes_v3(self.path, self.info, camera)
        wanted = self.option("episodes")
        if wanted is None:
            return listed
        have = {ep["index"]: ep for ep in listed}
        missing = [k for k in parse_episodes(wanted) if k not in have]
        if missing:
            raise DataError(self.path / "meta", f"episodes={wanted}: episode {missing[0]} is "
                                                f"not in the dataset ({len(have)} episodes: "
                                                f"{min(have)}-{max(have)})")
        return [have[k] for k in parse_episodes(wanted)]

    def _episode_rows(self, ep: dict, key: str, cache: dict) -> dict:
        """The episode's frames in frame order: frame_index, timestamp and the feature."""
        path = ep["data"]
        if path not in cache:
            cache.clear()  # v3.0: consecutive episodes share a file; keep one in memory
            cache[path] = read_frames(path, key, self.features[key])
        rows = cache[path]
        mine = np.flatnonzero(rows["episode"] == ep["index"])
        if not len(mine):
            raise DataError(path, f"no rows of episode {ep['index']}")
        mine = mine[np.argsort(rows["frame"][mine], kind="stable")]
        out = {k: v[mine] for k, v in rows.items()}
        check_increasing(path, out["time"], frame_where(ep, out["frame"]), "timestamp")
        return out

    def _frame_index(self, video: Path, ep: dict, at: np.ndarray,
                     frames: np.ndarray) -> np.ndarray:
        """The index (presentation order) of the video frame shown at each time ``at``."""
        if str(video) not in self._pts:
            self._pts[str(video)] = frame_pts(video, self.info["codec"].get(ep["camera"]))
        pts, base = self._pts[str(video)]
        shown = pts * base
        after = np.clip(np.searchsorted(shown, at), 0, len(shown) - 1)
        before = np.clip(after - 1, 0, None)
        nearest = np.where(np.abs(shown[before] - at) <= np.abs(shown[after] - at), before,
                           after)
        off = np.abs(shown[nearest] - at)
        tolerance = 0.5 / self.info["fps"]
        bad = np.flatnonzero(off > tolerance)
        if len(bad):
            k = bad[0]
            raise DataError(video, f"episode {ep['index']} frame_index {frames[k]}: no video "
                                   f"frame at {at[k]:.4f} s (the nearest is at "
                                   f"{shown[nearest[k]]:.4f} s, more than half a frame at "
                                   f"{self.info['fps']:g} fps away; the video has "
                                   f"{len(shown)} frames)")
        return nearest

    # -- decoding ------------------------------------------------------------------------
    def chunks(self, refs: list[str]) -> list[np.ndarray]:
        """Runs of frames of one video, at most ``CHUNK`` each: each job seeks once."""
        return [run[a:a + CHUNK] for run in chunk_refs(refs) for a in range(0, len(run), CHUNK)]

    def load_image(self, ref: str) -> np.ndarray:
        return self.load_chunk([ref])[0]

    def load_chunk(self, refs: list[str]) -> list[np.ndarray]:
        self.table()  # the videos' frame times
        out: dict[str, np.ndarray] = {}
        by_video: dict[str, list[int]] = {}
        for ref in refs:
            video, _, k = ref.rpartition("#")
            by_video.setdefault(video, []).append(int(k))
        for video, wanted in by_video.items():
            found = decode_frames(Path(video), wanted, self._pts[video][0])
            out.update({f"{video}#{k}": frame for k, frame in found.items()})
        return [out[r] for r in refs]

    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha1(super().fingerprint().encode())
        for ep in self._episodes(self.camera()):
            st = os.stat(ep["data"])
            h.update(f"{ep['data']}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        return h.hexdigest()[:16]


# -- meta/ ---------------------------------------------------------------------------------
def read_info(path: Path) -> dict:
    """``meta/info.json``, checked: its version's layout (2 or 3), fps, features, the path
    templates; ``codec``: {camera: the codec info.json names}."""
    if not path.is_file():
        raise DataError(path, "missing: a LeRobot dataset holds meta/info.json")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(path, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(info, dict):
        raise DataError(path, "expected a JSON object")
    version = str(info.get("codebase_version"))
    layouts = {"v2.0": 2, "v2.1": 2, "v3.0": 3}
    if version not in layouts:
        raise DataError(path, f"field codebase_version: {version!r}; expected one of "
                              f"{', '.join(layouts)}")
    fps = info.get("fps")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise DataError(path, f"field fps: expected a positive number, got {fps!r}")
    features = info.get("features")
    if not isinstance(features, dict) or not all(isinstance(f, dict)
                                                 for f in features.values()):
        raise DataError(path, "field features: expected an object of {key: {dtype, shape, "
                              "names}}")
    for key in ("data_path", "video_path"):
        if not isinstance(info.get(key), str):
            raise DataError(path, f"field {key}: expected a path template, got "
                                  f"{info.get(key)!r}" + (" (a dataset without videos: this "
                                                          "reader reads video cameras)"
                                                          if key == "video_path" else ""))
    codec = {k: (f.get("info") or {}).get("video.codec") for k, f in features.items()
             if f.get("dtype") == "video"}
    return {**info, "layout": layouts[version], "fps": float(fps), "codec": codec}


def feature_names(feature: dict) -> list[str]:
    """A feature's entry names: a list, or (older datasets) an object holding one list."""
    names = feature.get("names")
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return []


def pose_indices(info: Path, key: str, names: list[str]) -> list[int]:
    """The entries of feature ``key`` that hold x, y, z, qx, qy, qz, qw, in that order."""
    lower = [n.strip().lower() for n in names]
    picked, missing = [], []
    for column, aliases in POSE_NAMES.items():
        found = [k for k, n in enumerate(lower) if n in aliases]
        if len(found) != 1:
            missing.append(column if not found else f"{column} (named {len(found)} times)")
        picked += found[:1]
    if missing:
        raise DataError(info, f"feature {key}: names [{', '.join(names) or 'none'}] do not "
                              f"name a pose: missing {', '.join(missing)} (expected x, y, z "
                              "and qx, qy, qz, qw in any order)")
    return picked


def frame_where(ep: dict, frames: np.ndarray):
    """``where`` of the rows of one episode: its index and the row's frame_index."""
    return lambda k: (f"episode {ep['index']} frame_index {frames[k]}: ", None)


def spec_fields(feature: dict, columns: list[int]) -> list[str]:
    names = feature_names(feature)
    return [names[k] if k < len(names) else str(k) for k in columns]


def _format(path: Path, template: str, **keys) -> str:
    try:
        return template.format(**keys)
    except (KeyError, IndexError, ValueError) as e:
        raise DataError(path, f"path template {template!r}: {e.__class__.__name__}: {e} "
                              f"(it may use {', '.join(keys)})") from None


def read_episodes_v2(root: Path, info: dict, camera: str) -> list[dict]:
    """The episodes of ``meta/episodes.jsonl`` with their files (v2.0/v2.1)."""
    path = root / "meta" / "episodes.jsonl"
    if not path.is_file():
        raise DataError(path, "missing: a v2.x LeRobot dataset lists its episodes there")
    size = info.get("chunks_size", 1000)
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise DataError(root / "meta" / "info.json", f"field chunks_size: expected a positive "
                                                     f"integer, got {size!r}")
    out = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            index = json.loads(text)["episode_index"]
        except (ValueError, KeyError, TypeError) as e:
            raise DataError(path, f"expected a JSON object with episode_index ({e})",
                            line) from None
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise DataError(path, f"field episode_index: expected an integer >= 0, got "
                                  f"{index!r}", line)
        keys = {"episode_chunk": index // size, "episode_index": index}
        out.append({"index": index, "camera": camera, "from": 0.0,
                    "data": root / _format(path, info["data_path"], **keys),
                    "video": root / _format(path, info["video_path"], video_key=camera,
                                            **keys)})
    return _existing(path, sorted(out, key=lambda e: e["index"]))


def read_episodes_v3(root: Path, info: dict, camera: str) -> list[dict]:
    """The episodes of ``meta/episodes/chunk-*/file-*.parquet`` with their files and
    their start in their video (v3.0)."""
    pq = _need_pyarrow()
    files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    if not files:
        raise DataError(root / "meta" / "episodes", "no chunk-*/file-*.parquet: a v3.0 LeRobot "
                                                    "dataset lists its episodes there")
    video = f"videos/{camera}/"
    columns = ["episode_index", "data/chunk_index", "data/file_index", video + "chunk_index",
               video + "file_index", video + "from_timestamp"]
    out = []
    for path in files:
        table = _read_parquet(pq, path, columns)
        rows = {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}
        for k in range(table.num_rows):
            index = int(rows["episode_index"][k])
            data = _format(path, info["data_path"], chunk_index=int(rows["data/chunk_index"][k]),
                           file_index=int(rows["data/file_index"][k]))
            mp4 = _format(path, info["video_path"], video_key=camera,
                          chunk_index=int(rows[video + "chunk_index"][k]),
                          file_index=int(rows[video + "file_index"][k]))
            start = float(rows[video + "from_timestamp"][k])
            if not np.isfinite(start) or start < 0:
                raise DataError(path, f"episode {index}: {video}from_timestamp is {start}, "
                                      "expected a time >= 0 in seconds")
            out.append({"index": index, "camera": camera, "from": start,
                        "data": root / data, "video": root / mp4})
    return _existing(files[0].parent.parent, sorted(out, key=lambda e: e["index"]))


def _existing(listing: Path, episodes: list[dict]) -> list[dict]:
    """The episodes, each of whose files exists, else one line naming the file."""
    for ep in episodes:
        for what in ("data", "video"):
            if not ep[what].is_file():
                raise DataError(ep[what], f"missing: the {what} file of episode {ep['index']} "
                                          f"(listed in {listing})")
    return episodes


def _read_parquet(pq, path: Path, columns: list[str]):
    try:
        schema = pq.read_schema(path)
    except Exception as e:  # pyarrow raises its own kinds for a damaged file
        raise DataError(path, f"cannot read parquet ({e.__class__.__name__}: {e})") from None
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise DataError(path, f"no column {missing[0]!r} (its columns: "
                              f"{', '.join(schema.names)})")
    return pq.read_table(path, columns=columns)


def read_frames(path: Path, key: str, feature: dict) -> dict[str, np.ndarray]:
    """episode, frame, time (s) and values (N, width) of every row of a data file."""
    pq = _need_pyarrow()
    table = _read_parquet(pq, path, ["episode_index", "frame_index", "timestamp", key])
    out = {name: table.column(col).to_numpy(zero_copy_only=False).astype(kind)
           for name, col, kind in (("episode", "episode_index", np.int64),
                                   ("frame", "frame_index", np.int64),
                                   ("time", "timestamp", np.float64))}
    out["values"] = vector_column(path, table.column(key), key,
                                  int(np.prod(feature.get("shape") or [1])))
    return out


def vector_column(path: Path, column, key: str, width: int) -> np.ndarray:
    """(N, width) float64 of a list column (or a scalar one, width 1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks()
    if array.null_count:
        raise DataError(path, f"column {key}: {array.null_count} rows are null, expected "
                              f"{width} numbers each")
    if not (pa.types.is_list(array.type) or pa.types.is_large_list(array.type)
            or pa.types.is_fixed_size_list(array.type)):
        return array.to_numpy(zero_copy_only=False).astype(np.float64).reshape(-1, 1)
    lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != width).any():
        row = int(np.flatnonzero(lengths != width)[0])
        raise DataError(path, f"column {key}: row {row} has {lengths[row]} numbers, "
                              f"meta/info.json's shape says {width}")
    values = array.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    return values.reshape(len(array), width)


# -- videos --------------------------------------------------------------------------------
def _open_video(path: Path, codec: str | None = None):
    try:
        import av
    except ImportError:
        raise EgoequivError(INSTALL) from None
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise DataError(path, f"cannot open video ({e.__class__.__name__}: {e})") from None
    if not container.streams.video:
        container.close()
        raise DataError(path, "no video stream")
    stream = container.streams.video[0]
    check_decoder(path, stream, codec)
    return container, stream


def check_decoder(path: Path, stream, codec: str | None) -> None:
    """A stream this PyAV cannot decode (no decoder: PyAV leaves ``codec_context`` None)
    is one line naming its codec and what to install."""
    if stream.codec_context is not None:
        return
    named = (codec or "").lower()
    hint = AV1_INSTALL if "av1" in named or named in ("", "av01") else \
        "install a PyAV whose FFmpeg has its decoder, or re-encode the videos to H.264"
    raise DataError(path, f"no decoder for its {codec or 'video'} stream: {hint}")


def frame_pts(path: Path, codec: str | None = None) -> tuple[np.ndarray, float]:
    """(each frame's presentation timestamp, in presentation order; the time base), read
    from the packets (no decoding)."""
    import av

    container, stream = _open_video(path, codec)
    with container:
        try:
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size]
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot read video packets ({e})") from None
        base = float(stream.time_base)
    if not pts:
        raise DataError(path, "the video stream has no frames")
    return np.sort(np.array(pts, dtype=np.int64)), base


def decode_frames(path: Path, wanted: list[int], pts: np.ndarray) -> dict[int, np.ndarray]:
    """Frames ``wanted`` (indices in presentation order) as uint8 (H, W, 3): a seek to the
    keyframe before the first, then decoding forward to the last."""
    import av

    index = {int(p): k for k, p in enumerate(pts)}
    targets, last, found = set(wanted), max(wanted), {}
    container, stream = _open_video(path)
    with container:
        try:
            container.seek(int(pts[min(wanted)]), backward=True, any_frame=False, stream=stream)
            for frame in container.decode(stream):
                k = index.get(frame.pts)
                if k in targets:
                    found[k] = frame.to_ndarray(format="rgb24")
                if k is not None and k >= last:
                    break
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot decode video ({e})") from None
    lost = sorted(targets - set(found))
    if lost:
        raise DataError(path, f"frame {lost[0]} (at pts {pts[lost[0]]}) was not decoded "
                              f"({len(lost)} of {len(targets)} frames asked for)")
    return found
