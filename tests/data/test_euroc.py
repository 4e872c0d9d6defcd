"""euroc: EuRoC MAV (ASL) sequences written here from the real KITTI odometry excerpt: its
frames as cam0's PNGs, and its camera poses turned into the poses of a body frame rotated
and shifted from the camera's (EuRoC's real cam0 ``T_BS``), w-first, at another rate."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from scipy.spatial.transform import Rotation

from egoequiv.cli.main import main
from egoequiv.data.pose import interpolate_poses
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError

NS0 = 1403636579763555584  # a EuRoC clock (ns)
FRAME_NS, POSE_NS = 100_000_000, 50_000_000  # KITTI's 10 Hz camera; poses at 20 Hz
#: EuRoC's cam0 extrinsic (MH_01_easy/mav0/cam0/sensor.yaml): body (IMU) from camera
T_BS = np.array([[0.0148655429818, -0.999880929698, 0.00414029679422, -0.0216401454975],
                 [0.999557249008, 0.0149672133247, 0.025715529948, -0.064676986768],
                 [-0.0257744366974, 0.00375618835797, 0.999660727178, 0.00981073058949],
                 [0.0, 0.0, 0.0, 1.0]])
HEADER = ("#timestamp, p_RS_R_x [m], p_RS_R_y [m], p_RS_R_z [m], q_RS_w [], q_RS_x [], "
          "q_RS_y [], q_RS_z [], v_RS_R_x [m s^-1], v_RS_R_y [m s^-1], v_RS_R_z [m s^-1], "
          "b_w_RS_S_x [rad s^-1], b_w_RS_S_y [rad s^-1], b_w_RS_S_z [rad s^-1], "
          "b_a_RS_S_x [m s^-2], b_a_RS_S_y [m s^-2], b_a_RS_S_z [m s^-2]")
TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def matrices(readings):
    out = np.tile(np.eye(4), (len(readings), 1, 1))
    out[:, :3, :3] = Rotation.from_quat(readings[:, 3:]).as_matrix()
    out[:, :3, 3] = readings[:, :3]
    return out


def body_poses(camera, t_bs=T_BS):
    """T_WB = T_WC @ T_BS^-1, as (K, 8) rows: x, y, z, qw, qx, qy, qz."""
    body = matrices(camera) @ np.linalg.inv(t_bs)
    q = Rotation.from_matrix(body[:, :3, :3]).as_quat()
    return np.concatenate([body[:, :3, 3], q[:, [3, 0, 1, 2]]], axis=1)


def write_sensor_yaml(cam, t_bs=T_BS):
    rows = ",\n         ".join(", ".join(f"{v:.12g}" for v in row) for row in t_bs)
    (cam / "sensor.yaml").write_text(
        "# General sensor definitions.\nsensor_type: camera\ncomment: VI-Sensor cam0 "
        "(MT9M034)\n\n# Sensor extrinsics wrt. the body-frame.\nT_BS:\n  cols: 4\n  rows: 4\n"
        f"  data: [{rows}]\n\n# Camera specific definitions.\nrate_hz: 20\n"
        "resolution: [752, 480]\ncamera_model: pinhole\n")


def write_groundtruth(mav, stamps, rows, header=HEADER):
    gt = mav / "state_groundtruth_estimate0"
    gt.mkdir(parents=True, exist_ok=True)
    lines = [header] if header else []
    lines += [",".join([str(s), *(f"{v:.12f}" for v in row), *["0.0"] * 9])
              for s, row in zip(stamps, rows, strict=True)]
    (gt / "data.csv").write_text("\n".join(lines) + "\n")


def write_frames(cam, stamps, images):
    (cam / "data").mkdir(parents=True)
    for s, image in zip(stamps, images, strict=True):
        Image.fromarray(image[:, :, 0]).save(cam / "data" / f"{s}.png")
    (cam / "data.csv").write_text("#timestamp [ns],filename\n"
                                  + "".join(f"{s},{s}.png\n" for s in stamps))


def write_euroc(folder, truth, images, gt_from=4, gt_to=52):
    """Frame k at NS0 + k * 100 ms; the body's ground truth at 20 Hz from gt_from * 50 ms on,
    so the frames from 200 ms on lie on its grid."""
    mav = folder / "mav0"
    write_frames(mav / "cam0", [NS0 + k * FRAME_NS for k in range(len(images))], images)
    write_sensor_yaml(mav / "cam0")
    m = np.arange(gt_from, gt_to + 1)
    _, camera = interpolate_poses(truth.time, truth.motor, m * POSE_NS * 1e-9, tolerance=1.0)
    write_groundtruth(mav, NS0 + m * POSE_NS, body_poses(camera))
    return folder


def motions(table, i, j):
    return table.motor_spec.difference(table.motor[i], table.motor[j])


def test_euroc_gives_kitti_camera_motions_through_t_bs(kitti_excerpt, tmp_path, read_source):
    truth, images = kitti_excerpt(25)
    folder = write_euroc(tmp_path / "MH_01_easy", truth, images)
    source, table, notes = read_source(f"euroc:{folder},dofs=6dof")
    assert len(table) == 23 and table.sequence_names == ["MH_01_easy"]
    assert notes == [f"euroc: dropped 2 of 25 frames of {folder / 'mav0/cam0/data.csv'} "
                     "without a ground-truth pose within 0.1 s (poses 0.20-2.60 s, frames "
                     "0.00-2.40 s)"]
    assert table.meta["stamp_ns"][0] == NS0 + 2 * FRAME_NS
    np.testing.assert_allclose(table.time, np.arange(23) / 10, atol=1e-12)
    i = np.concatenate([np.arange(22), np.arange(18)])
    j = np.concatenate([np.arange(1, 23), np.arange(5, 23)])
    got, want = motions(table, i, j), motions(truth, i + 2, j + 2)
    np.testing.assert_allclose(got[:, :3], want[:, :3], atol=1e-4)
    np.testing.assert_allclose(got[:, 3:], want[:, 3:], atol=1e-3)
    assert source.default_channels == 1
    np.testing.assert_array_equal(source.load_image(table.refs[4]), images[6])


def test_axes_body_gives_the_bodys_own_poses(kitti_excerpt, tmp_path, read_source):
    truth, images = kitti_excerpt(12)
    folder = write_euroc(tmp_path / "s", truth, images)
    _, table, _ = read_source(f"euroc:{folder},axes=body")
    assert table.motor_spec.axes == "body"
    want = body_poses(truth.motor[2:12])
    np.testing.assert_allclose(table.motor[:, :3], want[:, :3], atol=1e-9)
    got = Rotation.from_quat(table.motor[:, 3:])
    assert ((got.inv() * Rotation.from_quat(want[:, [4, 5, 6, 3]])).magnitude() < 1e-9).all()


def test_the_quaternion_is_read_w_first(kitti_excerpt, tmp_path, read_source):
    """A header naming x, y, z, w in fields 5-8 is refused; the same file without a header
    reads (w first) other rotations, so the order is not guessed."""
    truth, images = kitti_excerpt(12)
    folder = write_euroc(tmp_path / "s", truth, images)
    data = folder / "mav0" / "state_groundtruth_estimate0" / "data.csv"
    lines = data.read_text().splitlines()
    swapped = [",".join([f[0], *f[1:4], *f[5:8], f[4], *f[8:]])
               for f in (line.split(",") for line in lines[1:])]
    data.write_text("\n".join([HEADER.replace("q_RS_w [], q_RS_x [], q_RS_y [], q_RS_z []",
                                              "q_RS_x [], q_RS_y [], q_RS_z [], q_RS_w []")]
                              + swapped) + "\n")
    with pytest.raises(DataError, match=r"data.csv:1: fields 5-8 are q_RS_x, q_RS_y, q_RS_z, "
                                        r"q_RS_w; expected the quaternion w, x, y, z"):
        open_source(f"euroc:{folder}").table()
    data.write_text("\n".join(swapped) + "\n")
    _, table, _ = read_source(f"euroc:{folder},dofs=6dof")
    right = motions(truth, np.arange(2, 11), np.arange(3, 12))
    wrong = motions(table, np.arange(9), np.arange(1, 10))
    assert np.abs(wrong - right).max() > 0.5


SPEED, TURN = 1.5, 12.0  # m/s along the world's z; deg/s, a left turn


def turning(t):
    t = np.asarray(t, dtype=np.float64)
    position = np.stack([0 * t, 0 * t, SPEED * t], axis=1)
    quat = Rotation.from_euler("y", -TURN * t[:, None], degrees=True).as_quat()
    return np.concatenate([position, quat], axis=1)


def test_a_left_turn_of_the_camera_interpolated_at_the_frame_times(tmp_path, read_source):
    """The camera drives along the world's z turning left; the body is rotated from it
    (T_BS's rotation, no lever arm, so that interpolation stays exact); frames at 20 Hz
    lie between poses at 7 Hz."""
    t_bs = T_BS.copy()
    t_bs[:3, 3] = 0
    mav = tmp_path / "turn" / "mav0"
    frame_ns = 10_000_000 + np.arange(50) * 50_000_000
    write_frames(mav / "cam0", [NS0 + s for s in frame_ns],
                 [np.full((6, 8, 1), k, np.uint8) for k in range(50)])
    write_sensor_yaml(mav / "cam0", t_bs)
    pose_ns = np.arange(19) * 1_000_000_000 // 7
    write_groundtruth(mav, NS0 + pose_ns, body_poses(turning(pose_ns * 1e-9), t_bs))
    _, table, notes = read_source(f"euroc:{tmp_path / 'turn'}")
    assert notes == [] and len(table) == 50
    times = frame_ns * 1e-9
    np.testing.assert_allclose(table.motor[:, :3], turning(times)[:, :3], atol=1e-9)
    step = table.motor_spec.difference(table.motor[:-1], table.motor[1:])  # planar
    theta = np.radians(TURN * times[:-1])
    np.testing.assert_allclose(step[:, 0], SPEED * 0.05 * np.cos(theta), atol=1e-9)
    np.testing.assert_allclose(step[:, 1], SPEED * 0.05 * np.sin(theta), atol=1e-9)
    np.testing.assert_allclose(step[:, 2], TURN * 0.05, atol=1e-7)
    assert (step[:, 1] > 0).all() and (step[:, 2] > 0).all()  # path to the right; left turn


def _edit_gt(folder, line, field, value):
    data = folder / "mav0" / "state_groundtruth_estimate0" / "data.csv"
    lines = data.read_text().splitlines()
    fields = lines[line - 1].split(",")
    fields[field] = value
    lines[line - 1] = ",".join(fields)
    data.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("edit, message", [
    (lambda f: _edit_gt(f, 3, 0, "1.5e18"),
     r"state_groundtruth_estimate0/data.csv:3: field timestamp: expected an integer of "
     r"nanoseconds, got '1.5e18'$"),
    (lambda f: _edit_gt(f, 4, 5, "0.0") or _edit_gt(f, 4, 4, "0.0") or _edit_gt(f, 4, 6, "0")
     or _edit_gt(f, 4, 7, "0"),
     r"state_groundtruth_estimate0/data.csv:4: quaternion \(q_RS_w, q_RS_x, q_RS_y, q_RS_z, "
     r"scalar-first\) has norm 0, expected 1$"),
    (lambda f: _edit_gt(f, 5, 0, str(NS0)),
     rf"state_groundtruth_estimate0/data.csv:5: timestamp {NS0} does not increase \(the "
     rf"record before has {NS0 + 6 * POSE_NS}\)$"),
    (lambda f: (f / "mav0/cam0/sensor.yaml").write_text("T_BS:\n  data: [1, 0, 0]\n"),
     r"cam0/sensor.yaml: field T_BS.data: expected 16 finite numbers \(a row-major 4x4 "
     r"transform\), got 3 values$"),
    (lambda f: write_sensor_yaml(f / "mav0/cam0", np.diag([1.0, 1, 2, 1])),
     r"cam0/sensor.yaml: field T_BS.data: the top-left 3x3 block is not a rotation"),
    (lambda f: (f / "mav0/cam0/sensor.yaml").write_text("rate_hz: 20\n"),
     r"cam0/sensor.yaml: field T_BS: expected T_BS with rows: 4, cols: 4 and data: "),
    (lambda f: (f / "mav0/cam0/data.csv").write_text("#timestamp [ns],filename\n1,x.png\n"),
     r"cam0/data.csv:2: frame data/x.png does not exist$"),
])
def test_bad_inputs_are_one_line_naming_file_line_and_field(kitti_excerpt, tmp_path, edit,
                                                           message):
    truth, images = kitti_excerpt(8)
    folder = write_euroc(tmp_path / "s", truth, images)
    edit(folder)
    with pytest.raises(DataError, match=message) as e:
        open_source(f"euroc:{folder}").table()
    assert "\n" not in str(e.value) and str(e.value).startswith(str(folder))


def test_non_finite_pose_refused_by_data_info_and_train(kitti_excerpt, tmp_path, capsys):
    truth, images = kitti_excerpt(8)
    folder = write_euroc(tmp_path / "s", truth, images)
    _edit_gt(folder, 6, 2, "inf")
    data = folder / "mav0" / "state_groundtruth_estimate0" / "data.csv"
    for argv in (["data", "info", f"euroc:{folder}"],
                 ["train", "--dataset", f"euroc:{folder}", "--out", str(tmp_path / "r"),
                  "--iters", "2"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == (
            f"egoequiv: error: {data}:6: column p_RS_R_y: value is 'inf', expected a finite "
            "number")
    assert not (tmp_path / "r").exists()


def test_data_info_and_a_short_training_run(kitti_excerpt, tmp_path, capsys):
    truth, images = kitti_excerpt(25)
    spec = f"euroc:{write_euroc(tmp_path / 'MH', truth, images, gt_from=0)}"
    assert main(["data", "info", "--json", spec]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 25 and info["motion_patterns"]["num_pairs"] > 0
    assert main(["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "3",
                 "--quiet", *TINY]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["iterations"] == 3


def test_t_bs_as_a_yaml_block_list_reads_as_the_flow_list(tmp_path):
    """input: the real cam0 extrinsic written both ways YAML allows."""
    import yaml

    from egoequiv.data.euroc import read_extrinsic

    write_sensor_yaml(tmp_path)
    flow = read_extrinsic(tmp_path / "sensor.yaml")
    block = tmp_path / "block.yaml"
    block.write_text(yaml.safe_dump({"sensor_type": "camera", "T_BS": {
        "cols": 4, "rows": 4, "data": [float(v) for v in T_BS.ravel()]}, "rate_hz": 20},
        default_flow_style=False))
    assert "data:\n  - 0.0148655429818" in block.read_text()  # the block style
    np.testing.assert_array_equal(read_extrinsic(block), flow)
    np.testing.assert_allclose(flow, T_BS, atol=1e-12)
