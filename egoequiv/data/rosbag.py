"""``rosbag:PATH``: a camera topic and a pose topic from a ROS 1 or ROS 2 bag.

Read with the ``rosbags`` package (``pip install 'egoequiv[rosbag]'``); no ROS installation.
``PATH`` is a ROS 1 ``.bag`` file or a ROS 2 bag folder (``metadata.yaml`` + ``.db3`` or
``.mcap``; a storage file inside such a folder names the folder), or a folder of such bags:
each bag is one sequence, in name order, and every bag must have the chosen topics.
A grey camera (mono8, mono16, 8UC1, 16UC1, or a grey JPEG/PNG) trains as one channel.

Options (``OPTIONS``, with their defaults and meanings): ``image=TOPIC``, the camera;
the motion, one of ``odom=TOPIC`` or ``tf=PARENT:CHILD``; ``axes``, ``dofs``, ``tolerance``,
``window`` and ``every``.

Without ``image=`` and a motion, ``egoequiv data info`` lists the bag's topics. Frames and
poses are matched by header stamp (the bag's receive time when a header stamp is 0): a
frame's pose is interpolated (linear + slerp) between the poses around it, and a frame is
kept when it lies within the pose log and a pose is at most ``tolerance`` seconds away; the
dropped frames are counted in a warning. Only the chosen topics are read; the bag is opened
once per decode worker, and each decode job reads one contiguous range of frames.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.log_sync import EVERY, TOLERANCE
from egoequiv.data.pose import DOFS_OPTION, axes_option, interpolate_poses, pose_motion
from egoequiv.data.rosbag_messages import as_pose, check_pose_values, decode_image, header_stamp
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.errors import DataError, EgoequivError
from egoequiv.utils.options import Option

INSTALL = "reading ROS bags needs the rosbags package: pip install 'egoequiv[rosbag]'"
IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
POSE_TYPES = ("nav_msgs/msg/Odometry", "geometry_msgs/msg/PoseStamped")
TF_TYPE = "tf2_msgs/msg/TFMessage"
#: frames per decode job: each job reads one time range of the image topic
CHUNK = 64
OPTIONS = {
    "image": Option(None, "the camera topic: sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8, "
                          "mono8, mono16, 8UC1, 8UC3, 16UC1) or sensor_msgs/CompressedImage "
                          "(JPEG, PNG); without it, data info lists the bag's topics",
                    kind=str),
    "odom": Option(None, "the motion: a nav_msgs/Odometry or geometry_msgs/PoseStamped "
                         "topic (or tf=)", kind=str),
    "tf": Option(None, "the motion: PARENT:CHILD, the transforms from PARENT to CHILD on "
                       "/tf (a direct edge, not a chain through other frames; or odom=)",
                 kind=str),
    "axes": axes_option("body", "ROS poses follow REP 103 (body axes), where the other "
                                "pose sources read a camera's pose"),
    "dofs": DOFS_OPTION,
    "tolerance": TOLERANCE,
    "window": WINDOW,
    "every": EVERY,
}


class TopicChoiceError(DataError):
    """The spec does not (or wrongly) name the bag's camera or motion topic."""


class RosbagSource(Source):
    name = "rosbag"
    options = OPTIONS
    #: what the count of a ``topics()`` row counts (``data info`` prints it)
    count_unit = "messages"

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.bags = find_bags(self.path)
        self.spec = pose_motion(self.option("dofs"), axes=self.option("axes"))
        self._readers: dict[Path, object] = {}
        self._reader_pid: int | None = None
        self._bag_times: dict[Path, np.ndarray] = {}

    # -- reading -------------------------------------------------------------------------
    def _open(self, bag: Path):
        """``bag``'s reader, opened once per process (decode workers open their own)."""
        if self._reader_pid != os.getpid():
            self._readers, self._reader_pid = {}, os.getpid()
        if bag not in self._readers:
            try:
                from rosbags.highlevel import AnyReader
            except ImportError:
                raise EgoequivError(INSTALL) from None
            reader = AnyReader([bag])
            try:
                reader.open()
            except Exception as e:  # rosbags raises its own error types per format
                raise DataError(bag, f"cannot read ROS bag ({e.__class__.__name__}: "
                                     f"{e})") from None
            self._readers[bag] = reader
        return self._readers[bag]

    def close(self) -> None:
        if self._reader_pid == os.getpid():
            for reader in self._readers.values():
                reader.close()
        self._readers = {}

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to close
            pass

    def __getstate__(self):  # a spawned worker opens its own readers
        return {**self.__dict__, "_readers": {}, "_reader_pid": None}

    def topics(self) -> list[dict]:
        """[{topic, type, count}] of the bags, counts summed (what ``data info`` lists)."""
        counts: dict[str, dict] = {}
        for bag in self.bags:
            for c in self._open(bag).connections:
                row = counts.setdefault(c.topic, {"topic": c.topic, "type": c.msgtype,
                                                  "count": 0})
                row["count"] += c.msgcount
        return sorted(counts.values(), key=lambda r: r["topic"])

    def _example(self) -> str:
        """A spec from the bag's first image and pose topics, for the refusal above."""
        topics = self.topics()
        image = next((t["topic"] for t in topics if t["type"] in IMAGE_TYPES), None)
        pose = next((t["topic"] for t in topics if t["type"] in POSE_TYPES), None)
        if not (image and pose):
            return ""
        return (f", e.g. rosbag:{self.path},image={image},odom={pose} (poses are read in "
                "ROS body axes, x forward; add axes=camera for a camera's z-forward poses)")

    def _listing(self) -> str:
        return "; ".join(f"{t['topic']} ({t['type']})" for t in self.topics())

    def _connections(self, bag: Path, topic: str, types: tuple[str, ...], what: str):
        found = [c for c in self._open(bag).connections if c.topic == topic]
        if not found:
            listing = "; ".join(f"{c.topic} ({c.msgtype})" for c in self._open(bag).connections)
            raise TopicChoiceError(bag, f"no topic {topic!r} for {what}; the bag has: "
                                        f"{listing}")
        if found[0].msgtype not in types:
            raise TopicChoiceError(bag, f"topic {topic} is {found[0].msgtype}, expected "
                                        f"{' or '.join(types)} for {what}")
        return found

    def _build_table(self) -> FrameTable:
        image_topic = self.option("image")
        odom, tf = self.option("odom"), self.option("tf")
        if not image_topic or bool(odom) == bool(tf):
            raise TopicChoiceError(self.path, "choose the camera with image=TOPIC and the "
                                              "motion with odom=TOPIC or tf=PARENT:CHILD"
                                              f"{self._example()}; the bag has: "
                                              f"{self._listing()}")
        parts, notes = [], []
        try:
            for bag in self.bags:
                kept, readings, times = self._read_bag(bag, image_topic, odom, tf, notes)
                parts.append(([f"{bag}#{k}" for k in kept], kept, readings, times))
        finally:
            self.close()  # decode workers open their own
        for note in notes:
            warnings.warn(note, stacklevel=2)
        return FrameTable(
            refs=[r for p in parts for r in p[0]],
            motor=np.concatenate([p[2] for p in parts]), motor_spec=self.spec,
            sequence=np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)]),
            sequence_names=[bag.stem if bag.is_file() else bag.name for bag in self.bags],
            time=np.concatenate([p[3] - p[3][0] for p in parts]),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"message": np.concatenate([p[1] for p in parts]),
                  "stamp": np.concatenate([p[3] for p in parts])},
            warnings=notes)

    def _read_bag(self, bag: Path, image_topic: str, odom, tf, notes: list[str]):
        """One bag's kept image messages, their pose readings and stamps; what it drops is
        appended to ``notes``."""
        images = self._connections(bag, image_topic, IMAGE_TYPES, "image=")
        stamps, bag_times, unstamped = self._image_stamps(bag, images)
        pose_t, poses, dropped_poses = self._poses(bag, odom, tf)
        tolerance, every = self.option("tolerance"), self.option("every")
        self._bag_times[bag] = bag_times
        order = np.argsort(stamps, kind="stable")[::every]
        keep, readings = interpolate_poses(pose_t, poses, stamps[order], tolerance)
        kept = order[keep]
        name = f"rosbag {bag.name}" if len(self.bags) > 1 else "rosbag"
        if unstamped:
            notes.append(f"{name}: {unstamped} image messages have no header stamp; their "
                         "receive time is used")
        if dropped_poses:
            notes.append(f"{name}: dropped {dropped_poses} pose messages whose stamp does "
                         "not increase")
        if (~keep).any():
            notes.append(f"{name}: dropped {int((~keep).sum())} of {len(order)} frames of "
                         f"{image_topic} without a pose within {tolerance:g} s (poses "
                         f"{pose_t[0]:.2f}-{pose_t[-1]:.2f} s, frames {stamps.min():.2f}-"
                         f"{stamps.max():.2f} s)")
        if not len(kept):
            raise DataError(bag, f"no frame of {image_topic} has a pose within "
                                 f"{tolerance:g} s")
        return kept, readings, stamps[kept]

    def _image_stamps(self, bag: Path, connections) -> tuple[np.ndarray, np.ndarray, int]:
        """Header stamps (s) and receive times (ns) of every image message, in bag order;
        read from the message's first bytes, without decoding the image."""
        stamps, bag_times, unstamped = [], [], 0
        reader = self._open(bag)
        for k, (_, t, raw) in enumerate(reader.messages(connections=connections)):
            if len(raw) < 12:  # a damaged message: its header alone needs 12 bytes
                raise DataError(bag, f"{connections[0].topic} message {k}: {len(raw)} "
                                     "bytes, too short for a header (12 bytes)")
            stamp = header_stamp(raw, reader.is2)
            if stamp == 0:
                unstamped += 1
                stamp = t * 1e-9
            stamps.append(stamp)
            bag_times.append(t)
        if not stamps:
            raise DataError(bag, f"topic {connections[0].topic} has no messages")
        return np.array(stamps), np.array(bag_times, dtype=np.int64), unstamped

    def _poses(self, bag: Path, odom: str | None, tf: str | None
               ) -> tuple[np.ndarray, np.ndarray, int]:
        """Pose stamps (s), readings (K, 7) and the count of messages dropped."""
        reader = self._open(bag)
        if odom:
            connections = self._connections(bag, odom, POSE_TYPES, "odom=")
        else:
            parent, sep, child = tf.partition(":")
            if not sep or not parent or not child:
                raise DataError(self.path, f"tf={tf!r}: expected PARENT:CHILD frame names")
            connections = self._connections(bag, "/tf", (TF_TYPE,), "tf=")
        times, readings, messages = [], [], []
        what = f"odom={odom}" if odom else f"tf={tf} (frames {parent} -> {child})"
        for k, (conn, _, raw) in enumerate(reader.messages(connections=connections)):
            msg = reader.deserialize(raw, conn.msgtype)
            if odom:
                found = [(msg.header, msg.pose.pose if hasattr(msg.pose, "pose") else msg.pose)]
            else:
                found = [(m.header, as_pose(m.transform)) for m in msg.transforms
                         if m.header.frame_id.lstrip("/") == parent.lstrip("/")
                         and m.child_frame_id.lstrip("/") == child.lstrip("/")]
            for header, pose in found:
                times.append(header.stamp.sec + header.stamp.nanosec * 1e-9)
                p, q = pose.position, pose.orientation
                readings.append((p.x, p.y, p.z, q.x, q.y, q.z, q.w))
                messages.append(k)
        if len(times) < 2:
            raise DataError(bag, f"{what}: {len(times)} pose(s); interpolation needs at "
                                 "least 2")
        times, readings = np.array(times), np.array(readings, dtype=np.float64)
        check_pose_values(bag, what, readings, messages)
        order = np.argsort(times, kind="stable")
        times, readings = times[order], readings[order]
        rising = np.concatenate([[True], np.diff(times) > 0])
        readings[:, 3:] /= np.linalg.norm(readings[:, 3:], axis=1)[:, None]
        return times[rising], readings[rising], int((~rising).sum())

    # -- decoding ------------------------------------------------------------------------
    def chunks(self, refs: list[str]) -> list[np.ndarray]:
        """Runs of at most CHUNK consecutive refs of one bag: a job reads one time range."""
        bags = [r.rpartition("#")[0] for r in refs]
        out, start = [], 0
        for k in range(1, len(refs) + 1):
            if k == len(refs) or bags[k] != bags[start] or k - start == CHUNK:
                out.append(np.arange(start, k))
                start = k
        return out

    def load_image(self, ref: str) -> np.ndarray:
        return self.load_chunk([ref])[0]

    def load_chunk(self, refs: list[str]) -> list[np.ndarray]:
        """The image messages ``refs`` (``BAG#k``: the k-th message of BAG's image topic),
        reading only the topic's time range that holds them, bag by bag."""
        self.table()
        found: dict[str, np.ndarray] = {}
        for bag_name in dict.fromkeys(r.rpartition("#")[0] for r in refs):
            wanted = sorted({int(r.rpartition("#")[2]) for r in refs
                             if r.rpartition("#")[0] == bag_name})
            bag = Path(bag_name)
            for k, img in zip(wanted, self._read_images(bag, wanted)):
                found[f"{bag_name}#{k}"] = img
        return [found[r] for r in refs]

    def _read_images(self, bag: Path, wanted: list[int]) -> list[np.ndarray]:
        reader = self._open(bag)
        topic = self.option("image")
        connections = [c for c in reader.connections if c.topic == topic]
        times = self._bag_times[bag]
        first = int(np.searchsorted(times, times[wanted[0]], side="left"))
        stream = reader.messages(connections=connections, start=int(times[wanted[0]]),
                                 stop=int(times[wanted[-1]]) + 1)
        targets, found = set(wanted), {}
        for k, (conn, _, raw) in enumerate(stream, start=first):
            if k in targets:
                found[k] = decode_image(reader.deserialize(raw, conn.msgtype), bag, k)
                if len(found) == len(targets):
                    break
        return [found[k] for k in wanted]

    @property
    def default_channels(self) -> int:
        """1 when the camera is grey (its first kept frame has one channel), else 3."""
        return 1 if self.load_image(self.table().refs[0]).shape[2] == 1 else 3

    def fingerprint(self) -> str:
        h = hashlib.sha1(f"{self.name}|{sorted(self.opts.items())}".encode())
        for bag in self.bags:
            for f in sorted(bag.iterdir()) if bag.is_dir() else [bag]:
                st = f.stat()
                # absolute: the same bag named from another folder reuses its cache
                h.update(f"{f.absolute()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        return h.hexdigest()[:16]


def find_bags(path: Path) -> list[Path]:
    """The bags ``path`` names: a ROS 1 ``.bag`` file, a ROS 2 bag folder (a storage file
    inside one names the folder), or a folder of those, in name order."""
    if path.suffix in (".db3", ".mcap") and path.is_file():
        return [path.parent]
    if path.is_file() or (path / "metadata.yaml").exists():
        return [path]
    bags = sorted(p for p in path.iterdir()
                  if (p.is_file() and p.suffix == ".bag") or (p / "metadata.yaml").exists())
    if not bags:
        raise DataError(path, "not a ROS 2 bag folder (no metadata.yaml) and holds no bags "
                              "(ROS 1 .bag files or ROS 2 bag folders); a ROS 1 bag is a "
                              ".bag file")
    return bags
