"""World-building blocks for the driving scenes: the road's centre line, strips laid along
it (road, markings, pavements, rails), a placer that keeps roadside objects off the road and
apart, and small props (trees, people, parked cars, poles) and the sky."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from egoequiv.render.driver import Trajectory
from egoequiv.render.parts import Part, box, segment, sphere, upright


@dataclass
class Centreline:
    """The driven path extended straight before and after, resampled every ``step`` m."""

    pts: np.ndarray  # (M, 2)
    yaw: np.ndarray  # (M,) tangent direction, rad

    def __len__(self) -> int:
        return len(self.pts)

    def frame(self, i: int, side: float, offset: float) -> tuple[np.ndarray, float]:
        """The point ``offset`` m to the left (side +1) or right (-1) of point i, and yaw."""
        yaw = float(self.yaw[i])
        normal = np.array([-math.sin(yaw), math.cos(yaw)]) * side
        return self.pts[i] + normal * offset, yaw


def centreline(traj: Trajectory, ahead: float = 80.0, behind: float = 30.0,
               step: float = 1.0) -> Centreline:
    pts = np.stack([traj.x, traj.y], axis=1)
    h0, h1 = traj.heading[0], traj.heading[-1]
    pts = np.concatenate([pts[:1] - behind * np.array([[math.cos(h0), math.sin(h0)]]), pts,
                          pts[-1:] + ahead * np.array([[math.cos(h1), math.sin(h1)]])])
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    keep = np.concatenate([[True], seg > 1e-6])  # drop the standing-still repeats
    pts = pts[keep]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    s = np.arange(0.0, arc[-1], step)
    res = np.stack([np.interp(s, arc, pts[:, 0]), np.interp(s, arc, pts[:, 1])], axis=1)
    d = np.gradient(res, axis=0)
    return Centreline(res, np.arctan2(d[:, 1], d[:, 0]))


def strip(line: Centreline, offset: float, half_width: float, z: float, half_height: float,
          rgb, tolerance: float = math.radians(1.0), start: int = 0, stop: int | None = None
          ) -> list[Part]:
    """Boxes laid along the centre line, ``offset`` m to its left (negative: right), merging
    straight runs into one box so long roads cost few bodies."""
    stop = len(line) if stop is None else min(stop, len(line))
    normal = np.stack([-np.sin(line.yaw), np.cos(line.yaw)], axis=1)
    pts = line.pts + normal * offset
    parts, i = [], start
    while i < stop - 1:
        j = i + 1
        while j < stop - 1 and abs(_wrap(line.yaw[j] - line.yaw[i])) < tolerance:
            j += 1
        a, b = pts[i], pts[j]
        length = float(np.linalg.norm(b - a))
        if length > 1e-6:
            mid = (a + b) / 2
            yaw = math.atan2(b[1] - a[1], b[0] - a[0])
            parts.append(box((length / 2 + 0.3, half_width, half_height),
                             (mid[0], mid[1], z), rgb, yaw=yaw))
        i = j
    return parts


def dashes(line: Centreline, offset: float, every: int, length: int, rgb, z: float = 0.035
           ) -> list[Part]:
    """Lane marking dashes (``length`` m long, one per ``every`` m)."""
    out = []
    for i in range(0, len(line) - length, every):
        out += strip(line, offset, 0.08, z, 0.005, rgb, tolerance=math.inf, start=i,
                     stop=i + length + 1)
    return out


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


class Placer:
    """Admits a footprint (a rectangle) only if it keeps off the road and other objects."""

    def __init__(self, line: Centreline, road_half: float, margin: float = 0.5):
        self.pts = line.pts
        self.road_half = road_half + margin
        self.circles = np.zeros((0, 3))

    def place(self, xy, yaw: float, half_len: float, half_depth: float,
              keep_apart: bool = True) -> bool:
        c, s = math.cos(yaw), math.sin(yaw)
        probe = np.array([[sx * half_len, sy * half_depth] for sx in (-1, 0, 1)
                          for sy in (-1, 0, 1)])
        probe = np.asarray(xy) + probe @ np.array([[c, s], [-s, c]])
        d = np.linalg.norm(self.pts[None, :, :] - probe[:, None, :], axis=2)
        if d.min() < self.road_half:
            return False
        r = min(half_len, half_depth)
        if keep_apart and len(self.circles):
            gap = np.linalg.norm(self.circles[:, :2] - np.asarray(xy), axis=1)
            if (gap < self.circles[:, 2] + r).any():
                return False
        self.circles = np.vstack([self.circles, [xy[0], xy[1], r]])
        return True


def tree(xy, rng: np.random.Generator, scale: float = 1.0) -> list[Part]:
    h = rng.uniform(2.0, 3.5) * scale
    crown = rng.uniform(1.3, 2.8) * scale
    green = (rng.uniform(0.15, 0.3), rng.uniform(0.35, 0.55), rng.uniform(0.12, 0.25))
    return [upright(0.2 * scale, h, (xy[0], xy[1], 0.0), (0.35, 0.25, 0.15)),
            sphere(crown, (xy[0], xy[1], h + crown * 0.7), green)]


def person(xy, rng: np.random.Generator) -> list[Part]:
    h = rng.uniform(1.55, 1.9)
    clothes = tuple(float(v) for v in rng.uniform(0.1, 0.9, 3))
    return [upright(0.2, h - 0.45, (xy[0], xy[1], 0.0), clothes, "capsule"),
            sphere(0.12, (xy[0], xy[1], h - 0.12), (0.8, 0.65, 0.55))]


def parked_car(xy, yaw: float, rng: np.random.Generator) -> list[Part]:
    body = tuple(float(v) for v in rng.uniform(0.1, 0.9, 3))
    length = rng.uniform(3.8, 4.8)
    return [box((length / 2, 0.9, 0.4), (xy[0], xy[1], 0.7), body, yaw=yaw),
            box((length * 0.27, 0.8, 0.3), (xy[0], xy[1], 1.4), (0.2, 0.22, 0.25), yaw=yaw)]


def pole(xy, yaw: float, height: float, arm: float, rgb=(0.35, 0.35, 0.35)) -> list[Part]:
    """A lamp or utility pole; ``arm`` m crossbar/lamp arm towards ``yaw``."""
    top = (xy[0], xy[1], height)
    end = (xy[0] + arm * math.cos(yaw), xy[1] + arm * math.sin(yaw), height)
    return [upright(0.12, height, (xy[0], xy[1], 0.0), rgb), segment(top, end, 0.08, rgb,
                                                                     "cylinder")]


def sky(size: int) -> np.ndarray:
    """A vertical gradient, pale at the horizon (the image's middle row) to blue above."""
    rows = np.clip(1.0 - np.arange(size) / (size / 2), 0.0, 1.0)[:, None, None]
    horizon, zenith = np.array([0.86, 0.9, 0.94]), np.array([0.42, 0.62, 0.88])
    return np.broadcast_to(horizon + rows * (zenith - horizon), (size, size, 3)).copy()
