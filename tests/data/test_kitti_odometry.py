"""KITTI odometry: the two real excerpts, the official layout, and bad pose files."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.kitti_odometry import KittiOdometrySource, relative_motion
from egoequiv.data.registry import open_source
from egoequiv.errors import ConfigError, DataError


def table_of(path, **opts):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the real excerpts are complete: no warning
        source = KittiOdometrySource(str(path), **opts)
        return source, source.table()


def steps(table):
    d = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    return d[:, 0], d[:, 1]


def pose_steps(table):
    d = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    return {n: d[:, k] for k, n in enumerate(table.motor_spec.names)}


def test_sequence_2_relative_motion_in_the_camera_frame(shared_data):
    """The default motor: per frame about 1 m forward and a 0.3-2.7 deg right turn."""
    source, table = table_of(shared_data / "kitti_odometry" / "KITTI_sequence_2")
    assert table.motor_spec.names == ("forward", "lateral", "yaw")
    assert table.motor.shape == (51, 7)
    m = pose_steps(table)
    assert 0.9 < m["forward"].min() and m["forward"].max() < 1.3
    assert np.abs(m["lateral"]).max() < 0.1
    assert 0.29 <= np.abs(m["yaw"]).min() and np.abs(m["yaw"]).max() <= 2.75
    assert np.all(m["yaw"] < 0)  # a right turn: yaw is left-turn positive
    ref = np.array([source.relative_motion(i, i + 1) for i in range(50)])
    np.testing.assert_allclose(m["yaw"], ref[:, 0], atol=1e-4)
    np.testing.assert_allclose(m["forward"], ref[:, 1], atol=1e-6)
    np.testing.assert_allclose(m["lateral"], ref[:, 2], atol=1e-6)
    six = table_of(shared_data / "kitti_odometry" / "KITTI_sequence_2", dofs="6dof")[1]
    d6 = pose_steps(six)
    np.testing.assert_allclose(d6["forward"], m["forward"])
    assert np.abs(d6["pitch"]).max() < 0.5 and np.abs(d6["vertical"]).max() < 0.05


def test_pose_motion_does_not_depend_on_where_the_car_faces(shared_data):
    """The same path rotated in the world: the same relative motions (not so for headings)."""
    path = shared_data / "kitti_odometry" / "KITTI_sequence_2"
    table = table_of(path)[1]
    from scipy.spatial.transform import Rotation

    turn = Rotation.from_euler("y", 70, degrees=True)
    moved = table.motor.copy()
    moved[:, :3] = turn.apply(moved[:, :3]) + [5.0, 0.0, -3.0]
    moved[:, 3:] = (turn * Rotation.from_quat(moved[:, 3:])).as_quat()
    spec = table.motor_spec
    np.testing.assert_allclose(spec.difference(moved[:-1], moved[1:]),
                               spec.difference(table.motor[:-1], table.motor[1:]), atol=1e-9)


def test_bad_options(shared_data):
    path = shared_data / "kitti_odometry" / "KITTI_sequence_2"
    with pytest.raises(ConfigError, match=r"^dataset 'kitti-odometry': dofs='sideways': "
                                          r"expected planar or 6dof"):
        KittiOdometrySource(str(path), dofs="sideways")
    with pytest.raises(ConfigError, match=r"motor must be one of \['pose', 'heading'\], "
                                          r"got 'gps'"):
        KittiOdometrySource(str(path), motor="gps")
    with pytest.raises(ConfigError, match=r"unknown option 'dof' \(valid options: camera, "
                                          r"dofs, motor, window\)"):
        open_source(f"kitti-odometry:{path},dof=6dof")
    with pytest.raises(ConfigError, match=r"camera must be one of \['grey', 'colour', "
                                          r"'image_0'.*got 'image_9'"):
        open_source(f"kitti-odometry:{path},camera=image_9")


def test_sequence_2_turns(shared_data):
    source, table = table_of(shared_data / "kitti_odometry" / "KITTI_sequence_2",
                             motor="heading")
    assert len(table) == 51 and table.labels is None and table.class_names is None
    yaw, dist = steps(table)
    assert 0.3 <= np.abs(yaw).min() and np.abs(yaw).max() <= 2.75  # ~0.3-2.7 deg per frame
    assert np.all(yaw < 0)  # a right turn: heading is counter-clockwise positive
    assert 0.9 < dist.min() and dist.max() < 1.3 and abs(dist.mean() - 1.0) < 0.1
    dyaw, forward, right = source.relative_motion(0, 1)
    assert abs(dyaw - yaw[0]) < 1e-6 and 0.95 < forward < 1.05 and abs(right) < 0.1
    # per frame, the odometer step is the forward distance in the camera frame (as documented)
    forwards = [source.relative_motion(i, i + 1)[1] for i in range(50)]
    np.testing.assert_allclose(dist, forwards, atol=0.002)
    np.testing.assert_allclose(table.time[:3], [0.0, 0.1, 0.2])
    assert table.neighbours.layout == "video" and table.neighbours.window == 1.0
    img = source.load_image(table.refs[0])
    assert img.shape == (376, 1241, 1) and img.dtype == np.uint8


def test_sequence_1_goes_straight(shared_data):
    source, table = table_of(shared_data / "kitti_odometry" / "KITTI_sequence_1",
                             motor="heading")
    yaw, dist = steps(table)
    assert np.abs(yaw).max() < 0.15 and abs(np.ptp(table.motor[:, 0])) < 2.0
    assert 1.15 < dist.min() and dist.max() < 1.25  # about 1.2 m per frame
    _, forward, right = source.relative_motion(10, 20)
    assert 11.5 < forward < 12.5 and abs(right) < 0.5


def test_folder_of_sequences(shared_data):
    table = open_source(f"kitti-odometry:{shared_data / 'kitti_odometry'}").table()
    assert table.sequence_names == ["KITTI_sequence_1", "KITTI_sequence_2"]
    assert len(table) == 102 and table.info()["num_classes"] is None


def yaw_pose(deg, x, z):
    a = math.radians(-deg)  # left turn positive = negative rotation about camera y (down)
    r = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    return np.hstack([r, [[x], [0.0], [z]]])


def make_layout(root, n=4, cameras=("image_0",)):
    """sequences/00 (+ poses/00.txt) turning left 2 deg and moving 1 m per frame; 11 unposed.
    Each of ``cameras`` holds frame k as one grey level k (image_0/1) or one colour
    (k, 100, 200) (image_2/3), 6 x 4 pixels."""
    seq = root / "sequences" / "00"
    for camera in cameras:
        (seq / camera).mkdir(parents=True)
    (root / "sequences" / "11" / "image_0").mkdir(parents=True)
    (root / "poses").mkdir()
    lines, heading, x, z = [], 0.0, 0.0, 0.0
    for k in range(n):
        lines.append(" ".join(f"{v:e}" for v in yaw_pose(heading, x, z).ravel()))
        for camera in cameras:
            colour = camera in ("image_2", "image_3")
            Image.new("RGB" if colour else "L", (6, 4), (k, 100, 200) if colour else k).save(
                seq / camera / f"{k:06d}.png")
        x -= math.sin(math.radians(heading))  # forward = (-sin h, cos h) in (x, z)
        z += math.cos(math.radians(heading))
        heading += 2.0
    (root / "poses" / "00.txt").write_text("\n".join(lines) + "\n")
    return seq


def test_odometry_layout(tmp_path):
    make_layout(tmp_path)
    with pytest.warns(UserWarning, match=r"skipped 1 sequences without poses \(11\)"):
        source = KittiOdometrySource(str(tmp_path), motor="heading")
        table = source.table()
    # the poses are written with 7 significant digits, as KITTI's
    np.testing.assert_allclose(table.motor[:, 0], [0, 2, 4, 6], atol=1e-4)
    np.testing.assert_allclose(table.motor[:, 1], [0, 1, 2, 3], atol=1e-4)
    dyaw, forward, right = source.relative_motion(1, 2)
    assert abs(dyaw - 2.0) < 1e-4 and abs(forward - 1.0) < 1e-4 and abs(right) < 1e-4
    dyaw, forward, right = relative_motion(yaw_pose(0, 0, 0), yaw_pose(0, 0.5, 0))
    assert dyaw == 0 and forward == 0 and right == 0.5
    # the pose motor: each step is 1 m forward, then a 2 deg left turn, in the camera's frame
    with pytest.warns(UserWarning):
        posed = KittiOdometrySource(str(tmp_path)).table()
    motion = posed.motor_spec.difference(posed.motor[:-1], posed.motor[1:])
    np.testing.assert_allclose(motion, [[1.0, 0.0, 2.0]] * 3, atol=1e-4)
    # sequences/NN given directly finds ../../poses/NN.txt
    assert len(KittiOdometrySource(str(tmp_path / "sequences" / "00")).table()) == 4


def test_a_colour_only_sequence_is_never_read_as_grey(tmp_path):
    seq = make_layout(tmp_path, cameras=("image_2",))
    grey = KittiOdometrySource(str(seq))
    assert grey.default_channels == 1
    with pytest.raises(DataError, match=r"00: no grey image folder \(image_0 / image_l\); it "
                                        r"has image_2 \(colour\): choose with camera=grey, "
                                        r"camera=colour"):
        grey.table()
    colour = open_source(f"kitti-odometry:{seq},camera=colour")
    table = colour.table()
    assert colour.default_channels == 3 and all("image_2" in r for r in table.refs)
    assert colour.load_image(table.refs[1])[0, 0].tolist() == [1, 100, 200]


def test_the_camera_option_picks_the_kind_and_the_channels_follow(tmp_path):
    seq = make_layout(tmp_path, cameras=("image_0", "image_2", "image_3"))
    for camera, folder, channels in (("grey", "image_0", 1), ("colour", "image_2", 3),
                                     ("image_3", "image_3", 3), ("image_0", "image_0", 1)):
        source = KittiOdometrySource(str(seq), camera=camera)
        refs = source.table().refs
        assert source.default_channels == channels and f"/{folder}/" in refs[0], camera
        assert source.load_image(refs[0]).shape[2] == channels
    with pytest.raises(DataError, match=r"no grey image folder \(image_1\); it has image_0 "
                                        r"\(grey\), image_2 \(colour\), image_3 \(colour\)"):
        KittiOdometrySource(str(seq), camera="image_1").table()


def test_missing_images_and_times_txt(tmp_path):
    seq = make_layout(tmp_path)
    (seq / "image_0" / "000002.png").unlink()
    (seq / "times.txt").write_text("0.0\n0.11\n0.2\n0.31\n")
    with pytest.warns(UserWarning, match="skipped 1 of 4 frames"):
        table = KittiOdometrySource(str(seq)).table()
    assert list(table.meta["frame"]) == [0, 1, 3]
    np.testing.assert_allclose(table.time, [0.0, 0.11, 0.31])


@pytest.mark.parametrize("bad, message", [
    ("1 2 3 4 5 6 7 8 9 10 11", "11 numbers, expected 12"),
    ("1 0 0 0 0 1 0 nan 0 0 1 0", "pose has a NaN or infinite value"),
    ("1 0 0 0 0 1 0 x 0 0 1 0", "not a number"),
    ("2 0 0 0 0 1 0 0 0 0 1 0", "the left 3x3 block is not a rotation"),
    ("1 0 0 0 0 1 0 0 0 0 -1 0", "the left 3x3 block is not a rotation"),  # a mirror
])
def test_bad_pose_line(tmp_path, bad, message):
    make_layout(tmp_path)
    poses = tmp_path / "poses" / "00.txt"
    lines = poses.read_text().splitlines()
    lines[2] = bad
    poses.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{poses}:3: {message}"):
        KittiOdometrySource(str(tmp_path / "sequences" / "00")).table()


def test_times_backwards(tmp_path):
    seq = make_layout(tmp_path)
    (seq / "times.txt").write_text("0.0\n0.1\n0.05\n0.3\n")
    with pytest.raises(DataError, match=rf"{seq / 'times.txt'}:3: time 0.05 goes backwards"):
        KittiOdometrySource(str(seq)).table()


def test_no_sequence(tmp_path):
    with pytest.raises(DataError, match=rf"{tmp_path}: no KITTI odometry sequence"):
        KittiOdometrySource(str(tmp_path)).table()


@pytest.mark.parametrize("window, message", [("-1", "must be > 0, got -1.0"),
                                             ("nan", "must be float, got 'nan'"),
                                             ("0", "must be > 0, got 0.0")])
def test_window_must_be_positive(tmp_path, window, message):
    seq = make_layout(tmp_path)
    with pytest.raises(ConfigError, match=f"dataset 'kitti-odometry': window {message}"):
        open_source(f"kitti-odometry:{seq},window={window}")


def test_camera_poses_read_in_body_axes_are_named_by_the_vertical_warning(shared_data):
    """input: the real straight drive's camera poses (z forward); read as a ROS body's
    (z up), the car climbs, and planar dofs would hide it."""
    import re

    from egoequiv.data.motor import MotorSpec
    from egoequiv.data.pose import hidden_vertical_warning, pose_motion

    table = KittiOdometrySource(str(shared_data / "kitti_odometry" / "KITTI_sequence_1")).table()
    a, b = table.motor[:-1], table.motor[1:]
    assert hidden_vertical_warning(table.motor_spec, a, b) == []  # read right: no warning
    (line,) = hidden_vertical_warning(pose_motion("planar", axes="body"), a, b)
    truth = np.median(np.abs(pose_motion(("forward", "lateral", "vertical"), "body")
                             .difference(a, b)), axis=0)
    numbers = re.search(r"median ([\d.e-]+) m, against ([\d.e-]+) m forward and ([\d.e-]+) m "
                        r"lateral", line)
    np.testing.assert_allclose([float(numbers[k]) for k in (2, 3, 1)], truth, rtol=1e-2)
    assert "dofs=forward+lateral+yaw" in line and "set axes=camera" in line
    assert hidden_vertical_warning(pose_motion("6dof", axes="body"), a, b) == []  # shown
    assert hidden_vertical_warning(MotorSpec(("x",), ("m",), (None,)), a[:, :1], b[:, :1]) == []
