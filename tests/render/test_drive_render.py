"""Rendered drives: the camera poses used are the motor readings; stops; determinism."""

from __future__ import annotations

import numpy as np
import pytest

from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.render.bullet import camera_forward, camera_position
from egoequiv.render.drive_set import (
    CAMERA_HEIGHT,
    DriveOptions,
    render_drive,
    sequence_plan,
    sequence_trajectory,
)


def _stopping_seed() -> int:
    """A seed whose first city drive comes to rest within 40 frames (found by the driver
    alone, which is cheap), so the render below surely contains a stop."""
    for seed in range(200):
        traj = sequence_trajectory(0, 0, DriveOptions(scenes=1, sequences=1, frames=40,
                                                      seed=seed))
        if (traj.speed[5:-3] == 0).sum() >= 3:
            return seed
    pytest.fail("no seed with a stop")


@pytest.fixture(scope="module")
def drive_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("drive")
    render_drive(out, DriveOptions(scenes=1, sequences=1, frames=40, size=16, supersample=1,
                                   seed=_stopping_seed()))
    return out


def test_camera_moves_by_the_odometer_and_turns_by_the_heading(drive_dir):
    table = FramesCsvSource(str(drive_dir)).table()
    views = np.load(drive_dir / "poses.npy")
    eyes = np.array([camera_position(v) for v in views])
    fwd = np.array([camera_forward(v) for v in views])
    assert np.allclose(eyes[:, 2], CAMERA_HEIGHT, atol=1e-4)
    step = np.linalg.norm(np.diff(eyes[:, :2], axis=0), axis=1)
    assert np.allclose(step, np.diff(table.motor[:, 1]), atol=2e-3)
    yaw = np.degrees(np.arctan2(fwd[:, 1], fwd[:, 0]))
    assert np.abs((yaw - table.motor[:, 0] + 180) % 360 - 180).max() < 1e-3
    dyaw = (np.diff(yaw) + 180) % 360 - 180
    dhead = table.motor_spec.difference(table.motor[:-1], table.motor[1:])[:, 0]
    assert np.allclose(dyaw, dhead, atol=1e-3)
    assert np.allclose(np.diff(table.time), 0.1)


def test_a_stop_has_no_odometer_increase_and_a_still_image(drive_dir):
    source = FramesCsvSource(str(drive_dir))
    table = source.table()
    speed = table.meta["speed"]
    still = np.flatnonzero((speed[:-1] == 0) & (speed[1:] == 0))
    assert len(still) >= 2
    odo = table.motor[:, 1]
    assert (odo[still + 1] == odo[still]).all()
    moving = np.flatnonzero(speed[:-1] > 1.0)
    assert (np.diff(odo)[moving] > 0.05).all()
    for i in still[:2]:
        a, b = source.load_image(table.refs[i]), source.load_image(table.refs[i + 1])
        assert np.array_equal(a, b)
    i = moving[0]
    assert not np.array_equal(source.load_image(table.refs[i]),
                              source.load_image(table.refs[i + 1]))


def test_same_seed_same_images_other_seed_other(tmp_path):
    def images(folder, seed):
        render_drive(folder, DriveOptions(scenes=2, sequences=1, frames=4, size=16,
                                          supersample=1, seed=seed))
        src = FramesCsvSource(str(folder))
        return np.stack([src.load_image(r) for r in src.table().refs])

    a = images(tmp_path / "a", 5)
    b = images(tmp_path / "b", 5)
    c = images(tmp_path / "c", 6)
    assert a.shape == (8, 16, 16, 3)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 2.0


def test_scene_types_look_different():
    """The mean colour of a frame's lower half (ground) and upper half tells scenes apart."""
    from egoequiv.render.bullet import process_renderer
    from egoequiv.render.drive_set import drive_camera
    from egoequiv.render.scenes import SCENES
    from egoequiv.render.world import sky

    opts = DriveOptions(frames=5)
    means = []
    for s in range(len(SCENES)):
        traj, world, sun = sequence_plan(s, 0, opts)
        r = process_renderer()
        r.clear()
        r.add(world)
        img, _ = r.render(drive_camera(traj.x[2], traj.y[2], traj.heading[2]), 32, sun, sky(32))
        means.append(img.reshape(2, -1, 3).mean(axis=1).ravel())
    means = np.array(means)
    for i in range(len(SCENES)):
        for j in range(i):
            assert np.abs(means[i] - means[j]).max() > 8.0


def test_the_camera_never_drives_through_an_object():
    from egoequiv.render.parts import corners

    opts = DriveOptions(frames=100)
    for s in range(4):
        for k in range(2):
            traj, world, _ = sequence_plan(s, k, opts)
            cam = np.stack([traj.x, traj.y, np.full(len(traj), CAMERA_HEIGHT)], axis=1)
            solid = [p for p in world if not (p.shape == "box" and p.size[2] < 0.1)]
            assert len(solid) > 10
            for part in solid:
                c = corners(part)
                lo, hi = c.min(axis=0) - 0.3, c.max(axis=0) + 0.3
                if part.shape == "ellipsoid":  # hills: a bounding box test is too coarse
                    centre, axes = np.asarray(part.pos), np.asarray(part.size)
                    assert (np.linalg.norm((cam - centre) / axes, axis=1) > 1).all()
                    continue
                assert not ((cam > lo) & (cam < hi)).all(axis=1).any(), part
