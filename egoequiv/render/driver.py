"""A plausible driver: manoeuvres (cruise, left/right turns of various radii, slow-down,
stop and go) turned into speed and yaw-rate commands of a kinematic car, integrated at 10 Hz.

Each step moves the car by the distance driven, ``ds``, along its mid-step heading (the
midpoint rule of the unicycle model), so the straight-line distance between consecutive camera
positions equals the odometer increment and the heading change equals the camera's yaw change
(the tests check both against the rendered poses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DT = 0.1  # seconds per frame (KITTI's 10 fps)


@dataclass(frozen=True)
class DriveStyle:
    """How a scene type is driven (speeds in m/s, radii in m, angles in degrees)."""

    cruise: tuple[float, float]
    turn_radius: tuple[float, float]
    turn_angle: tuple[float, float]
    p_turn: float
    p_stop: float
    p_slow: float = 0.1
    lateral_acc: float = 2.5  # caps the speed in a turn: v <= sqrt(a * R)
    accel: float = 1.8
    decel: float = 3.0


@dataclass
class Trajectory:
    """Per-frame state at t = i * DT: position (m), heading (rad, unwrapped), speed (m/s),
    odometer (m) and the manoeuvre being driven."""

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    odometer: np.ndarray
    manoeuvre: list[str]

    def __len__(self) -> int:
        return len(self.x)


def _next_manoeuvre(style: DriveStyle, v: float, rng: np.random.Generator) -> dict:
    u = rng.random()
    if u < style.p_stop and v > 0.5:
        return {"kind": "stop", "decel": rng.uniform(1.8, style.decel),
                "hold": rng.uniform(0.8, 2.5)}
    if u < style.p_stop + style.p_turn:
        side = 1.0 if rng.random() < 0.5 else -1.0
        radius = rng.uniform(*style.turn_radius)
        return {"kind": "left" if side > 0 else "right", "side": side, "radius": radius,
                "angle": math.radians(rng.uniform(*style.turn_angle)),
                "target": min(rng.uniform(*style.cruise), math.sqrt(style.lateral_acc * radius))}
    if u < style.p_stop + style.p_turn + style.p_slow:
        return {"kind": "slow", "target": style.cruise[0] * rng.uniform(0.3, 0.7),
                "time": rng.uniform(1.5, 3.0)}
    return {"kind": "straight", "target": rng.uniform(*style.cruise),
            "time": rng.uniform(1.5, 4.0)}


def drive(style: DriveStyle, frames: int, rng: np.random.Generator) -> Trajectory:
    """Integrate ``frames`` frames of driving from the origin, with a random start heading."""
    x = y = odo = 0.0
    heading = rng.uniform(0, 2 * math.pi)
    v = 0.0 if rng.random() < 0.15 else rng.uniform(*style.cruise)
    man = _next_manoeuvre(style, v, rng)
    turned = elapsed = held = 0.0
    kinds: list[str] = []
    rows = []
    for _ in range(frames):
        rows.append((x, y, heading, v, odo))
        kinds.append(man["kind"])
        # speed command of the current manoeuvre, limited by the car's acceleration
        if man["kind"] == "stop":
            v_new = max(0.0, v - man["decel"] * DT)
        else:
            dv = man["target"] - v
            v_new = v + float(np.clip(dv, -style.decel * DT, style.accel * DT))
        ds = (v + v_new) / 2 * DT
        dpsi = 0.0
        if man["kind"] in ("left", "right"):
            dpsi = min(ds / man["radius"], man["angle"] - turned) * man["side"]
            turned += abs(dpsi)
        x += ds * math.cos(heading + dpsi / 2)
        y += ds * math.sin(heading + dpsi / 2)
        heading += dpsi
        odo += ds
        v = v_new
        elapsed += DT
        done = False
        if man["kind"] == "stop":
            if v == 0.0:
                held += DT
                done = held >= man["hold"]
        elif man["kind"] in ("left", "right"):
            done = turned >= man["angle"] - 1e-9
        else:
            done = elapsed >= man["time"]
        if done:
            man = _next_manoeuvre(style, v, rng)
            turned = elapsed = held = 0.0
    cols = np.array(rows, dtype=np.float64).reshape(frames, 5)
    return Trajectory(*(cols[:, k].copy() for k in range(5)), kinds)
