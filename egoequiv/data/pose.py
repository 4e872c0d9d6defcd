"""Pose motor readings: a pair's motion is the relative transform in the first frame's
camera frame, not a difference of world-frame readings.

A pose reading is 7 numbers per frame: position x, y, z (metres, world frame) and the
orientation as a unit quaternion qx, qy, qz, qw (scipy's scalar-last order), the pose of the
camera (or body) in the world. The motion from frame i to frame j is T_i^-1 T_j, expressed in
frame i:

- ``forward``, ``lateral`` (to the right), ``vertical`` (up), in metres;
- ``yaw`` (left turn positive), ``pitch`` (nose up positive), ``roll`` (right side down
  positive), in degrees, intrinsic yaw-pitch-roll angles of the relative rotation.

``axes`` says how the pose's own axes point: ``camera`` (x right, y down, z forward: OpenCV,
KITTI's camera poses) or ``body`` (x forward, y left, z up: ROS REP 103, KITTI's OXTS). A
forward step then reads "forward" wherever the robot faces (the paper's footnote 1: the
6-DoF egomotion of the observer). Rotation maths is scipy's ``Rotation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from egoequiv.data.log_sync import within_log
from egoequiv.data.motor import MotorSpec
from egoequiv.utils.options import Option

DOFS = ("forward", "lateral", "vertical", "yaw", "pitch", "roll")
DOF_UNITS = {"forward": "m", "lateral": "m", "vertical": "m",
             "yaw": "deg", "pitch": "deg", "roll": "deg"}
#: the columns of a pose reading
POSE_COLUMNS = ("x", "y", "z", "qx", "qy", "qz", "qw")
#: presets for the ``dofs=`` option; a car's 3 DOF are what Agrawal et al. bin for lsm
DOF_PRESETS = {"planar": ("forward", "lateral", "yaw"), "6dof": DOFS}
AXES = ("camera", "body")
#: rows: the camera axes (right, down, forward) written in body axes (forward, left, up)
BODY_TO_CAMERA = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def parse_dofs(text: str) -> tuple[str, ...]:
    """``planar``, ``6dof`` or names joined by ``+`` (``forward+yaw``)."""
    if text in DOF_PRESETS:
        return DOF_PRESETS[text]
    names = tuple(n.strip() for n in text.split("+") if n.strip())
    bad = [n for n in names if n not in DOFS]
    if bad or not names or len(set(names)) != len(names):
        raise ValueError(f"dofs={text!r}: expected {' or '.join(DOF_PRESETS)} or names from "
                         f"{', '.join(DOFS)} joined by '+', each once")
    return names


#: the ``dofs=`` option of every source with pose readings
DOFS_OPTION = Option("planar", "the pose motion's degrees of freedom: planar (forward, "
                               "lateral, yaw: the 3 values Agrawal et al. bin), 6dof, or "
                               "names joined by + (forward+yaw)", check=parse_dofs)


def axes_option(default: str, why: str) -> Option:
    """The ``axes=`` option of a source with pose readings, with its default and the reason
    for it (sources differ: a ROS robot's pose is in body axes, a camera's in camera axes)."""
    return Option(default, f"how the pose's own axes point: camera (x right, y down, "
                           f"z forward) or body (x forward, y left, z up); {default} "
                           f"because {why}", choices=AXES)


@dataclass(frozen=True)
class PoseMotion(MotorSpec):
    """A MotorSpec whose readings are poses (``POSE_COLUMNS``) and whose motion dimensions
    (``names``) are the chosen degrees of freedom of the relative transform."""

    axes: str = "camera"

    def __post_init__(self):
        super().__post_init__()
        if self.axes not in AXES:
            raise ValueError(f"axes={self.axes!r}: expected one of {', '.join(AXES)}")

    @property
    def reading_names(self) -> tuple[str, ...]:
        return POSE_COLUMNS

    def blank(self, n: int) -> np.ndarray:
        return np.tile([0.0, 0, 0, 0, 0, 0, 1], (n, 1))

    def difference(self, y_from: np.ndarray, y_to: np.ndarray) -> np.ndarray:
        y_from, y_to = np.broadcast_arrays(np.asarray(y_from, dtype=np.float64),
                                           np.asarray(y_to, dtype=np.float64))
        shape = y_from.shape[:-1]
        a, b = y_from.reshape(-1, 7), y_to.reshape(-1, 7)
        if not len(a):
            return np.zeros((*shape, self.dim))
        r_a, r_b = Rotation.from_quat(a[:, 3:]), Rotation.from_quat(b[:, 3:])
        shift = r_a.inv().apply(b[:, :3] - a[:, :3])  # in frame a's own axes
        turn = (r_a.inv() * r_b).as_matrix()
        if self.axes == "body":  # the same motion written in camera axes
            shift = shift @ BODY_TO_CAMERA.T
            turn = BODY_TO_CAMERA @ turn @ BODY_TO_CAMERA.T
        # intrinsic Y (yaw, about "down"), X (pitch, about "right"), Z (roll, about "forward")
        y, x, z = Rotation.from_matrix(turn).as_euler("YXZ", degrees=True).T
        values = {"forward": shift[:, 2], "lateral": shift[:, 0], "vertical": -shift[:, 1],
                  "yaw": -y, "pitch": x, "roll": z}
        return np.stack([values[n] for n in self.names], axis=-1).reshape(*shape, self.dim)


def pose_motion(dofs: str | tuple[str, ...] = "planar", axes: str = "camera") -> PoseMotion:
    names = parse_dofs(dofs) if isinstance(dofs, str) else tuple(dofs)
    return PoseMotion(names, tuple(DOF_UNITS[n] for n in names),
                      tuple(360.0 if DOF_UNITS[n] == "deg" else None for n in names), axes=axes)


def hidden_vertical_warning(spec, y_from: np.ndarray, y_to: np.ndarray) -> list[str]:
    """One warning when most of the motion from ``y_from`` to ``y_to`` (pose readings of
    neighbouring frames) is vertical while ``spec``'s dofs leave vertical out: the mark of
    poses read in the wrong axes (a camera's z forward read as a body's z up), or of a
    camera that moves up and down. Nothing for other motors."""
    if not isinstance(spec, PoseMotion) or "vertical" in spec.names or not len(y_from):
        return []
    shift = pose_motion(("forward", "lateral", "vertical"), spec.axes).difference(y_from, y_to)
    forward, lateral, vertical = np.median(np.abs(shift), axis=0)
    if vertical <= 2 * max(forward, lateral):
        return []
    other = "body" if spec.axes == "camera" else "camera"
    return [f"most motion between neighbouring frames is vertical (median {vertical:.3g} m, "
            f"against {forward:.3g} m forward and {lateral:.3g} m lateral), which dofs="
            f"{'+'.join(spec.names)} leaves out: if the poses are in {other} axes, set "
            f"axes={other}; if the camera does move up and down, add vertical to dofs"]


def poses_from_matrices(poses: np.ndarray) -> np.ndarray:
    """(K, 3, 4) or (K, 4, 4) pose matrices -> (K, 7) readings."""
    poses = np.asarray(poses, dtype=np.float64)
    quat = Rotation.from_matrix(poses[:, :3, :3]).as_quat()
    return np.concatenate([poses[:, :3, 3], quat], axis=1)


def poses_from_euler(position: np.ndarray, roll_pitch_yaw: np.ndarray,
                     degrees: bool = False) -> np.ndarray:
    """Readings from positions (K, 3) and roll, pitch, yaw (K, 3) about the world's fixed
    x, y, z axes, i.e. R = Rz(yaw) Ry(pitch) Rx(roll) (ROS's and KITTI OXTS's convention)."""
    quat = Rotation.from_euler("xyz", roll_pitch_yaw, degrees=degrees).as_quat()
    return np.concatenate([np.asarray(position, dtype=np.float64), quat], axis=1)


def check_quaternions(readings: np.ndarray, tol: float = 1e-2) -> np.ndarray:
    """Rows whose quaternion is not of unit norm (within ``tol``): their indices."""
    norm = np.linalg.norm(readings[:, 3:7], axis=1)
    return np.flatnonzero(~(np.abs(norm - 1.0) <= tol))


def interpolate_poses(times: np.ndarray, readings: np.ndarray, at: np.ndarray,
                      tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Pose readings at times ``at``: positions linear, rotations by slerp, between the two
    log samples around each time, at the times the log covers (``log_sync.within_log``).
    Returns (kept mask over ``at``, readings of the kept times)."""
    times, at = np.asarray(times, dtype=np.float64), np.asarray(at, dtype=np.float64)
    if len(times) < 2:
        return np.zeros(len(at), dtype=bool), np.zeros((0, 7))
    keep, hi = within_log(times, at, tolerance)
    t = at[keep]
    if not len(t):
        return keep, np.zeros((0, 7))
    k = hi[keep]
    w = ((t - times[k - 1]) / np.where(times[k] > times[k - 1], times[k] - times[k - 1], 1.0))
    position = readings[k - 1, :3] * (1 - w)[:, None] + readings[k, :3] * w[:, None]
    rotation = Slerp(times, Rotation.from_quat(readings[:, 3:7]))(t)
    return keep, np.concatenate([position, rotation.as_quat()], axis=1)


#: the column sets a table (frames-csv, a video's log) may give a pose in, after ``pose_``
POSITION = ("x", "y", "z")
ORIENTATIONS = {"quaternion": ("qx", "qy", "qz", "qw"),
                "euler_deg": ("roll_deg", "pitch_deg", "yaw_deg"),
                "euler_rad": ("roll_rad", "pitch_rad", "yaw_rad")}


def pose_columns(header: list[str]) -> list[str]:
    """The ``pose_*`` columns a table must have, given those it has (raises ValueError)."""
    given = [c[len("pose_"):] for c in header if c.startswith("pose_")]
    known = set(POSITION).union(*ORIENTATIONS.values())
    unknown = [f"pose_{c}" for c in given if c not in known]
    if unknown:
        raise ValueError(f"unknown pose column(s) {', '.join(unknown)}; expected pose_x, "
                         "pose_y, pose_z and pose_qx..pose_qw or pose_roll_deg, "
                         "pose_pitch_deg, pose_yaw_deg (or _rad)")
    kinds = [k for k, cols in ORIENTATIONS.items() if set(cols) & set(given)]
    if len(kinds) != 1:
        raise ValueError("pose columns need one orientation: pose_qx, pose_qy, pose_qz, "
                         "pose_qw or pose_roll/pitch/yaw_deg (or _rad)")
    wanted = [*POSITION, *ORIENTATIONS[kinds[0]]]
    missing = [f"pose_{c}" for c in wanted if c not in given]
    if missing:
        raise ValueError(f"missing pose column(s) {', '.join(missing)}")
    return [f"pose_{c}" for c in wanted]


def readings_from_columns(columns: list[str], values: np.ndarray) -> np.ndarray:
    """(K, 7) readings from the values (K, 6 or 7) of ``pose_columns``' columns. Quaternions
    are normalised; a row whose quaternion is far from unit norm raises ValueError naming
    it (``row N``, counted from 0)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), len(columns))
    if len(columns) == 7:
        bad = check_quaternions(values)
        if len(bad):
            norm = np.linalg.norm(values[bad[0], 3:])
            raise ValueError(f"row {bad[0]}: quaternion has norm {norm:.4g}, expected 1")
        out = values.copy()
        out[:, 3:] /= np.linalg.norm(out[:, 3:], axis=1, keepdims=True)
        return out
    return poses_from_euler(values[:, :3], values[:, 3:], degrees=columns[3].endswith("_deg"))
