"""Render the NORB-style ``rendered-objects`` set into a frames-csv folder.

Each instance is seen from a viewpoint grid (elevation x azimuth, camera on a sphere around
the object's centre, looking at it) under a few lightings. As on NORB's turntable the lights
turn with the camera in azimuth (they stand still relative to the camera, the object turns).
Motor reading: (elevation, azimuth) in degrees, exactly the pose of the camera used.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from egoequiv.data.motor import ELEVATION_AZIMUTH
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.render.bullet import Camera, Light, process_renderer, to_grey
from egoequiv.render.objects import CATEGORIES, build_instance
from egoequiv.render.pool import run_jobs
from egoequiv.render.source import check_options
from egoequiv.render.store import save_set

MOTOR = ELEVATION_AZIMUTH
DISTANCE, FOV = 3.5, 30.0  # the unit-sphere model fills most of the frame
BACKGROUND = (0.55, 0.55, 0.55)
#: (azimuth off the camera, elevation, ambient, diffuse) of each lighting, degrees
LIGHTINGS = [(45, 55, 0.45, 0.6), (-60, 35, 0.4, 0.7), (150, 65, 0.5, 0.5),
             (-150, 25, 0.35, 0.75), (90, 80, 0.55, 0.45), (0, 15, 0.4, 0.65)]


@dataclass(frozen=True)
class ObjectOptions:
    """Sizes of the set; defaults: 5 categories x 10 instances x 9 x 18 views x 3 lightings."""

    categories: int = 5
    instances: int = 10
    elevations: int = 9
    elevation_step: float = 5.0
    azimuths: int = 18
    lightings: int = 3
    size: int = 96
    seed: int = 0
    supersample: int = 1
    grey: bool = True

    def __post_init__(self):
        checks = [
            (1 <= self.categories <= len(CATEGORIES), f"categories: 1..{len(CATEGORIES)}"),
            (1 <= self.instances <= 1000, "instances: 1..1000"),
            (self.elevations >= 1 and self.elevation_step > 0
             and 30 + self.elevation_step * (self.elevations - 1) < 90,
             "elevations x elevation_step must stay below 90 degrees (grid starts at 30)"),
            (1 <= self.azimuths <= 360, "azimuths: 1..360"),
            (1 <= self.lightings <= len(LIGHTINGS), f"lightings: 1..{len(LIGHTINGS)}"),
            (8 <= self.size <= 512, "size: 8..512"),
            (1 <= self.supersample <= 4, "supersample: 1..4"),
        ]
        check_options("rendered-objects", checks)

    @property
    def elevation_values(self) -> list[float]:
        return [30.0 + self.elevation_step * k for k in range(self.elevations)]

    @property
    def azimuth_step(self) -> float:
        return 360.0 / self.azimuths

    @property
    def azimuth_values(self) -> list[float]:
        return [self.azimuth_step * k for k in range(self.azimuths)]

    @property
    def category_names(self) -> list[str]:
        return list(CATEGORIES)[: self.categories]

    @property
    def num_images(self) -> int:
        return (self.categories * self.instances * self.elevations * self.azimuths
                * self.lightings)


def object_camera(elevation: float, azimuth: float) -> Camera:
    """The camera at (elevation, azimuth) degrees on a sphere around the object's centre."""
    e, a = math.radians(elevation), math.radians(azimuth)
    eye = (DISTANCE * math.cos(e) * math.cos(a), DISTANCE * math.cos(e) * math.sin(a),
           DISTANCE * math.sin(e))
    return Camera(eye, (0.0, 0.0, 0.0), fov=FOV, near=0.5, far=10.0)


def object_light(lighting: int, azimuth: float) -> Light:
    az, el, ambient, diffuse = LIGHTINGS[lighting]
    a, e = math.radians(az + azimuth), math.radians(el)
    return Light((math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)),
                 ambient=ambient, diffuse=diffuse)


def render_view(parts, elevation: float, azimuth: float, lighting: int, size: int,
                supersample: int = 1, grey: bool = True):
    """Render one view of a model; returns (uint8 image (H, W) or (H, W, 3), view matrix)."""
    renderer = process_renderer()
    renderer.clear()
    renderer.add(parts)
    return _shot(renderer, elevation, azimuth, lighting, size, supersample, grey)


def _shot(renderer, elevation, azimuth, lighting, size, supersample, grey):
    img, view = renderer.render(object_camera(elevation, azimuth), size,
                                object_light(lighting, azimuth), BACKGROUND, supersample)
    return (to_grey(img) if grey else img), view


def _render_instance(job: tuple) -> tuple[list, np.ndarray]:
    """All views x lightings of one instance, written as PNGs; returns rows and views."""
    opts, out, label, category, instance = job
    renderer = process_renderer()
    renderer.clear()
    renderer.add(build_instance(category, opts.seed, instance))
    rows, views = [], []
    for lighting in range(opts.lightings):
        seq = f"{category}{instance:02d}-L{lighting}"
        t = 0
        for elevation in opts.elevation_values:
            for azimuth in opts.azimuth_values:
                img, view = _shot(renderer, elevation, azimuth, lighting, opts.size,
                                  opts.supersample, opts.grey)
                rel = f"{category}/{seq}_e{elevation:04.1f}_a{azimuth:05.1f}.png"
                Image.fromarray(img).save(Path(out) / rel, compress_level=3)
                rows.append((rel, seq, t, elevation, azimuth, label, instance, lighting))
                views.append(view)
                t += 1
    return rows, np.array(views)


def render_objects(out: Path, opts: ObjectOptions) -> None:
    """Render the whole set into folder ``out`` (frames.csv, frames.json, PNGs, poses)."""
    start = time.time()
    out = Path(out)
    names = opts.category_names
    for name in names:
        (out / name).mkdir(parents=True, exist_ok=True)
    jobs = [(opts, str(out), label, name, k) for label, name in enumerate(names)
            for k in range(opts.instances)]
    per_job = opts.elevations * opts.azimuths * opts.lightings
    results = run_jobs(_render_instance, jobs, [per_job] * len(jobs), "render objects")
    rows = [r for res, _ in results for r in res]
    views = np.concatenate([v for _, v in results])
    n_train = (opts.instances + 1) // 2  # NORB splits by instance: half train, half test
    seq_names = list(dict.fromkeys(r[1] for r in rows))
    seq_index = {s: i for i, s in enumerate(seq_names)}
    table = FrameTable(
        refs=[r[0] for r in rows],
        motor=np.array([(r[3], r[4]) for r in rows]),
        motor_spec=MOTOR,
        sequence=np.array([seq_index[r[1]] for r in rows]),
        sequence_names=seq_names,
        time=np.array([r[2] for r in rows], dtype=np.float64),
        neighbours=NeighbourRule("views", steps=(opts.elevation_step, opts.azimuth_step)),
        labels=np.array([r[5] for r in rows]),
        class_names=names,
        split=np.array(["train" if r[6] < n_train else "test" for r in rows]),
        meta={"instance": np.array([r[5] * opts.instances + r[6] for r in rows]),
              "lighting": np.array([r[7] for r in rows])},
    )
    save_set(out, table, views, {"set": "rendered-objects", "options": asdict(opts),
                                 "seconds": round(time.time() - start, 1),
                                 "camera_distance": DISTANCE, "fov": FOV})
