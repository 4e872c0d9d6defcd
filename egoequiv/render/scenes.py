"""The driving scene types (the labels of ``rendered-drive``), in the spirit of KITTI's
City / Residential / Road / Campus: how each is driven and what lines its roads."""

from __future__ import annotations

import math

import numpy as np

from egoequiv.render.driver import DriveStyle, Trajectory
from egoequiv.render.parts import Part, box, ellipsoid, shade
from egoequiv.render.world import (
    Centreline,
    Placer,
    centreline,
    dashes,
    parked_car,
    person,
    pole,
    strip,
    tree,
)

STYLES = {
    "city": DriveStyle(cruise=(6, 12), turn_radius=(8, 15), turn_angle=(60, 95), p_turn=0.3,
                       p_stop=0.3),
    "residential": DriveStyle(cruise=(5, 9), turn_radius=(8, 20), turn_angle=(45, 95),
                              p_turn=0.35, p_stop=0.2),
    "road": DriveStyle(cruise=(14, 22), turn_radius=(60, 150), turn_angle=(10, 40),
                       p_turn=0.45, p_stop=0.05, p_slow=0.15),
    "campus": DriveStyle(cruise=(3, 7), turn_radius=(6, 14), turn_angle=(45, 95), p_turn=0.35,
                         p_stop=0.25),
}
SCENES = tuple(STYLES)
ROAD_HALF = {"city": 7.0, "residential": 3.5, "road": 3.75, "campus": 3.25}
GROUND = {"city": (0.46, 0.46, 0.47), "residential": (0.33, 0.52, 0.27),
          "road": (0.62, 0.58, 0.36), "campus": (0.38, 0.64, 0.32)}
ASPHALT, PAVEMENT, WHITE = (0.24, 0.24, 0.25), (0.64, 0.62, 0.58), (0.9, 0.9, 0.88)


def _walk(line: Centreline, rng, gap):
    """Arc positions along each side: yields (index, side) every ``gap()`` metres."""
    for side in (-1.0, 1.0):
        s = float(rng.uniform(0, gap()))
        while s < len(line) - 1:
            yield int(s), side
            s += gap()


def _building(line, i, side, offset, w, d, h, rgb, bands, placer, rng) -> list[Part]:
    """A block ``offset`` m from the centre line with dark window bands every few floors."""
    centre, yaw = line.frame(i, side, offset + d / 2)
    if not placer.place(centre, yaw, w / 2, d / 2):
        return []
    parts = [box((w / 2, d / 2, h / 2), (*centre, h / 2), rgb, yaw=yaw)]
    glass = shade(rgb, rng.uniform(0.35, 0.55))
    floors = np.arange(3.0, h - 1.5, 3.5)
    for z in floors[:: max(1, int(math.ceil(len(floors) / bands)))]:
        parts.append(box((w / 2 + 0.1, d / 2 + 0.1, 0.6), (*centre, z), glass, yaw=yaw))
    return parts


def _city(line, placer, rng) -> list[Part]:
    parts = strip(line, 0, ROAD_HALF["city"] + 3.0, 0.01, 0.01, PAVEMENT)
    parts += dashes(line, 0.0, 8, 3, WHITE)
    for i, side in _walk(line, rng, lambda: rng.uniform(9, 18)):
        grey = rng.uniform(0.35, 0.8)
        rgb = shade((grey, grey * rng.uniform(0.9, 1.05), grey * rng.uniform(0.85, 1.1)), 1.0)
        h = float(np.exp(rng.uniform(math.log(12), math.log(45))))
        parts += _building(line, i, side, ROAD_HALF["city"] + 3.0 + rng.uniform(0, 1),
                           rng.uniform(8, 17),
                           rng.uniform(10, 20), h, rgb, 8, placer, rng)
    for i, side in _walk(line, rng, lambda: rng.uniform(20, 30)):
        xy, yaw = line.frame(i, side, ROAD_HALF["city"] + 0.8)
        if placer.place(xy, yaw, 0.2, 0.2, keep_apart=False):
            parts += pole(xy, yaw - side * math.pi / 2, 7.0, 1.5)
    for i, side in _walk(line, rng, lambda: rng.uniform(6, 14)):
        xy, yaw = line.frame(i, side, ROAD_HALF["city"] - 1.2)
        if rng.random() < 0.6 and _clear_of_path(line, xy, 3.2):
            parts += parked_car(xy, yaw, rng)
    return parts


def _residential(line, placer, rng) -> list[Part]:
    parts = strip(line, 0, ROAD_HALF["residential"] + 1.5, 0.01, 0.01, PAVEMENT)
    for i, side in _walk(line, rng, lambda: rng.uniform(12, 22)):
        w, d, h = rng.uniform(7, 12), rng.uniform(7, 10), rng.uniform(2.8, 5.5)
        wall = tuple(float(v) for v in rng.uniform(0.6, 0.95, 3))
        setback = rng.uniform(5, 10)
        centre, yaw = line.frame(i, side, ROAD_HALF["residential"] + setback + d / 2)
        if not placer.place(centre, yaw, w / 2 + 1, d / 2 + 1):
            continue
        parts.append(box((w / 2, d / 2, h / 2), (*centre, h / 2), wall, yaw=yaw))
        roof = tuple(float(v) for v in rng.choice([(0.5, 0.2, 0.15), (0.3, 0.25, 0.22),
                                                   (0.25, 0.27, 0.3)]))
        q = (d / 2 + 0.4) / math.sqrt(2)
        parts.append(box((w / 2 + 0.4, q, q), (*centre, h), roof, yaw=yaw, roll=math.pi / 4))
        door, _ = line.frame(i, side, ROAD_HALF["residential"] + setback - 0.05)
        parts.append(box((0.5, 0.1, 1.0), (*door, 1.0), (0.3, 0.2, 0.15), yaw=yaw))
        if rng.random() < 0.4:
            hedge, _ = line.frame(i, side, ROAD_HALF["residential"] + 2.5)
            parts.append(box((w / 2, 0.4, 0.5), (*hedge, 0.5), (0.2, 0.4, 0.18), yaw=yaw))
        if rng.random() < 0.3:
            drive_xy, _ = line.frame(min(i + int(w / 2) + 2, len(line) - 1), side,
                                     ROAD_HALF["residential"] + 3.5)
            if placer.place(drive_xy, yaw + math.pi / 2, 2.2, 1.0):
                parts += parked_car(drive_xy, yaw + math.pi / 2, rng)
    for i, side in _walk(line, rng, lambda: rng.uniform(5, 12)):
        xy, _ = line.frame(i, side, ROAD_HALF["residential"] + rng.uniform(2.5, 16))
        if placer.place(xy, 0.0, 1.2, 1.2):
            parts += tree(xy, rng)
    return parts


def _road(line, placer, rng) -> list[Part]:
    half = ROAD_HALF["road"]
    parts = strip(line, 0, half + 0.25, 0.015, 0.01, WHITE)  # edge lines under the asphalt
    parts += dashes(line, 0.0, 10, 4, WHITE)
    crops = [(0.75, 0.68, 0.35), (0.45, 0.6, 0.25), (0.45, 0.35, 0.22), (0.6, 0.7, 0.3)]
    for i, side in _walk(line, rng, lambda: rng.uniform(30, 70)):
        xy, yaw = line.frame(i, side, half + 4 + 25)
        rgb = crops[int(rng.integers(len(crops)))]
        parts.append(box((rng.uniform(15, 35), 24, 0.005), (*xy, 0.005), rgb, yaw=yaw))
    side = 1.0 if rng.random() < 0.5 else -1.0
    for i in range(int(rng.integers(0, 20)), len(line) - 1, int(rng.integers(35, 50))):
        xy, yaw = line.frame(i, side, half + 4)
        if placer.place(xy, yaw, 0.2, 0.2, keep_apart=False):
            parts += pole(xy, yaw + math.pi / 2, 9.5, 1.2, (0.4, 0.3, 0.2))
    for i, side in _walk(line, rng, lambda: rng.uniform(15, 45)):
        xy, _ = line.frame(i, side, half + rng.uniform(8, 45))
        if rng.random() < 0.5 and placer.place(xy, 0.0, 1.5, 1.5):
            parts += tree(xy, rng, scale=rng.uniform(1.0, 1.6))
    if rng.random() < 0.5:  # a guard rail along one side
        parts += strip(line, -side * (half + 1.0), 0.05, 0.6, 0.15, (0.7, 0.72, 0.74))
    centre = line.pts.mean(axis=0)
    for _ in range(int(rng.integers(4, 9))):  # distant hills on the horizon
        a, r = rng.uniform(0, 2 * math.pi), rng.uniform(170, 280)
        xy = centre + r * np.array([math.cos(a), math.sin(a)])
        axes = (rng.uniform(60, 120), rng.uniform(60, 120), rng.uniform(15, 40))
        if _clear_of_path(line, xy, max(axes) + 30):
            parts.append(ellipsoid(axes, (*xy, 0.0), (0.42, 0.52, 0.45),
                                   yaw=rng.uniform(0, math.pi)))
    return parts


def _campus(line, placer, rng) -> list[Part]:
    half = ROAD_HALF["campus"]
    parts = strip(line, 0, half + 2.5, 0.01, 0.01, PAVEMENT)
    for i, side in _walk(line, rng, lambda: rng.uniform(35, 60)):
        rgb = [(0.65, 0.35, 0.28), (0.82, 0.76, 0.6), (0.86, 0.86, 0.84)][int(rng.integers(3))]
        d, setback = rng.uniform(15, 25), rng.uniform(15, 35)
        bld = _building(line, i, side, half + setback, rng.uniform(20, 40), d,
                        rng.uniform(8, 16), rgb, 4, placer, rng)
        if bld:  # a footpath from the pavement to the entrance
            a, yaw = line.frame(i, side, half + 2.5 + setback / 2)
            parts.append(box((0.9, setback / 2, 0.006), (*a, 0.006), PAVEMENT, yaw=yaw))
        parts += bld
    for side in (-1.0, 1.0):  # rows of trees
        spacing = int(rng.integers(8, 13))
        for i in range(int(rng.integers(0, spacing)), len(line) - 1, spacing):
            xy, _ = line.frame(i, side, half + 4.5)
            if rng.random() < 0.8 and placer.place(xy, 0.0, 0.8, 0.8):
                parts += tree(xy, rng, scale=0.9)
    for i, side in _walk(line, rng, lambda: rng.uniform(3, 10)):
        xy, _ = line.frame(i, side, half + rng.uniform(0.6, 2.3) + rng.choice([0, 0, 6]))
        if placer.place(xy, 0.0, 0.3, 0.3):
            parts += person(xy, rng)
    for i, side in _walk(line, rng, lambda: rng.uniform(14, 20)):
        xy, yaw = line.frame(i, side, half + 3.0)
        if placer.place(xy, yaw, 0.2, 0.2, keep_apart=False):
            parts += pole(xy, yaw, 4.0, 0.3)
    return parts


def _clear_of_path(line: Centreline, xy, distance: float) -> bool:
    return bool(np.linalg.norm(line.pts - np.asarray(xy), axis=1).min() >= distance)


BUILDERS = {"city": _city, "residential": _residential, "road": _road, "campus": _campus}


def build_world(scene: str, traj: Trajectory, rng: np.random.Generator) -> list[Part]:
    """Ground, road and scene content around the driven path ``traj``."""
    line = centreline(traj)
    half = ROAD_HALF[scene]
    centre = line.pts.mean(axis=0)
    parts = [box((500, 500, 0.05), (*centre, -0.05), GROUND[scene])]
    for _ in range(60):  # ground patches: texture for the eye (and the motion) to latch on
        xy = centre + rng.uniform(-150, 150, 2)
        parts.append(box((*rng.uniform(2, 12, 2), 0.003), (*xy, 0.003),
                         shade(GROUND[scene], rng.uniform(0.8, 1.15)), yaw=rng.uniform(0, 3.1)))
    parts += strip(line, 0, half, 0.025, 0.01, ASPHALT)
    return parts + BUILDERS[scene](line, Placer(line, half), rng)
