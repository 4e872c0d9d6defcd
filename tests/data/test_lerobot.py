"""lerobot: LeRobot datasets (codebase v2.1 and v3.0) written here with pyarrow and PyAV from
the real KITTI odometry excerpt: its frames as two cameras' mp4 episodes (H.264, and AV1
where PyAV's encoder has it), its camera poses and headings as parquet features."""

from __future__ import annotations

import json
import os
import warnings
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from egoequiv.cli.main import main
from egoequiv.data.kitti_odometry import KittiOdometrySource
from egoequiv.data.registry import open_source
from egoequiv.errors import ConfigError, DataError

av = pytest.importorskip("av")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FPS = 10
EPISODES = (8, 7, 5)  # frames of KITTI's excerpt per episode, in order
FRONT, WRIST = "observation.images.front", "observation.images.wrist"
STATE_NAMES = {"v2.1": ["x", "y", "z", "qx", "qy", "qz", "qw", "gripper"],
               "v3.0": ["gripper", "tx", "ty", "tz", "qw", "qx", "qy", "qz"]}  # w first
CODECS = {"h264": "libx264", "av1": "libsvtav1"}
TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def kitti(shared_data, motor="pose"):
    source = KittiOdometrySource(str(shared_data / "kitti_odometry" / "KITTI_sequence_2"),
                                 **({"dofs": "6dof"} if motor == "pose" else {"motor": motor}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = source.table()
    images = [source.load_image(r)[::4, ::8] for r in table.refs[:sum(EPISODES)]]  # 94x156
    return table, images


def encode(path, frames, codec="h264"):
    """An mp4 of grey frames (H, W, 1) at FPS, frame k at pts k / FPS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1's encoder: errors only on stderr
    with av.open(str(path), "w") as out:
        stream = out.add_stream(CODECS[codec], rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 156, 94, "yuv420p"
        if codec == "av1":
            stream.options = {"preset": "12"}
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.repeat(image, 3, axis=2), format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def state_rows(poses, version):
    """observation.state: the pose's 7 numbers and a gripper, in STATE_NAMES' order."""
    named = {"x": 0, "y": 1, "z": 2, "qx": 3, "qy": 4, "qz": 5, "qw": 6, "tx": 0, "ty": 1,
             "tz": 2}
    return [[0.5 if n == "gripper" else float(p[named[n]]) for n in STATE_NAMES[version]]
            for p in poses]


def frames_table(k0, episode, index0, poses, headings, version, timestamps=None):
    n = len(poses)
    vec = pa.list_(pa.float32())
    return pa.table({
        "observation.state": pa.array(state_rows(poses, version), type=vec),
        "action": pa.array(headings.tolist(), type=vec),
        "timestamp": pa.array(np.arange(n) / FPS if timestamps is None else timestamps,
                              pa.float32()),
        "frame_index": pa.array(np.arange(n), pa.int64()),
        "episode_index": pa.array([episode] * n, pa.int64()),
        "index": pa.array(index0 + np.arange(n), pa.int64()),
        "task_index": pa.array([0] * n, pa.int64()),
    })


def info_json(version, codec="h264"):
    video = {"dtype": "video", "shape": [94, 156, 3], "names": ["height", "width", "channels"],
             "info": {"video.fps": float(FPS), "video.height": 94, "video.width": 156,
                      "video.channels": 3, "video.codec": codec, "video.pix_fmt": "yuv420p",
                      "video.is_depth_map": False, "has_audio": False}}
    scalar = {"shape": [1], "names": None}
    v2 = version == "v2.1"
    return {
        "codebase_version": version, "robot_type": "kitti_car", "total_episodes": 3,
        "total_frames": sum(EPISODES), "total_tasks": 1, "chunks_size": 1000, "fps": FPS,
        "splits": {"train": "0:3"},
        "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
        if v2 else "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/episode_"
                      "{episode_index:06d}.mp4" if v2 else
                      "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {
            FRONT: video, WRIST: video,
            "observation.state": {"dtype": "float32", "shape": [8],
                                  "names": STATE_NAMES[version]},
            "action": {"dtype": "float32", "shape": [2], "names": ["heading_deg", "odometer"]},
            "timestamp": {"dtype": "float32", **scalar},
            **{k: {"dtype": "int64", **scalar} for k in ("frame_index", "episode_index",
                                                         "index", "task_index")}}}


def write_lerobot(root, version, truth, headings, images, codec="h264"):
    """Three episodes (EPISODES frames of the excerpt); the wrist camera sees the frames
    upside down. v2.1: a file per episode; v3.0: episodes 0 and 1 share data and video
    file 000, episode 2 is in file 001."""
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps(info_json(version, codec), indent=4))
    starts = [int(s) for s in np.cumsum([0, *EPISODES])]
    parts = [(e, starts[e], starts[e + 1]) for e in range(len(EPISODES))]
    if version == "v2.1":
        for e, a, b in parts:
            table = frames_table(a, e, a, truth.motor[a:b], headings[a:b], version)
            (root / "data" / "chunk-000").mkdir(parents=True, exist_ok=True)
            pq.write_table(table, root / f"data/chunk-000/episode_{e:06d}.parquet")
            for key, flip in ((FRONT, 1), (WRIST, -1)):
                encode(root / f"videos/chunk-000/{key}/episode_{e:06d}.mp4",
                       [im[::flip] for im in images[a:b]], codec)
        (root / "meta" / "episodes.jsonl").write_text("".join(
            json.dumps({"episode_index": e, "tasks": ["drive"], "length": b - a}) + "\n"
            for e, a, b in parts))
        return root
    files = {0: parts[:2], 1: parts[2:]}
    episodes = []
    for f, eps in files.items():
        tables = [frames_table(a, e, a, truth.motor[a:b], headings[a:b], version)
                  for e, a, b in eps]
        (root / "data" / "chunk-000").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.concat_tables(tables), root / f"data/chunk-000/file-{f:03d}.parquet")
        a0, b1 = eps[0][1], eps[-1][2]
        for key, flip in ((FRONT, 1), (WRIST, -1)):
            encode(root / f"videos/{key}/chunk-000/file-{f:03d}.mp4",
                   [im[::flip] for im in images[a0:b1]], codec)
        for e, a, b in eps:
            row = {"episode_index": e, "tasks": ["drive"], "length": b - a,
                   "data/chunk_index": 0, "data/file_index": f,
                   "dataset_from_index": a, "dataset_to_index": b}
            for key in (FRONT, WRIST):
                row |= {f"videos/{key}/chunk_index": 0, f"videos/{key}/file_index": f,
                        f"videos/{key}/from_timestamp": (a - a0) / FPS,
                        f"videos/{key}/to_timestamp": (b - a0) / FPS}
            episodes.append(row | {"meta/episodes/chunk_index": 0,
                                   "meta/episodes/file_index": 0})
    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(episodes),
                   root / "meta/episodes/chunk-000/file-000.parquet")
    pq.write_table(pa.table({"task_index": [0], "task": ["drive"]}),
                   root / "meta/tasks.parquet")
    return root


def dataset(shared_data, tmp_path, version, codec="h264", name="ds"):
    truth, images = kitti(shared_data)
    heading = kitti(shared_data, motor="heading")[0].motor
    return write_lerobot(tmp_path / name, version, truth, heading, images, codec), truth, \
        images


def motions(table, i, j):
    return table.motor_spec.difference(table.motor[i], table.motor[j])


def closest(frame, images):
    """The index of the image a decoded (lossy) frame is nearest to."""
    return int(np.argmin([np.abs(frame[:, :, 0].astype(float) - im[:, :, 0]).mean()
                          for im in images]))


@pytest.mark.parametrize("version, codec", [("v2.1", "h264"), ("v3.0", "h264"),
                                            ("v3.0", "av1")])
def test_episodes_give_kitti_motions_and_their_own_frames(shared_data, tmp_path,
                                                          read_source, version, codec):
    if codec == "av1" and CODECS["av1"] not in av.codecs_available:
        pytest.skip("this PyAV has no SVT-AV1 encoder")
    root, truth, images = dataset(shared_data, tmp_path, version, codec)
    source, table, notes = read_source(f"lerobot:{root},camera={FRONT},"
                                       "pose=observation.state,dofs=6dof")
    assert notes == [] and len(table) == 20
    assert table.sequence_names == ["episode_000000", "episode_000001", "episode_000002"]
    assert table.sequence.tolist() == [0] * 8 + [1] * 7 + [2] * 5
    np.testing.assert_array_equal(table.time[8:15], np.arange(7) / FPS)  # on the fps grid
    assert table.meta["frame_index"].tolist() == [*range(8), *range(7), *range(5)]
    episode = table.sequence  # pairs within an episode, 1 and 3 frames apart
    i, j = np.array([(a, b) for a in range(20) for b in (a + 1, a + 3)
                     if b < 20 and episode[a] == episode[b]]).T
    got, want = motions(table, i, j), motions(truth, i, j)
    np.testing.assert_allclose(got[:, :3], want[:, :3], atol=1e-4)
    np.testing.assert_allclose(got[:, 3:], want[:, 3:], atol=1e-3)
    frames = [f for rows in source.chunks(table.refs)
              for f in source.load_chunk([table.refs[k] for k in rows])]
    assert frames[0].shape == (94, 156, 3)
    assert [closest(f, images) for f in frames] == list(range(20))  # v3.0: offsets kept


def test_float32_timestamps_are_put_on_the_frame_grid_and_others_kept():
    """float32 seconds, as LeRobot stores them: frames ten apart at 10 fps read 1 s apart,
    inside a 1 s window; a timestamp 3 ms off the grid is kept as it is."""
    from egoequiv.data.lerobot import on_frame_grid

    stored = (np.arange(2000) / FPS).astype(np.float32)  # 200 s
    apart = stored[10:].astype(np.float64) - stored[:-10]
    assert (apart > 1.0 + 1e-6).any()  # float32 rounding, beyond the pairs' tolerance
    times = on_frame_grid(stored, FPS)
    np.testing.assert_array_equal(times, np.arange(2000) / FPS)
    off = on_frame_grid(np.float32([0.0, 0.103, 0.2]), FPS)
    assert off[1] == np.float64(np.float32(0.103)) and off[2] == 0.2


def test_an_fps_the_timestamps_contradict_is_named(shared_data, tmp_path, read_source):
    root, _, _ = dataset(shared_data, tmp_path, "v2.1")
    _info(root, fps=30)
    _, table, notes = read_source(f"lerobot:{root},camera={FRONT},pose=observation.state")
    assert notes == [f"{root / 'meta' / 'info.json'}: fps is 30, but episode 0's timestamps "
                     "step by 0.1 s (10 fps): the timestamps are used"]
    np.testing.assert_allclose(table.time[:8], np.arange(8) / FPS, atol=1e-6)


def test_the_camera_key_and_an_episode_subset(shared_data, tmp_path, read_source):
    root, truth, images = dataset(shared_data, tmp_path, "v3.0")
    source, table, _ = read_source(f"lerobot:{root},camera={WRIST},pose=observation.state,"
                                   "episodes=1-2")
    assert table.sequence_names == ["episode_000001", "episode_000002"] and len(table) == 12
    upside_down = [im[::-1] for im in images]
    assert [closest(source.load_image(r), upside_down) for r in table.refs[:3]] == [8, 9, 10]
    assert closest(source.load_image(table.refs[7]), upside_down) == 15  # file 001


def test_a_motor_feature_reads_plain_positions_by_name(shared_data, tmp_path, read_source):
    root, _, _ = dataset(shared_data, tmp_path, "v2.1")
    heading = kitti(shared_data, motor="heading")[0]
    _, table, _ = read_source(f"lerobot:{root},camera={FRONT},motor=action")
    assert table.motor_spec.names == ("heading_deg", "odometer")
    assert table.motor_spec.periods == (360.0, None)  # _deg: an angle
    i, j = np.arange(7), np.arange(1, 8)
    np.testing.assert_allclose(motions(table, i, j), motions(heading, i, j), atol=1e-3)
    _, one, _ = read_source(f"lerobot:{root},camera={FRONT},motor=action,fields=odometer")
    assert one.motor_spec.names == ("odometer",) and one.motor.shape == (20, 1)


def test_without_a_choice_data_info_lists_cameras_and_features(shared_data, tmp_path,
                                                               capsys):
    root, _, _ = dataset(shared_data, tmp_path, "v2.1")
    assert main(["data", "info", f"lerobot:{root}"]) == 2
    out, err = capsys.readouterr()
    assert f"{FRONT}" in out and "camera (h264 94x156)" in out
    assert "float32[8]: x, y, z, qx, qy, qz, qw, gripper" in out
    rows = out.splitlines()  # two cameras, two vector features, each the dataset's frames
    assert len(rows) == 4 and all(r.endswith(" 20 frames") for r in rows), rows
    assert err.strip() == (f"egoequiv: error: {root}: choose the camera with camera=KEY; the "
                           f"dataset has cameras: {FRONT}, {WRIST}; vector features: "
                           "observation.state (x, y, z, qx, qy, qz, qw, gripper); action "
                           "(heading_deg, odometer)")
    assert main(["data", "info", f"lerobot:{root},camera={FRONT}"]) == 2
    assert "choose the motion with pose=KEY or motor=KEY" in capsys.readouterr().err


SPEED, TURN = 1.5, 12.0  # m/s along the world's z; deg/s, a left turn


def test_a_left_turn_reads_forward_right_of_the_path_and_yaw_left(tmp_path, read_source):
    """A camera going along the world's z while turning left about the world's up (-y):
    per frame forward v dt cos(theta), lateral +v dt sin(theta) (the straight path lies to
    the right of a camera that turned left), yaw +TURN dt."""
    from scipy.spatial.transform import Rotation

    times = np.arange(sum(EPISODES)) / FPS
    pose = np.concatenate([np.stack([0 * times, 0 * times, SPEED * times], axis=1),
                           Rotation.from_euler("y", -TURN * times[:, None], degrees=True)
                           .as_quat()], axis=1)
    images = [np.full((94, 156, 1), 10 * k, np.uint8) for k in range(len(times))]
    root = write_lerobot(tmp_path / "turn", "v2.1", SimpleNamespace(motor=pose),
                         np.zeros((len(times), 2)), images)
    _, table, _ = read_source(f"lerobot:{root},camera={FRONT},pose=observation.state,"
                              "episodes=1")  # frames 8-14: 9.6-16.8 deg turned
    step = table.motor_spec.difference(table.motor[:-1], table.motor[1:])
    theta, dt = np.radians(TURN * times[8:14]), 1 / FPS
    np.testing.assert_allclose(step[:, 0], SPEED * dt * np.cos(theta), atol=1e-5)  # float32
    np.testing.assert_allclose(step[:, 1], SPEED * dt * np.sin(theta), atol=1e-5)
    np.testing.assert_allclose(step[:, 2], TURN * dt, atol=1e-4)
    assert (step[:, 1] > 0).all() and (step[:, 2] > 0).all()


def test_an_av1_stream_without_a_decoder_names_what_to_install(tmp_path):
    from egoequiv.data.lerobot import check_decoder

    with pytest.raises(DataError, match=r"x.mp4: no decoder for its av1 stream: PyAV has no "
                                        r"AV1 decoder here: pip install --upgrade av"):
        check_decoder(tmp_path / "x.mp4", SimpleNamespace(codec_context=None), "av1")
    check_decoder(tmp_path / "x.mp4", SimpleNamespace(codec_context=object()), "av1")


def _info(root, **changes):
    info = json.loads((root / "meta" / "info.json").read_text())
    info.update(changes)
    (root / "meta" / "info.json").write_text(json.dumps(info))


@pytest.mark.parametrize("edit, spec, message", [
    (lambda r: _info(r, codebase_version="v1.6"), "pose=observation.state",
     r"meta/info.json: field codebase_version: 'v1.6'; expected one of v2.0, v2.1, v3.0$"),
    (lambda r: _info(r, fps=0), "pose=observation.state",
     r"meta/info.json: field fps: expected a positive number, got 0$"),
    (lambda r: None, "pose=action",
     r"meta/info.json: feature action: names \[heading_deg, odometer\] do not name a pose: "
     r"missing x, y, z, qx, qy, qz, qw"),
    (lambda r: None, "motor=action,fields=speed",
     r"meta/info.json: feature action: fields speed are not among its names "
     r"\(heading_deg, odometer\)$"),
    (lambda r: (r / f"videos/chunk-000/{FRONT}/episode_000001.mp4").unlink(),
     "pose=observation.state",
     r"episode_000001.mp4: missing: the video file of episode 1 \(listed in .*episodes.jsonl\)$"),
    (lambda r: encode(r / f"videos/chunk-000/{FRONT}/episode_000000.mp4",
                      [np.zeros((94, 156, 1), np.uint8)] * 5), "pose=observation.state",
     r"episode_000000.mp4: episode 0 frame_index 5: no video frame at 0.5000 s \(the nearest "
     r"is at 0.4000 s, more than half a frame at 10 fps away; the video has 5 frames\)$"),
    (lambda r: None, "pose=observation.state,episodes=3",
     r"meta: episodes=3: episode 3 is not in the dataset \(3 episodes: 0-2\)$"),
    (lambda r: None, "camera=observation.images.top,pose=observation.state",
     r"no camera 'observation.images.top'; the dataset has cameras: "),
])
def test_bad_inputs_are_one_line_naming_file_and_field(shared_data, tmp_path, edit, spec,
                                                       message):
    root, _, _ = dataset(shared_data, tmp_path, "v2.1")
    edit(root)
    if "camera=" not in spec:
        spec = f"camera={FRONT},{spec}"
    with pytest.raises(DataError, match=message) as e:
        open_source(f"lerobot:{root},{spec}").table()
    assert "\n" not in str(e.value) and str(e.value).startswith(str(root))


@pytest.mark.parametrize("spec, message", [
    ("pose=observation.state,motor=action", r"give pose= or motor=, not both"),
    ("motor=action,episodes=two", r"episodes='two': expected indices and ranges joined by +"),
    ("pose=observation.state,fields=x", r"fields= picks entries of motor=KEY"),
])
def test_bad_options_are_one_line(tmp_path, spec, message):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "info.json").write_text(json.dumps(info_json("v2.1")))
    with pytest.raises(ConfigError, match=message):
        open_source(f"lerobot:{tmp_path},{spec}")


def test_non_finite_state_refused_by_data_info_and_train(shared_data, tmp_path, capsys):
    root, _, _ = dataset(shared_data, tmp_path, "v3.0")
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    state = table.column("observation.state").to_pylist()
    state[10][2] = float("nan")  # episode 1, frame 2: ty
    pq.write_table(table.set_column(0, "observation.state",
                                    pa.array(state, type=pa.list_(pa.float32()))), path)
    spec = f"lerobot:{root},camera={FRONT},pose=observation.state"
    for argv in (["data", "info", spec],
                 ["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "2"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.strip() == (
            f"egoequiv: error: {path}: episode 1 frame_index 2: observation.state.ty is nan, "
            "expected a finite number (1 of 7 poses are not finite)")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("version", ["v2.1", "v3.0"])
def test_data_info_and_a_short_training_run(shared_data, tmp_path, capsys, version):
    root, _, _ = dataset(shared_data, tmp_path, version)
    spec = f"lerobot:{root},camera={FRONT},pose=observation.state"
    assert main(["data", "info", "--json", spec]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 20 and info["num_sequences"] == 3
    assert info["motion_patterns"]["num_pairs"] > 0
    assert main(["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "3",
                 "--quiet", *TINY]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["iterations"] == 3
