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

This module is the source; ``lerobot_tables`` reads ``meta/`` and the parquet rows,
``lerobot_video`` the mp4 frames.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.columns import motor_unit
from egoequiv.data.lerobot_tables import (
    FRAME_COLUMNS,
    feature_names,
    pose_indices,
    read_episodes_v2,
    read_episodes_v3,
    read_frames,
    read_info,
    spec_fields,
)
from egoequiv.data.lerobot_video import (
    check_decoder,  # noqa: F401  (re-exported: tests import it from here)
    decode_frames,
    frame_pts,
    nearest_frames,
)
from egoequiv.data.log_sync import EVERY
from egoequiv.data.motor import MotorSpec
from egoequiv.data.pose import DOFS_OPTION, axes_option, pose_motion
from egoequiv.data.rosbag import TopicChoiceError
from egoequiv.data.source import Source, chunk_refs
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.trajectory import check_finite, check_increasing, unit_quaternions
from egoequiv.errors import ConfigError, DataError
from egoequiv.utils.options import Option

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


#: LeRobot's own tolerance between a timestamp and frame_index / fps (its ``tolerance_s``)
TIMESTAMP_TOLERANCE = 1e-4


def on_frame_grid(times: np.ndarray, fps: float) -> np.ndarray:
    """``times`` (float32 seconds, as LeRobot stores them) in float64, each one within
    ``TIMESTAMP_TOLERANCE`` of a multiple of 1 / fps put on it: float32 rounding would put
    frames ten apart at 10 fps 1.0000000223 s apart, outside a 1 s neighbour window."""
    times = np.asarray(times, dtype=np.float64)
    grid = np.round(times * fps) / fps
    return np.where(np.abs(times - grid) <= TIMESTAMP_TOLERANCE, grid, times)


class LeRobotSource(Source):
    name = "lerobot"
    options = OPTIONS
    #: what the count of a ``topics()`` row counts (``data info`` prints it)
    count_unit = "frames"

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
        notes: list[str] = []
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
            if not notes and (note := self._fps_note(ep, data["time"])):
                notes.append(note)  # the first episode that contradicts fps names it
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
        for note in notes:
            warnings.warn(note, stacklevel=2)
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
        out["time"] = on_frame_grid(out["time"], self.info["fps"])
        return out

    def _fps_note(self, ep: dict, times: np.ndarray) -> str | None:
        """A note when the episode's timestamps step at another rate than info.json's fps
        (the timestamps are what the reader uses)."""
        if len(times) < 2:
            return None
        step = float(np.median(np.diff(times)))
        fps = self.info["fps"]
        if step > 0 and abs(step * fps - 1) <= 0.1:
            return None
        return (f"{self.path / 'meta' / 'info.json'}: fps is {fps:g}, but episode "
                f"{ep['index']}'s timestamps step by {step:.4g} s ({1 / step:.3g} fps): the "
                "timestamps are used")

    def _frame_index(self, video: Path, ep: dict, at: np.ndarray,
                     frames: np.ndarray) -> np.ndarray:
        """The index (presentation order) of the video frame shown at each time ``at``."""
        if str(video) not in self._pts:
            self._pts[str(video)] = frame_pts(video, self.info["codec"].get(ep["camera"]))
        pts, base = self._pts[str(video)]
        return nearest_frames(video, pts, base, at, self.info["fps"], frame_where(ep, frames))

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


def frame_where(ep: dict, frames: np.ndarray):
    """``where`` of the rows of one episode: its index and the row's frame_index."""
    return lambda k: (f"episode {ep['index']} frame_index {frames[k]}: ", None)

