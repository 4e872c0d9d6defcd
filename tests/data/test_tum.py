"""tum: TUM RGB-D sequences written here from the real KITTI odometry excerpt (its frames as
the colour PNGs, its camera poses as ``groundtruth.txt`` at another rate and offset in time),
then read back with ``tum:``; and a known motion (a left turn) through the interpolation."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image
from scipy.spatial.transform import Rotation

from egoequiv.cli.main import main
from egoequiv.data.pose import interpolate_poses
from egoequiv.errors import DataError

T0 = 1305031102.0  # a TUM clock (s)
POSE_RATE = 20.0  # KITTI's camera runs at 10 Hz: the poses at another rate
TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def write_tum(folder, truth, images, gt_from=0.45, gt_to=2.6, scalar_first=False):
    """Frames k of the excerpt at T0 + k / 10 s; ground truth at 20 Hz from ``gt_from`` s,
    so the frames from 0.5 s on lie on its grid and get KITTI's own poses."""
    (folder / "rgb").mkdir(parents=True)
    rgb = ["# color images", "# file: 'kitti_sequence_2.bag'", "# timestamp filename"]
    for k, image in enumerate(images):
        name = f"rgb/{T0 + truth.time[k]:.6f}.png"
        Image.fromarray(np.repeat(image, 3, axis=2)).save(folder / name)
        rgb.append(f"{T0 + truth.time[k]:.6f} {name}")
    (folder / "rgb.txt").write_text("\n".join(rgb) + "\n")
    times = np.arange(gt_from, gt_to + 1e-9, 1 / POSE_RATE)
    _, poses = interpolate_poses(truth.time, truth.motor, times, tolerance=1.0)
    write_groundtruth(folder, T0 + times, poses, scalar_first)
    return folder


def write_groundtruth(folder, times, poses, scalar_first=False):
    quat = poses[:, [6, 3, 4, 5]] if scalar_first else poses[:, 3:]
    lines = ["# ground truth trajectory", "# timestamp tx ty tz qx qy qz qw"]
    lines += [f"{t:.4f} " + " ".join(f"{v:.9f}" for v in (*p[:3], *q))
              for t, p, q in zip(times, poses, quat, strict=True)]
    (folder / "groundtruth.txt").write_text("\n".join(lines) + "\n")


def motions(table, i, j):
    return table.motor_spec.difference(table.motor[i], table.motor[j])


def assert_kitti_motions(table, truth, rows):
    """The motions between table rows equal kitti-odometry's between its rows ``rows``."""
    i = np.concatenate([np.arange(len(rows) - 1), np.arange(len(rows) - 5)])
    j = np.concatenate([np.arange(1, len(rows)), np.arange(5, len(rows))])
    got, want = motions(table, i, j), motions(truth, rows[i], rows[j])
    np.testing.assert_allclose(got[:, :3], want[:, :3], atol=1e-4)  # metres
    np.testing.assert_allclose(got[:, 3:], want[:, 3:], atol=1e-3)  # degrees


def test_tum_gives_kitti_motions_and_drops_frames_before_the_ground_truth(
        kitti_excerpt, tmp_path, read_source):
    truth, images = kitti_excerpt(25)
    folder = write_tum(tmp_path / "rgbd_kitti", truth, images)
    source, table, notes = read_source(f"tum:{folder},dofs=6dof")
    assert len(table) == 20 and table.sequence_names == ["rgbd_kitti"]
    assert notes == [f"tum: dropped 5 of 25 frames of {folder / 'rgb.txt'} without a "
                     "ground-truth pose within 0.1 s (poses 0.45-2.60 s, frames "
                     "0.00-2.40 s)"]
    np.testing.assert_allclose(table.time, np.arange(20) / 10, atol=1e-6)
    np.testing.assert_allclose(table.meta["stamp"], T0 + 0.5 + np.arange(20) / 10, atol=1e-6)
    assert table.motor_spec.axes == "camera"
    assert_kitti_motions(table, truth, np.arange(5, 25))
    frame = source.load_image(table.refs[3])
    assert frame.shape == (94, 156, 3)
    np.testing.assert_array_equal(frame[:, :, 1], images[8][:, :, 0])


def test_a_scalar_first_file_reads_other_motions(kitti_excerpt, tmp_path, read_source):
    """TUM is scalar-last: the same poses written w first turn every rotation."""
    truth, images = kitti_excerpt(12)
    folder = write_tum(tmp_path / "wrong", truth, images, scalar_first=True)
    _, table, _ = read_source(f"tum:{folder},dofs=6dof")
    got, want = motions(table, np.arange(6), np.arange(1, 7)), \
        motions(truth, np.arange(5, 11), np.arange(6, 12))
    # KITTI's rotations are near the identity (0, 0, 0, 1); read w first that is a half
    # turn about x: forward reads backward
    assert (want[:, 0] > 0.9).all() and (got[:, 0] < 0).all()


SPEED, TURN = 1.5, 12.0  # m/s along the world's z; deg/s, a left turn


def turning(t):
    """A camera going along the world's z while it turns left about the world's up axis
    (-y): linear interpolation and slerp are exact on it."""
    t = np.asarray(t, dtype=np.float64)
    position = np.stack([0 * t, 0 * t, SPEED * t], axis=1)
    return np.concatenate([position, Rotation.from_euler("y", -TURN * t[:, None], degrees=True)
                           .as_quat()], axis=1)


def check_left_turn(table, times):
    """Per frame step dt, at heading theta (left of the world's z): forward
    v dt cos(theta), lateral +v dt sin(theta) (the straight path lies to the right of a
    car that turned left), yaw +TURN dt (left positive)."""
    dt, theta = np.diff(times), np.radians(TURN * times[:-1])
    step = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    names = table.motor_spec.names
    np.testing.assert_allclose(step[:, names.index("forward")], SPEED * dt * np.cos(theta),
                               atol=1e-9)
    np.testing.assert_allclose(step[:, names.index("lateral")], SPEED * dt * np.sin(theta),
                               atol=1e-9)
    np.testing.assert_allclose(step[:, names.index("yaw")], TURN * dt, atol=1e-7)
    assert (step[:, names.index("yaw")] > 0).all() and (step[:, names.index("lateral")] > 0).all()


def test_a_left_turn_interpolated_at_the_image_times(tmp_path, read_source):
    """Images at 25 Hz between ground-truth poses at 8 Hz: interpolated, not the nearest."""
    folder = tmp_path / "turn"
    (folder / "rgb").mkdir(parents=True)
    frame_t = 0.01 + np.arange(60) / 25
    rgb = []
    for k, t in enumerate(frame_t):
        Image.new("RGB", (8, 6), (k, k, k)).save(folder / f"rgb/{k}.png")
        rgb.append(f"{T0 + t:.6f} rgb/{k}.png")
    (folder / "rgb.txt").write_text("\n".join(rgb) + "\n")
    pose_t = np.arange(22) / 8
    write_groundtruth(folder, T0 + pose_t, turning(pose_t))
    _, table, notes = read_source(f"tum:{folder}")
    assert notes == [] and len(table) == 60
    frame_t = table.meta["stamp"] - T0  # as parsed: 1.3e9 s in float64 is 2e-7 s apart
    np.testing.assert_allclose(table.motor, turning(frame_t), atol=1e-9)
    check_left_turn(table, frame_t)


@pytest.mark.parametrize("edit, message", [
    (lambda gt: gt.replace(gt.splitlines()[4], " ".join(gt.splitlines()[4].split()[:7])),
     r"groundtruth.txt:5: 7 fields, expected 8: timestamp tx ty tz qx qy qz qw$"),
    (lambda gt: gt.replace(gt.splitlines()[3], gt.splitlines()[5]),
     r"groundtruth.txt:5: timestamp 1305031102.550000 does not increase \(the record before "
     r"has 1305031102.600000\)$"),
    (lambda gt: gt.replace(gt.splitlines()[2].split()[-1], "2.0", 1),
     r"groundtruth.txt:3: quaternion \(qx qy qz qw, scalar-last\) has norm 2\.\d+, "
     r"expected 1$"),
    (lambda gt: gt.replace(gt.splitlines()[6].split()[2], "abc", 1),
     r"groundtruth.txt:7: column ty: expected a number, got 'abc'$"),
])
def test_bad_ground_truth_is_one_line_naming_file_line_and_field(kitti_excerpt, tmp_path,
                                                                 edit, message):
    truth, images = kitti_excerpt(8)
    folder = write_tum(tmp_path / "s", truth, images)
    gt = folder / "groundtruth.txt"
    gt.write_text(edit(gt.read_text()))
    with pytest.raises(DataError, match=message) as e:
        main_table(folder)
    assert str(e.value).startswith(str(gt)) and "\n" not in str(e.value)


def main_table(folder):
    from egoequiv.data.registry import open_source

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return open_source(f"tum:{folder}").table()


def test_bad_listings_and_folders(kitti_excerpt, tmp_path):
    truth, images = kitti_excerpt(8)
    folder = write_tum(tmp_path / "s", truth, images)
    rgb = folder / "rgb.txt"
    first = rgb.read_text().splitlines()[3].split()[1]
    (folder / first).unlink()
    with pytest.raises(DataError, match=rf"rgb.txt:4: image '{first}' does not exist$"):
        main_table(folder)
    rgb.write_text("# timestamp filename\n1.0\n")
    with pytest.raises(DataError, match=r"rgb.txt:2: 1 fields, expected 2: timestamp "
                                        r"filename$"):
        main_table(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: no TUM RGB-D sequence"):
        main_table(tmp_path / "empty")


def test_a_folder_of_sequences_skips_one_without_ground_truth(kitti_excerpt, tmp_path,
                                                              read_source):
    truth, images = kitti_excerpt(12)
    write_tum(tmp_path / "all" / "a", truth, images)
    write_tum(tmp_path / "all" / "b", truth, images)
    (tmp_path / "all" / "b" / "groundtruth.txt").unlink()
    _, table, notes = read_source(f"tum:{tmp_path / 'all'}")
    assert table.sequence_names == ["a"] and len(table) == 7
    assert "tum: skipped 1 sequences without groundtruth.txt (b)" in notes[0]


def test_non_finite_pose_refused_by_data_info_and_train(kitti_excerpt, tmp_path, capsys):
    truth, images = kitti_excerpt(8)
    folder = write_tum(tmp_path / "s", truth, images)
    gt = folder / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    lines[4] = " ".join([*lines[4].split()[:2], "nan", *lines[4].split()[3:]])
    gt.write_text("\n".join(lines) + "\n")
    for argv in (["data", "info", f"tum:{folder}"],
                 ["train", "--dataset", f"tum:{folder}", "--out", str(tmp_path / "r"),
                  "--iters", "2"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == (
            f"egoequiv: error: {gt}:5: column ty: value is 'nan', expected a finite number")
    assert not (tmp_path / "r").exists()


def test_data_info_and_a_short_training_run(kitti_excerpt, tmp_path, capsys):
    truth, images = kitti_excerpt(25)
    spec = f"tum:{write_tum(tmp_path / 's', truth, images, gt_from=0.0)}"
    assert main(["data", "info", "--json", spec]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 25 and info["motion_patterns"]["num_pairs"] > 0
    forward = next(m for m in info["motion_patterns"]["motion"] if m["name"] == "forward")
    assert 0.9 < forward["min"] and forward["max"] < 12
    assert main(["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "3",
                 "--quiet", *TINY]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["iterations"] == 3
