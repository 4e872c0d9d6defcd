"""Render the ``rendered-drive`` set into a frames-csv folder.

Each sequence: a scene type (the label), a driver's trajectory (``driver.drive``), a world
built around it (``scenes.build_world``) and a forward-looking camera 1.65 m above the road
(KITTI's camera height) at every 10 Hz pose. Motor reading: heading (deg, cyclic) and
odometer (m), taken from the same poses the camera was placed at.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from egoequiv.data.motor import HEADING_ODOMETER
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.render.bullet import Camera, Light, process_renderer
from egoequiv.render.driver import DT, Trajectory, drive
from egoequiv.render.pool import run_jobs
from egoequiv.render.scenes import SCENES, STYLES, build_world
from egoequiv.render.source import check_options
from egoequiv.render.store import save_set
from egoequiv.render.world import sky

MOTOR = HEADING_ODOMETER
CAMERA_HEIGHT = 1.65
PITCH = math.radians(1.5)  # a little down, as a dashboard camera
FOV, ASPECT = 40.0, 2.0  # a wide view squashed into a square image, as resized KITTI frames


@dataclass(frozen=True)
class DriveOptions:
    """Sizes of the set; defaults: 4 scene types x 8 sequences x 100 frames (10 s)."""

    scenes: int = 4
    sequences: int = 8
    frames: int = 100
    size: int = 64
    seed: int = 0
    supersample: int = 2

    def __post_init__(self):
        checks = [
            (1 <= self.scenes <= len(SCENES), f"scenes: 1..{len(SCENES)}"),
            (1 <= self.sequences <= 1000, "sequences: 1..1000"),
            (2 <= self.frames <= 100000, "frames: 2..100000"),
            (8 <= self.size <= 512, "size: 8..512"),
            (1 <= self.supersample <= 4, "supersample: 1..4"),
        ]
        check_options("rendered-drive", checks)

    @property
    def scene_names(self) -> list[str]:
        return list(SCENES)[: self.scenes]

    @property
    def num_images(self) -> int:
        return self.scenes * self.sequences * self.frames


def drive_camera(x: float, y: float, heading: float) -> Camera:
    """The car camera at ground position (x, y) looking along ``heading`` (rad)."""
    eye = (x, y, CAMERA_HEIGHT)
    target = (x + math.cos(heading), y + math.sin(heading), CAMERA_HEIGHT - math.tan(PITCH))
    return Camera(eye, target, fov=FOV, aspect=ASPECT, near=0.5, far=400.0)


def sequence_trajectory(scene_index: int, sequence: int, opts: DriveOptions) -> Trajectory:
    """The driver's trajectory of one sequence (cheap: no world, no rendering)."""
    rng = np.random.default_rng([int(opts.seed), scene_index, int(sequence), 0])
    return drive(STYLES[SCENES[scene_index]], opts.frames, rng)


def sequence_plan(scene_index: int, sequence: int, opts: DriveOptions
                  ) -> tuple[Trajectory, list, Light]:
    """The trajectory, world and sun of one sequence; a function of (seed, scene, sequence)
    alone, so adding sequences or frames never changes the others' worlds."""
    scene = SCENES[scene_index]
    traj = sequence_trajectory(scene_index, sequence, opts)
    rng = np.random.default_rng([int(opts.seed), scene_index, int(sequence), 1])
    world = build_world(scene, traj, rng)
    a, e = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(30, 70))
    sun = Light((math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)),
                ambient=0.5, diffuse=0.55)
    return traj, world, sun


def _render_sequence(job: tuple) -> tuple[list, np.ndarray]:
    opts, out, scene_index, k = job
    scene = SCENES[scene_index]
    traj, world, sun = sequence_plan(scene_index, k, opts)
    renderer = process_renderer()
    renderer.clear()
    renderer.add(world)
    background = sky(opts.size * opts.supersample)
    seq = f"{scene}{k:02d}"
    rows, views = [], []
    for t in range(len(traj)):
        cam = drive_camera(traj.x[t], traj.y[t], traj.heading[t])
        img, view = renderer.render(cam, opts.size, sun, background, opts.supersample)
        rel = f"{scene}/{seq}_{t:05d}.png"
        Image.fromarray(img).save(Path(out) / rel, compress_level=3)
        rows.append((rel, seq, t * DT, math.degrees(traj.heading[t]) % 360.0,
                     traj.odometer[t], scene_index, k, traj.speed[t], traj.manoeuvre[t]))
        views.append(view)
    return rows, np.array(views)


def render_drive(out: Path, opts: DriveOptions) -> None:
    """Render the whole set into folder ``out`` (frames.csv, frames.json, PNGs, poses)."""
    start = time.time()
    out = Path(out)
    names = opts.scene_names
    for name in names:
        (out / name).mkdir(parents=True, exist_ok=True)
    jobs = [(opts, str(out), s, k) for s in range(len(names)) for k in range(opts.sequences)]
    results = run_jobs(_render_sequence, jobs, [opts.frames] * len(jobs), "render drive")
    rows = [r for res, _ in results for r in res]
    views = np.concatenate([v for _, v in results])
    # sequences, not frames, are split: the first half of each scene type's trains
    n_train = (opts.sequences + 1) // 2 if opts.sequences > 1 else 1
    seq_names = list(dict.fromkeys(r[1] for r in rows))
    seq_index = {s: i for i, s in enumerate(seq_names)}
    table = FrameTable(
        refs=[r[0] for r in rows],
        motor=np.array([(r[3], r[4]) for r in rows]),
        motor_spec=MOTOR,
        sequence=np.array([seq_index[r[1]] for r in rows]),
        sequence_names=seq_names,
        time=np.array([r[2] for r in rows]),
        neighbours=NeighbourRule("video", window=1.0),
        labels=np.array([r[5] for r in rows]),
        class_names=names,
        split=np.array(["train" if r[6] < n_train else "test" for r in rows]),
        meta={"speed": np.array([r[7] for r in rows]),
              "manoeuvre": np.array([r[8] for r in rows])},
    )
    save_set(out, table, views, {"set": "rendered-drive", "options": asdict(opts),
                                 "seconds": round(time.time() - start, 1),
                                 "camera_height": CAMERA_HEIGHT, "fov": FOV, "aspect": ASPECT})
