"""Primitive parts (boxes, cylinders, capsules, spheres, ellipsoids) and their geometry.

Models and worlds are plain lists of ``Part``; building them needs no pybullet client, so
model code is testable and picklable, and one worker renders many of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

SHAPES = ("box", "cylinder", "capsule", "sphere", "ellipsoid")


@dataclass(frozen=True)
class Part:
    """One primitive.

    size: box -> half extents (x, y, z); cylinder/capsule -> (radius, length) along local z;
    sphere -> (radius,); ellipsoid -> semi-axes (x, y, z). quat is (x, y, z, w) as pybullet.
    """

    shape: str
    size: tuple[float, ...]
    pos: tuple[float, float, float]
    quat: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    rgb: tuple[float, float, float] = (0.7, 0.7, 0.7)

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ValueError(f"unknown part shape {self.shape!r}")


def _f(v) -> tuple[float, ...]:
    return tuple(float(x) for x in v)


def quat_euler(roll: float = 0.0, pitch: float = 0.0, yaw: float = 0.0) -> tuple:
    """Quaternion of R = Rz(yaw) Ry(pitch) Rx(roll) (pybullet's getQuaternionFromEuler)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy)


def quat_matrix(q) -> np.ndarray:
    x, y, z, w = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def quat_z_to(d) -> tuple:
    """Quaternion turning the local z axis onto direction d (for limbs, poles, wheels)."""
    d = np.asarray(d, dtype=np.float64)
    d = d / np.linalg.norm(d)
    axis = np.cross([0.0, 0.0, 1.0], d)
    s = np.linalg.norm(axis)
    if s < 1e-9:
        return (0.0, 0.0, 0.0, 1.0) if d[2] > 0 else (1.0, 0.0, 0.0, 0.0)
    angle = math.atan2(s, d[2])
    axis = axis / s * math.sin(angle / 2)
    return (*_f(axis), math.cos(angle / 2))


def box(half, pos, rgb, yaw=0.0, roll=0.0, pitch=0.0) -> Part:
    return Part("box", _f(half), _f(pos), quat_euler(roll, pitch, yaw), _f(rgb))


def sphere(r, pos, rgb) -> Part:
    return Part("sphere", (float(r),), _f(pos), rgb=_f(rgb))


def ellipsoid(axes, pos, rgb, yaw=0.0, pitch=0.0) -> Part:
    return Part("ellipsoid", _f(axes), _f(pos), quat_euler(0.0, pitch, yaw), _f(rgb))


def segment(a, b, radius, rgb, shape: str = "capsule") -> Part:
    """A capsule or cylinder from point a to point b (a capsule's caps stick out by radius)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    length = float(np.linalg.norm(b - a))
    return Part(shape, (float(radius), max(length, 1e-3)), _f((a + b) / 2), quat_z_to(b - a),
                _f(rgb))


def upright(radius, height, base, rgb, shape: str = "cylinder") -> Part:
    """A vertical cylinder/capsule standing on ``base`` (x, y, z)."""
    x, y, z = base
    return Part(shape, (float(radius), float(height)), (float(x), float(y), z + height / 2),
                rgb=_f(rgb))


def local_half_extents(part: Part) -> np.ndarray:
    s = part.size
    if part.shape == "box" or part.shape == "ellipsoid":
        return np.array(s)
    if part.shape == "sphere":
        return np.array([s[0]] * 3)
    r, length = s
    return np.array([r, r, length / 2 + (r if part.shape == "capsule" else 0.0)])


def corners(part: Part) -> np.ndarray:
    """The 8 corners of the part's oriented bounding box, world frame (8, 3)."""
    h = local_half_extents(part)
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    return (signs * h) @ quat_matrix(part.quat).T + np.asarray(part.pos)


def bounds(parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    pts = np.concatenate([corners(p) for p in parts])
    return pts.min(axis=0), pts.max(axis=0)


def normalise(parts: list[Part], radius: float = 1.0) -> list[Part]:
    """Centre the model's bounding box on the origin and scale it into a sphere of ``radius``
    (as NORB's objects are centred on the turntable and fill the frame alike)."""
    lo, hi = bounds(parts)
    centre = (lo + hi) / 2
    pts = np.concatenate([corners(p) for p in parts]) - centre
    scale = radius / float(np.linalg.norm(pts, axis=1).max())
    out = []
    for p in parts:
        out.append(replace(p, size=_f(np.asarray(p.size) * scale),
                           pos=_f((np.asarray(p.pos) - centre) * scale)))
    return out


def shade(rgb, factor: float) -> tuple[float, float, float]:
    return _f(np.clip(np.asarray(rgb) * factor, 0.0, 1.0))
