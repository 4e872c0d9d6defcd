"""The messages of a ROS bag, one at a time: the header stamp of a serialised message, the
pose of an Odometry / PoseStamped / TransformStamped, and the pixels of an Image or
CompressedImage. ``rosbag`` reads the bags and builds the table from these."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from egoequiv.data.source import read_image_file
from egoequiv.errors import DataError

#: a pose reading's fields as a message names them
POSE_FIELDS = ("position.x", "position.y", "position.z", "orientation.x", "orientation.y",
               "orientation.z", "orientation.w")


def check_pose_values(bag: Path, what: str, readings: np.ndarray, messages: list[int]) -> None:
    """Every pose finite and its quaternion of unit norm, else one line naming the bag, the
    topic's message (counted from 0 in bag order) and the field."""
    finite = np.isfinite(readings)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        count = int((~finite.all(axis=1)).sum())
        raise DataError(bag, f"{what} message {messages[row]}: pose.{POSE_FIELDS[col]} is "
                             f"{readings[row, col]}, expected a finite number ({count} of "
                             f"{len(readings)} poses are not finite)")
    norm = np.linalg.norm(readings[:, 3:], axis=1)
    bad = np.flatnonzero(~(np.abs(norm - 1) < 1e-2))
    if len(bad):
        raise DataError(bag, f"{what} message {messages[bad[0]]}: the pose's quaternion has "
                             f"norm {norm[bad[0]]:.4g}, expected 1")


def header_stamp(raw: bytes, ros2: bool) -> float:
    """The header stamp (s) of a serialised message that starts with a std_msgs/Header.
    ROS 1: seq, sec, nsec (uint32, little-endian); ROS 2 CDR: a 4-byte encapsulation
    (byte 1: 1 = little-endian), then sec (int32), nanosec (uint32)."""
    if ros2:
        order = "<" if raw[1] == 1 else ">"
        sec, nsec = np.frombuffer(raw[4:12], dtype=f"{order}i4")
        return float(sec) + float(np.uint32(nsec)) * 1e-9
    sec, nsec = np.frombuffer(raw[4:12], dtype="<u4")
    return float(sec) + float(nsec) * 1e-9


def as_pose(transform):
    """A geometry_msgs/Transform as an object with .position and .orientation."""

    class Pose:
        position = transform.translation
        orientation = transform.rotation

    return Pose


#: sensor_msgs/Image encodings we read: (channels, dtype, channel order to RGB)
ENCODINGS = {"rgb8": (3, "u1", [0, 1, 2]), "bgr8": (3, "u1", [2, 1, 0]),
             "rgba8": (4, "u1", [0, 1, 2]), "bgra8": (4, "u1", [2, 1, 0]),
             "mono8": (1, "u1", [0]), "8UC1": (1, "u1", [0]), "8UC3": (3, "u1", [2, 1, 0]),
             "mono16": (1, "u2", [0]), "16UC1": (1, "u2", [0])}


def decode_image(msg, bag: Path, k: int) -> np.ndarray:
    """uint8 (H, W, C) of a sensor_msgs Image or CompressedImage message."""
    where = f"{bag} (image message {k})"
    if hasattr(msg, "encoding"):
        if msg.encoding not in ENCODINGS:
            raise DataError(where, f"image encoding {msg.encoding!r}; expected one of "
                                   f"{', '.join(ENCODINGS)}")
        channels, dtype, pick = ENCODINGS[msg.encoding]
        dtype = np.dtype(dtype).newbyteorder(">" if msg.is_bigendian else "<")
        width = msg.width * channels * dtype.itemsize
        if msg.step < width:
            raise DataError(where, f"row step {msg.step} bytes is shorter than a row of "
                                   f"{msg.width} {msg.encoding} pixels ({width} bytes)")
        if len(msg.data) < msg.step * msg.height:
            raise DataError(where, f"{len(msg.data)} bytes of data; {msg.height} rows of step "
                                   f"{msg.step} need {msg.step * msg.height}")
        rows = np.asarray(msg.data, dtype=np.uint8)[:msg.step * msg.height]
        rows = rows.reshape(msg.height, msg.step)[:, :width]
        pixels = rows.copy().view(dtype).reshape(msg.height, msg.width, channels)[:, :, pick]
        return (pixels >> 8).astype(np.uint8) if dtype.itemsize == 2 else pixels.copy()
    return read_image_file(io.BytesIO(bytes(msg.data)), name=where)
