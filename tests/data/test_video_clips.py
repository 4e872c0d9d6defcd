"""``video:DIR``: clips encoded here with PyAV, a pose log at another rate, and the frames'
interpolated poses checked against the known motion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from egoequiv.data.registry import open_source
from egoequiv.errors import DataError

av = pytest.importorskip("av")

FPS, LOG_HZ = 10, 7.0
SPEED, TURN = 1.5, 12.0  # m/s along the world's z, deg/s about the world's y (down)


def true_pose(t):
    """A camera moving at constant speed and turning at a constant rate: linear
    interpolation of positions and slerp of rotations are exact on it."""
    t = np.asarray(t, dtype=np.float64)
    position = np.stack([np.zeros_like(t), np.zeros_like(t), SPEED * t], axis=1)
    rotation = Rotation.from_euler("y", (TURN * t)[:, None], degrees=True)
    return position, rotation


def write_log(path, start, stop, rate=LOG_HZ):
    t = np.arange(start, stop + 1e-9, 1 / rate)
    position, rotation = true_pose(t)
    q = rotation.as_quat()
    lines = ["time,pose_x,pose_y,pose_z,pose_qx,pose_qy,pose_qz,pose_qw"]
    lines += [",".join(repr(float(v)) for v in (t[k], *position[k], *q[k]))
              for k in range(len(t))]
    path.write_text("\n".join(lines) + "\n")


def test_frames_get_the_logs_pose_at_their_container_time(tmp_path, write_clip, read_source):
    write_clip(tmp_path / "walk.mp4", 40, size=(32, 24), step=8)
    write_log(tmp_path / "walk.csv", 0.25, 5.0)  # starts after frame 2 (0.2 s)
    source, table, notes = read_source(f"video:{tmp_path}")
    assert len(table) == 37 and table.sequence_names == ["walk"]
    assert notes == ["video: dropped 3 of 40 frames of walk.mp4 outside its log (log "
                     "0.25-4.96 s, frames 0.00-3.90 s, tolerance 0.1 s)"]
    np.testing.assert_allclose(table.time, np.arange(3, 40) / FPS, atol=1e-9)
    position, rotation = true_pose(table.time)
    np.testing.assert_allclose(table.motor[:, :3], position, atol=1e-9)
    got = Rotation.from_quat(table.motor[:, 3:])
    assert np.abs((got.inv() * rotation).magnitude()).max() < 1e-9
    # per frame a 1.2 deg right turn (about +y = down); the 0.15 m step along the world's z,
    # seen from a camera turned by theta: cos(theta) forward, -sin(theta) to the right
    motion = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    np.testing.assert_allclose(motion[:, 2], -TURN / FPS, atol=1e-9)
    theta = np.radians(TURN * table.time[:-1])
    np.testing.assert_allclose(motion[:, 0], SPEED / FPS * np.cos(theta), atol=1e-9)
    np.testing.assert_allclose(motion[:, 1], -SPEED / FPS * np.sin(theta), atol=1e-9)
    frames = source.load_chunk(table.refs[:5])  # one clip: decoded once
    np.testing.assert_allclose([f.mean() for f in frames], 8 * np.arange(3, 8), atol=4)


def test_motor_columns_angles_interpolate_the_short_way(tmp_path, write_clip, read_source):
    write_clip(tmp_path / "a.mp4", 6)
    (tmp_path / "a.csv").write_text("time,motor_heading_deg,motor_odo\n"
                                    "0.0,350,0\n1.0,10,2\n")
    _, sparse, notes = read_source(f"video:{tmp_path}")  # 1 s between log rows: not bridged
    assert len(sparse) == 2 and "dropped 4 of 6 frames" in notes[0]
    _, table, _ = read_source(f"video:{tmp_path},tolerance=1")
    np.testing.assert_allclose(table.motor[:, 1], 2 * np.arange(6) / FPS)
    heading = (table.motor[:, 0] + 360) % 360
    np.testing.assert_allclose(heading, (350 + 20 * np.arange(6) / FPS) % 360, atol=1e-9)


@pytest.mark.parametrize("log, message", [
    ("time,pose_x\n0,1\n1,2\n", r"walk.csv:1: pose columns need one orientation"),
    ("time,motor_a,colour\n0,1,2\n1,2,3\n", r"walk.csv:1: expected columns time and motor_"),
    ("time,motor_a\n0,1\n0,2\n", r"walk.csv:3: time 0 does not increase"),
    ("time,motor_a\n0,1\n", r"walk.csv: 1 log row\(s\); interpolation needs at least 2"),
    ("time,pose_x,pose_y,pose_z,pose_qx,pose_qy,pose_qz,pose_qw\n0,0,0,0,0,0,0,1\n"
     "1,0,0,0,0,0,0,2\n", r"walk.csv:3: quaternion has norm 2, expected 1"),
])
def test_bad_logs_are_named(tmp_path, log, message, write_clip):
    write_clip(tmp_path / "walk.mp4", 4)
    (tmp_path / "walk.csv").write_text(log)
    with pytest.raises(DataError, match=message):
        open_source(f"video:{tmp_path}").table()


def test_a_clip_without_a_log(tmp_path, write_clip):
    write_clip(tmp_path / "a.mp4", 4)
    write_clip(tmp_path / "b.mp4", 4)
    write_log(tmp_path / "a.csv", 0, 1)
    with pytest.raises(DataError, match=r"b.mp4: no motor log: expected b.csv beside it"):
        open_source(f"video:{tmp_path}").table()


def test_default_training_on_clips_decodes_each_clip_once_in_workers(tmp_path, write_clip):
    """Two clips, more than 64 frames, default workers: the forked pool decodes (the old
    reader kept a clip open across the fork and could hang here)."""
    from egoequiv.config import load_config
    from egoequiv.training.trainer import train

    for name in ("a", "b"):
        write_clip(tmp_path / f"{name}.mp4", 40)
        write_log(tmp_path / f"{name}.csv", 0, 4)
    cfg = load_config(overrides={"iters": 4, "image_size": 16, "log_every": 2,
                                 "monitor_every": 0})
    metrics = train(cfg, f"video:{tmp_path}", tmp_path / "run", quiet=True)
    assert metrics["equivariance_error"] > 0
