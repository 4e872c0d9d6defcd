"""nuscenes: nuScenes tables written here with ``json`` from the real KITTI odometry excerpt:
its frames as CAM_FRONT's keyframes and sweeps (JPEG), its camera poses as ego poses through
nuScenes' real CAM_FRONT calibration (w-first quaternions, µs), in two scenes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from scipy.spatial.transform import Rotation

from egoequiv.cli.main import main
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError

US0 = 1532402927612460  # a nuScenes clock (µs)
#: nuScenes' CAM_FRONT calibration (v1.0-mini, scene-0061): ego from camera, w-first
CAM_FRONT = ([1.70079118954, 0.0159456324149, 1.51095763913],
             [0.4998015430569128, -0.5030316162024876, 0.4997798114386805,
              -0.49716791790940113])
TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def matrix(translation, wxyz):
    out = np.eye(4)
    out[:3, :3] = Rotation.from_quat(np.asarray(wxyz)[[1, 2, 3, 0]]).as_matrix()
    out[:3, 3] = translation
    return out


def record(m, w_first=True):
    """translation and rotation (w first, as nuScenes) of a 4x4 transform."""
    q = Rotation.from_matrix(m[:3, :3]).as_quat()
    return {"translation": m[:3, 3].tolist(),
            "rotation": (q[[3, 0, 1, 2]] if w_first else q).tolist()}


def write_nuscenes(root, camera_poses, images, scenes=(10, 10), calib=CAM_FRONT,
                   w_first=True, version="v1.0-mini"):
    """Frame k at US0 + k * 100 ms, in scenes of ``scenes`` frames; every third frame of a
    scene a keyframe (samples/), the others sweeps (sweeps/); CAM_BACK and LIDAR_TOP
    records beside them, which the reader must leave out."""
    tables = {t: [] for t in ("sensor", "calibrated_sensor", "scene", "sample",
                              "sample_data", "ego_pose")}
    for channel, modality in (("CAM_FRONT", "camera"), ("CAM_BACK", "camera"),
                              ("LIDAR_TOP", "lidar")):
        tables["sensor"].append({"token": f"s-{channel}", "channel": channel,
                                 "modality": modality})
        tables["calibrated_sensor"].append({"token": f"c-{channel}",
                                            "sensor_token": f"s-{channel}",
                                            **record(matrix(*calib), w_first),
                                            "camera_intrinsic": []})
    t_ec = matrix(*calib)
    start = 0
    for s, count in enumerate(scenes):
        scene = f"scene-{61 + s:04d}"
        keys = list(range(start, start + count, 3))
        tables["scene"].append({"token": f"sc{s}", "name": scene, "log_token": "log",
                                "nbr_samples": len(keys), "description": "",
                                "first_sample_token": f"sa{keys[0]}",
                                "last_sample_token": f"sa{keys[-1]}"})
        for k in keys:
            tables["sample"].append({"token": f"sa{k}", "timestamp": US0 + k * 100_000,
                                     "scene_token": f"sc{s}", "prev": "", "next": ""})
        for k in range(start, start + count):
            us, key = US0 + k * 100_000, k in keys
            ego = camera_poses[k] @ np.linalg.inv(t_ec)
            sample = f"sa{min((x for x in keys if x >= k), default=keys[-1])}"
            for channel in ("CAM_FRONT", "CAM_BACK", "LIDAR_TOP"):
                name = f"{'samples' if key else 'sweeps'}/{channel}/n015-{us}.jpg"
                tables["ego_pose"].append({"token": f"e-{channel}-{k}", "timestamp": us,
                                           **record(ego, w_first)})
                tables["sample_data"].append({
                    "token": f"sd-{channel}-{k}", "sample_token": sample,
                    "ego_pose_token": f"e-{channel}-{k}",
                    "calibrated_sensor_token": f"c-{channel}", "timestamp": us,
                    "fileformat": "jpg", "is_key_frame": key, "height": 94, "width": 156,
                    "filename": name, "prev": "", "next": ""})
                if channel == "CAM_FRONT":
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(np.repeat(images[k], 3, axis=2)).save(root / name,
                                                                         quality=95)
        start += count
    (root / version).mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        (root / version / f"{name}.json").write_text(json.dumps(rows, indent=1))
    return root


def kitti_matrices(truth, frames):
    out = np.tile(np.eye(4), (frames, 1, 1))
    out[:, :3, :3] = Rotation.from_quat(truth.motor[:frames, 3:]).as_matrix()
    out[:, :3, 3] = truth.motor[:frames, :3]
    return out


def motions(table, i, j):
    return table.motor_spec.difference(table.motor[i], table.motor[j])


def test_nuscenes_gives_kitti_camera_motions_per_scene_with_sweeps(kitti_excerpt, tmp_path,
                                                                  read_source):
    truth, images = kitti_excerpt(20)
    root = write_nuscenes(tmp_path / "nuscenes", kitti_matrices(truth, 20), images)
    source, table, notes = read_source(f"nuscenes:{root},dofs=6dof")
    assert notes == [] and len(table) == 20
    assert table.sequence_names == ["scene-0061", "scene-0062"]
    assert table.sequence.tolist() == [0] * 10 + [1] * 10
    assert table.meta["key_frame"].tolist() == [k % 3 == 0 for k in range(10)] * 2
    np.testing.assert_allclose(table.time, np.tile(np.arange(10) / 10, 2), atol=1e-12)
    assert table.meta["timestamp_us"][10] == US0 + 1_000_000
    for first in (0, 10):  # within each scene
        i = np.concatenate([np.arange(first, first + 9), np.arange(first, first + 5)])
        j = np.concatenate([np.arange(first + 1, first + 10), np.arange(first + 5, first + 10)])
        got, want = motions(table, i, j), motions(truth, i, j)
        np.testing.assert_allclose(got[:, :3], want[:, :3], atol=1e-4)
        np.testing.assert_allclose(got[:, 3:], want[:, 3:], atol=1e-3)
    frame = source.load_image(table.refs[4]).astype(float)
    assert frame.shape == (94, 156, 3) and np.abs(frame[:, :, 0] - images[4][:, :, 0]).mean() < 3


def test_images_not_on_disk_are_skipped_and_counted(kitti_excerpt, tmp_path, read_source):
    truth, images = kitti_excerpt(20)
    root = write_nuscenes(tmp_path / "n", kitti_matrices(truth, 20), images)
    for k in (1, 2):
        next(root.glob(f"sweeps/CAM_FRONT/n015-{US0 + k * 100_000}.jpg")).unlink()
    _, table, notes = read_source(f"nuscenes:{root / 'v1.0-mini'}")  # the version folder
    assert len(table) == 18
    assert notes == ["nuscenes: skipped 2 of 20 CAM_FRONT images not on disk (a partial "
                     "download)"]


V, W = 8.0, 15.0  # m/s, deg/s: a car's constant left turn
LEVER = 1.7  # m: the camera ahead of the ego origin


def car_on_a_circle(times):
    """Ego poses of a car driving a circle to the left (body axes: x forward, y left, z up)."""
    w = np.radians(W)
    out = np.tile(np.eye(4), (len(times), 1, 1))
    out[:, :3, :3] = Rotation.from_euler("z", W * times[:, None], degrees=True).as_matrix()
    out[:, 0, 3], out[:, 1, 3] = V / w * np.sin(w * times), V / w * (1 - np.cos(w * times))
    return out


#: the camera axes (x right, y down, z forward) in ego axes, exactly; LEVER m ahead
AHEAD = ([LEVER, 0.0, 1.5], Rotation.from_matrix(
    np.array([[0.0, 0, 1], [-1, 0, 0], [0, -1, 0]])).as_quat()[[3, 0, 1, 2]].tolist())


@pytest.mark.parametrize("axes", ["camera", "body"])
def test_a_left_turn_reads_forward_left_and_yaw_left(tmp_path, read_source, axes):
    """Per 0.1 s the ego moves (V/w) sin(w dt) forward and (V/w)(1 - cos(w dt)) to the
    left, turning w dt left; the camera, LEVER m ahead, also swings LEVER sin(w dt) left."""
    times = np.arange(12) / 10
    ego = car_on_a_circle(times)
    camera = ego @ matrix(*AHEAD)
    images = [np.full((6, 8, 1), k, np.uint8) for k in range(12)]
    root = write_nuscenes(tmp_path / "turn", camera, images, scenes=(12,), calib=AHEAD)
    _, table, _ = read_source(f"nuscenes:{root},axes={axes}")
    step = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    w, dt = np.radians(W), 0.1
    left = V / w * (1 - np.cos(w * dt)) + (LEVER * np.sin(w * dt) if axes == "camera" else 0)
    forward = V / w * np.sin(w * dt) + (LEVER * (np.cos(w * dt) - 1) if axes == "camera" else 0)
    np.testing.assert_allclose(step[:, 0], forward, atol=1e-9)
    np.testing.assert_allclose(step[:, 1], -left, atol=1e-9)  # lateral: right positive
    np.testing.assert_allclose(step[:, 2], W * dt, atol=1e-7)
    assert left > 0 and (step[:, 2] > 0).all()


def test_rotations_are_read_w_first(tmp_path, read_source):
    """The same left turn with its quaternions written x, y, z, w: other motions."""
    times = np.arange(6) / 10
    camera = car_on_a_circle(times) @ matrix(*AHEAD)
    images = [np.full((6, 8, 1), k, np.uint8) for k in range(6)]
    root = write_nuscenes(tmp_path / "xyzw", camera, images, scenes=(6,), calib=AHEAD,
                          w_first=False)
    _, table, _ = read_source(f"nuscenes:{root}")
    step = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    assert np.abs(step[:, 2] - W * 0.1).max() > 1.0


def _edit(root, table, k, key, value):
    path = root / "v1.0-mini" / f"{table}.json"
    rows = json.loads(path.read_text())
    rows[k][key] = value
    path.write_text(json.dumps(rows))


@pytest.mark.parametrize("edit, message", [
    (lambda r: _edit(r, "ego_pose", 3, "rotation", [1.0, 0.0, 0.0]),
     r"ego_pose.json: ego_pose 'e-CAM_FRONT-1': field rotation: expected 4 numbers, got "
     r"\[1.0, 0.0, 0.0\]$"),
    (lambda r: _edit(r, "ego_pose", 6, "rotation", [0.0, 0.0, 0.0, 0.0]),
     r"ego_pose.json: ego_pose 'e-CAM_FRONT-2': quaternion \(rotation as w, x, y, z\) has "
     r"norm 0, expected 1$"),
    (lambda r: _edit(r, "sample_data", 3, "ego_pose_token", "nope"),
     r"sample_data.json: sample_data 'sd-CAM_FRONT-1': field ego_pose_token: 'nope' names "
     r"no record of ego_pose.json$"),
    (lambda r: _edit(r, "sample_data", 0, "timestamp", "soon"),
     r"sample_data.json: sample_data 'sd-CAM_FRONT-0': field timestamp: expected an "
     r"integer, got 'soon'$"),
    (lambda r: (r / "v1.0-mini" / "scene.json").unlink(),
     r"scene.json: missing: a nuScenes version folder holds the tables"),
    (lambda r: (r / "v1.0-mini" / "sample.json").write_text("[{"),
     r"sample.json: not valid JSON \(JSONDecodeError"),
])
def test_bad_tables_are_one_line_naming_file_record_and_field(tmp_path, edit, message):
    times = np.arange(6) / 10
    images = [np.full((6, 8, 1), k, np.uint8) for k in range(6)]
    root = write_nuscenes(tmp_path / "n", car_on_a_circle(times), images, scenes=(6,))
    edit(root)
    with pytest.raises(DataError, match=message) as e:
        open_source(f"nuscenes:{root}").table()
    assert "\n" not in str(e.value) and str(e.value).startswith(str(root / "v1.0-mini"))


@pytest.mark.parametrize("channel, why", [("LIDAR_TOP", "is not a camera"),
                                          ("CAM_SIDE", "is not in the table")])
def test_a_channel_that_is_not_a_camera_lists_the_cameras(tmp_path, channel, why):
    images = [np.full((6, 8, 1), k, np.uint8) for k in range(3)]
    root = write_nuscenes(tmp_path / "n", car_on_a_circle(np.arange(3) / 10), images,
                          scenes=(3,))
    with pytest.raises(DataError, match=rf"sensor.json: channel '{channel}' {why}; choose "
                                        r"channel= among the cameras: CAM_BACK, CAM_FRONT$"):
        open_source(f"nuscenes:{root},channel={channel}").table()
    with pytest.raises(DataError, match=r"no nuScenes tables folder 'v1.0-trainval'"):
        open_source(f"nuscenes:{root},version=v1.0-trainval")


def test_non_finite_pose_refused_by_data_info_and_train(tmp_path, capsys):
    images = [np.full((6, 8, 1), k, np.uint8) for k in range(6)]
    root = write_nuscenes(tmp_path / "n", car_on_a_circle(np.arange(6) / 10), images,
                          scenes=(6,))
    path = root / "v1.0-mini" / "ego_pose.json"
    rows = json.loads(path.read_text())
    rows[9]["translation"][1] = float("nan")  # CAM_FRONT's frame 3; json writes NaN
    path.write_text(json.dumps(rows))
    for argv in (["data", "info", f"nuscenes:{root}"],
                 ["train", "--dataset", f"nuscenes:{root}", "--out", str(tmp_path / "r"),
                  "--iters", "2"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == (
            f"egoequiv: error: {path}: ego_pose 'e-CAM_FRONT-3': translation[1] is nan, "
            "expected a finite number (1 of 6 poses are not finite)")
    assert not (tmp_path / "r").exists()


def test_data_info_and_a_short_training_run(kitti_excerpt, tmp_path, capsys):
    truth, images = kitti_excerpt(20)
    root = write_nuscenes(tmp_path / "n", kitti_matrices(truth, 20), images)
    spec = f"nuscenes:{root},channel=CAM_FRONT"
    assert main(["data", "info", "--json", spec]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 20 and info["num_sequences"] == 2
    assert info["motion_patterns"]["num_pairs"] > 0
    assert main(["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "3",
                 "--quiet", *TINY]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["iterations"] == 3
