"""Shared by the trajectory readers (``tum``, ``euroc``, ``nuscenes``, ``lerobot``): quaternion
orders, rigid transforms (extrinsics), checks of pose values, and the poses at image times.

A reading is ``pose.POSE_COLUMNS``: x, y, z, then a scalar-last quaternion (scipy's order);
a source that stores w first converts with ``xyzw``. Every check raises one ``DataError``
naming the file, the record (line, token or frame) and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.spatial.transform import Rotation

from egoequiv.data.pose import check_quaternions, interpolate_poses
from egoequiv.errors import DataError

#: how far from orthonormal an extrinsic's rotation may be (calibration files print it to
#: 9-12 digits; KITTI's poses, printed to ~1e-6, pass the same bound)
ROTATION_TOL = 1e-3
#: ``where(k)``: how an error names record k of a file: (prefix such as "ego_pose 'tok': "
#: or "", the file's line or None)
Where = Callable[[int], tuple[str, "int | None"]]


def on_lines(lines: Sequence[int]) -> Where:
    """``where`` for a text file whose record k is on line ``lines[k]``."""
    return lambda k: ("", lines[k])


def xyzw(wxyz) -> np.ndarray:
    """Scalar-first quaternions (w, x, y, z: EuRoC, nuScenes) in scalar-last order."""
    return np.asarray(wxyz, dtype=np.float64)[..., [1, 2, 3, 0]]


def readings_of(position, quaternion_xyzw) -> np.ndarray:
    """(K, 7) readings from positions (K, 3) and scalar-last quaternions (K, 4)."""
    return np.concatenate([np.asarray(position, dtype=np.float64),
                           np.asarray(quaternion_xyzw, dtype=np.float64)], axis=1)


def compose(readings: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The poses T_k @ O_k as readings, ``other`` one reading (7,) or one per pose (K, 7): a
    body's world pose times the body-from-camera extrinsic is the camera's world pose."""
    other = np.broadcast_to(np.asarray(other, dtype=np.float64), readings.shape).copy()
    rotation = Rotation.from_quat(readings[:, 3:7])
    position = readings[:, :3] + rotation.apply(other[:, :3])
    turned = rotation * Rotation.from_quat(other[:, 3:7])
    return readings_of(position, turned.as_quat())


def rigid_transform(path, values, field: str) -> np.ndarray:
    """A 4x4 rigid transform from 16 row-major numbers, else one line naming ``field``."""
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(path, f"{field}: expected 16 numbers (a row-major 4x4 transform), "
                              f"got {values!r}") from None
    if matrix.size != 16 or not np.isfinite(matrix).all():
        raise DataError(path, f"{field}: expected 16 finite numbers (a row-major 4x4 "
                              f"transform), got {matrix.size} values")
    matrix = matrix.reshape(4, 4)
    rot = matrix[:3, :3]
    if not np.allclose(matrix[3], [0, 0, 0, 1]):
        raise DataError(path, f"{field}: the last row is {matrix[3].tolist()}, expected "
                              "[0, 0, 0, 1]")
    if not (np.allclose(rot @ rot.T, np.eye(3), atol=ROTATION_TOL) and np.linalg.det(rot) > 0):
        raise DataError(path, f"{field}: the top-left 3x3 block is not a rotation (R R^T = I, "
                              f"det R = +1, tolerance {ROTATION_TOL})")
    return matrix


def check_finite(path, values: np.ndarray, fields: Sequence[str], where: Where) -> None:
    """Every value (K, F; the file's F ``fields`` in its order) finite, else one line naming
    the first record and field, with the count of records that are not."""
    finite = np.isfinite(values)
    if finite.all():
        return
    row, col = np.argwhere(~finite)[0]
    prefix, line = where(int(row))
    count = int((~finite.all(axis=1)).sum())
    raise DataError(path, f"{prefix}{fields[col]} is {values[row, col]}, expected a finite "
                          f"number ({count} of {len(values)} poses are not finite)", line)


def unit_quaternions(path, readings: np.ndarray, where: Where, order: str) -> np.ndarray:
    """``readings`` with their quaternions normalised; a quaternion far from unit norm (a
    zero, or a wrong column) is one line naming its record and the order it was read in."""
    bad = check_quaternions(readings)
    if len(bad):
        prefix, line = where(int(bad[0]))
        norm = np.linalg.norm(readings[bad[0], 3:7])
        raise DataError(path, f"{prefix}quaternion ({order}) has norm {norm:.4g}, expected 1",
                        line)
    out = readings.copy()
    out[:, 3:7] /= np.linalg.norm(out[:, 3:7], axis=1, keepdims=True)
    return out


def check_increasing(path, times: np.ndarray, where: Where, what: str) -> None:
    """``times`` strictly increasing down the file, else one line naming the first record
    that is not (sorted logs are what the formats promise)."""
    steps = np.flatnonzero(np.diff(times) <= 0)
    if len(steps):
        prefix, line = where(int(steps[0]) + 1)
        show = (lambda v: str(int(v))) if np.issubdtype(times.dtype, np.integer) else \
            (lambda v: f"{v:.6f}")
        raise DataError(path, f"{prefix}{what} {show(times[steps[0] + 1])} does not increase "
                              f"(the record before has {show(times[steps[0]])})", line)


def poses_at_frames(pose_times: np.ndarray, poses: np.ndarray, frame_times: np.ndarray, *,
                    every: int, tolerance: float, unit: float, name: str, frames: str,
                    notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every ``every``-th frame's pose, the ground truth interpolated at its time
    (``pose.interpolate_poses``: linear + slerp, as bags and clips): (the kept frames'
    indices into ``frame_times``, their readings). The frames outside the ground truth's
    span, or further than ``tolerance`` s from a pose, are dropped and counted in one note
    appended to ``notes``. Times are in units of ``unit`` s (1e-9: nanoseconds) and are
    differenced from the earliest before they become seconds: int64 nanoseconds since 1970
    lose no precision, and float seconds keep the interpolation's."""
    t0 = min(frame_times[0], pose_times[0])
    order = np.arange(len(frame_times))[::every]
    pose_s, frame_s = (pose_times - t0) * unit, (frame_times[order] - t0) * unit
    keep, readings = interpolate_poses(pose_s, poses, frame_s, tolerance)
    if (~keep).any():
        notes.append(f"{name}: dropped {int((~keep).sum())} of {len(keep)} frames of {frames} "
                     f"without a ground-truth pose within {tolerance:g} s (poses "
                     f"{pose_s[0]:.2f}-{pose_s[-1]:.2f} s, frames "
                     f"{frame_s.min():.2f}-{frame_s.max():.2f} s)")
    return order[keep], readings
