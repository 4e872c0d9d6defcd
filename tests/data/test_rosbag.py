"""rosbag: ROS 1 and ROS 2 bags written here with rosbags' own writers, from the real KITTI
odometry excerpt (its images and ground-truth poses), then read back with ``rosbag:``."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.kitti_odometry import KittiOdometrySource
from egoequiv.data.pose import BODY_TO_CAMERA
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError

rosbags = pytest.importorskip("rosbags")
from rosbags.typesys import Stores, get_typestore  # noqa: E402

STORE = get_typestore(Stores.ROS2_HUMBLE)
STORE1 = get_typestore(Stores.ROS1_NOETIC)  # ROS 1 messages: a Header with a seq field
if "tf2_msgs/msg/TFMessage" not in STORE1.types:  # noetic's store lacks it; its definition:
    from rosbags.typesys import get_types_from_msg

    STORE1.register(get_types_from_msg("geometry_msgs/TransformStamped[] transforms",
                                       "tf2_msgs/msg/TFMessage"))
types = STORE.types  # rebound by write_bag for a ROS 1 bag
T0 = 1000.0  # the bag clock (s); small, so float seconds keep nanoseconds
CAMERA_RATE, POSE_RATE = 10.0, 20.0  # KITTI's 10 Hz camera; poses at another rate


def kitti(shared_data, frames=20):
    source = KittiOdometrySource(str(shared_data / "kitti_odometry" / "KITTI_sequence_2"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = source.table()
    images = [source.load_image(r)[:, ::8][::8] for r in table.refs[:frames]]  # 47 x 156
    return table, images


def stamp(t):
    sec = int(t)
    return types["builtin_interfaces/msg/Time"](sec=sec, nanosec=int(round((t - sec) * 1e9)))


def header(t, frame):
    if "seq" in types["std_msgs/msg/Header"].__dataclass_fields__:
        return types["std_msgs/msg/Header"](seq=0, stamp=stamp(t), frame_id=frame)
    return types["std_msgs/msg/Header"](stamp=stamp(t), frame_id=frame)


def image_msg(img, t, compressed, encoding="mono8"):
    if compressed:
        buf = io.BytesIO()
        Image.fromarray(img[:, :, 0]).save(buf, format="PNG")
        return types["sensor_msgs/msg/CompressedImage"](
            header=header(t, "cam"), format="png", data=np.frombuffer(buf.getvalue(), np.uint8))
    if encoding == "rgb8":  # the grey frame in the red channel
        rgb = np.zeros((*img.shape[:2], 3), np.uint8)
        rgb[..., 0] = img[..., 0]
        return types["sensor_msgs/msg/Image"](
            header=header(t, "cam"), height=img.shape[0], width=img.shape[1], encoding="rgb8",
            is_bigendian=0, step=3 * img.shape[1], data=rgb.ravel())
    return types["sensor_msgs/msg/Image"](
        header=header(t, "cam"), height=img.shape[0], width=img.shape[1], encoding="mono8",
        is_bigendian=0, step=img.shape[1], data=img[:, :, 0].ravel().copy())


def pose_values(table, times):
    """The KITTI poses (10 Hz) at ``times`` (s from the first frame), interpolated as the
    reader does: the 10 Hz frames lie on the 20 Hz pose grid, so they get KITTI's poses."""
    from egoequiv.data.pose import interpolate_poses

    keep, out = interpolate_poses(table.time, table.motor, times, tolerance=1.0)
    assert keep.all()
    return out


def odom_msg(values, t, frame="odom"):
    point = types["geometry_msgs/msg/Point"](x=values[0], y=values[1], z=values[2])
    quat = types["geometry_msgs/msg/Quaternion"](x=values[3], y=values[4], z=values[5],
                                                 w=values[6])
    pose = types["geometry_msgs/msg/Pose"](position=point, orientation=quat)
    cov = types["geometry_msgs/msg/PoseWithCovariance"](pose=pose, covariance=np.zeros(36))
    zero = types["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=0.0)
    twist = types["geometry_msgs/msg/TwistWithCovariance"](
        twist=types["geometry_msgs/msg/Twist"](linear=zero, angular=zero),
        covariance=np.zeros(36))
    return types["nav_msgs/msg/Odometry"](header=header(t, frame), child_frame_id="base",
                                          pose=cov, twist=twist)


def tf_msg(values, t, parent, child):
    tr = types["geometry_msgs/msg/Transform"](
        translation=types["geometry_msgs/msg/Vector3"](x=values[0], y=values[1], z=values[2]),
        rotation=types["geometry_msgs/msg/Quaternion"](x=values[3], y=values[4], z=values[5],
                                                       w=values[6]))
    stamped = types["geometry_msgs/msg/TransformStamped"](header=header(t, parent),
                                                          child_frame_id=child, transform=tr)
    return types["tf2_msgs/msg/TFMessage"](transforms=[stamped])


def write_bag(path, table, images, ros1=False, compressed=False, pose_span=None, body=False,
              mcap=False, nan_poses=(), encoding="mono8"):
    """A camera topic at 10 Hz and odometry + /tf at 25 Hz, from the KITTI excerpt;
    ``nan_poses``: the pose messages whose position x is NaN."""
    global types
    store = STORE1 if ros1 else STORE
    types = store.types
    if ros1:
        from rosbags.rosbag1 import Writer

        writer, serialize = Writer(path), store.serialize_ros1
    else:
        from rosbags.rosbag2 import StoragePlugin, Writer

        plugin = StoragePlugin.MCAP if mcap else StoragePlugin.SQLITE3
        writer = Writer(path, version=9, storage_plugin=plugin)
        serialize = store.serialize_cdr
    cam_type = "sensor_msgs/msg/CompressedImage" if compressed else "sensor_msgs/msg/Image"
    n = len(images)
    span = pose_span or (0.0, (n - 1) / CAMERA_RATE)
    pose_t = np.arange(span[0], span[1] + 1e-9, 1 / POSE_RATE)
    poses = pose_values(table, pose_t)
    if body:  # the same camera poses written in ROS body axes (x forward, y left, z up)
        from scipy.spatial.transform import Rotation

        c = BODY_TO_CAMERA
        rot = Rotation.from_matrix(c.T @ Rotation.from_quat(poses[:, 3:]).as_matrix() @ c)
        poses = np.concatenate([poses[:, :3] @ c, rot.as_quat()], axis=1)
    poses[list(nan_poses), 0] = np.nan
    events = [(T0 + k / CAMERA_RATE, "cam", k) for k in range(n)]
    events += [(T0 + t, "pose", k) for k, t in enumerate(pose_t)]
    with writer:
        kw = {} if ros1 else {"serialization_format": "cdr"}
        cam = writer.add_connection("/camera/image", cam_type, typestore=store, **kw)
        odom = writer.add_connection("/odom", "nav_msgs/msg/Odometry", typestore=store, **kw)
        tf = writer.add_connection("/tf", "tf2_msgs/msg/TFMessage", typestore=store, **kw)
        for t, kind, k in sorted(events):
            ns = int(round(t * 1e9))
            if kind == "cam":
                writer.write(cam, ns, serialize(image_msg(images[k], t, compressed, encoding),
                                                cam_type))
            else:
                writer.write(odom, ns, serialize(odom_msg(poses[k], t), "nav_msgs/msg/Odometry"))
                writer.write(tf, ns, serialize(tf_msg(poses[k], t, "odom", "base"),
                                               "tf2_msgs/msg/TFMessage"))
    return path


@pytest.mark.parametrize("ros1, mcap", [(False, False), (False, True), (True, False)],
                         ids=["ros2-db3", "ros2-mcap", "ros1"])
def test_bag_gives_back_kitti_motions_frames_and_times(shared_data, tmp_path, ros1, mcap,
                                                       read_source):
    kt, images = kitti(shared_data)
    bag = write_bag(tmp_path / ("run.bag" if ros1 else "run"), kt, images, ros1=ros1,
                    mcap=mcap)
    source, table, notes = read_source(f"rosbag:{bag},image=/camera/image,odom=/odom,axes=camera")
    assert notes == [] and len(table) == 20 and table.sequence_names == ["run"]
    np.testing.assert_allclose(table.time, np.arange(20) / CAMERA_RATE, atol=1e-6)
    assert table.motor_spec.names == ("forward", "lateral", "yaw")
    i, j = np.arange(19), np.arange(1, 20)
    want = kt.motor_spec.difference(kt.motor[i], kt.motor[j])
    got = table.motor_spec.difference(table.motor[i], table.motor[j])
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.all(table.meta["message"] == np.arange(20))  # bag order kept
    for k in (0, 7, 19):
        np.testing.assert_array_equal(source.load_image(table.refs[k]), images[k])
    chunk = source.load_chunk(table.refs[3:9])
    np.testing.assert_array_equal(np.stack(chunk), np.stack(images[3:9]))


def test_compressed_images_tf_and_body_axes(shared_data, tmp_path, read_source):
    kt, images = kitti(shared_data, frames=12)
    bag = write_bag(tmp_path / "tf", kt, images, compressed=True, body=True)
    source, table, _ = read_source(f"rosbag:{bag},image=/camera/image,tf=odom:base,dofs=6dof")
    assert table.motor_spec.axes == "body" and len(table) == 12
    camera = open_source(f"kitti-odometry:{shared_data / 'kitti_odometry' / 'KITTI_sequence_2'}"
                         ",dofs=6dof")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ct = camera.table()
    i, j = np.arange(11), np.arange(1, 12)
    np.testing.assert_allclose(table.motor_spec.difference(table.motor[i], table.motor[j]),
                               ct.motor_spec.difference(ct.motor[i], ct.motor[j]), atol=1e-6)
    np.testing.assert_array_equal(source.load_image(table.refs[5]), images[5])


def test_frames_outside_the_pose_log_are_dropped_and_counted(shared_data, tmp_path, read_source):
    kt, images = kitti(shared_data, frames=20)
    bag = write_bag(tmp_path / "short", kt, images, pose_span=(0.45, 1.5))
    _, table, notes = read_source(f"rosbag:{bag},image=/camera/image,odom=/odom")
    assert len(table) == 11  # frames at 0.5 .. 1.5 s
    assert any("dropped 9 of 20 frames of /camera/image" in n for n in notes)
    np.testing.assert_allclose(table.meta["stamp"] - T0, np.arange(5, 16) / CAMERA_RATE,
                               atol=1e-6)


def test_without_topics_lists_them_and_wrong_topic_names_the_existing(shared_data, tmp_path):
    kt, images = kitti(shared_data, frames=4)
    bag = write_bag(tmp_path / "b", kt, images)
    source = open_source(f"rosbag:{bag}")
    topics = {t["topic"]: t for t in source.topics()}
    assert topics["/camera/image"]["type"] == "sensor_msgs/msg/Image"
    assert topics["/camera/image"]["count"] == 4 and topics["/odom"]["count"] == 7
    with pytest.raises(DataError, match=r"choose the camera with image=TOPIC .* /camera/image "
                                        r"\(sensor_msgs/msg/Image\); /odom") as refused:
        source.table()
    example = f"e.g. rosbag:{bag},image=/camera/image,odom=/odom (poses are read in ROS body"
    assert example in str(refused.value)
    with pytest.raises(DataError, match=r"no topic '/cam' for image=; the bag has: "
                                        r"/camera/image \(sensor_msgs/msg/Image\)"):
        open_source(f"rosbag:{bag},image=/cam,odom=/odom").table()
    with pytest.raises(DataError, match=r"topic /odom is nav_msgs/msg/Odometry, expected"):
        open_source(f"rosbag:{bag},image=/odom,odom=/odom").table()


def test_convert_writes_frames_csv_with_the_same_motions(shared_data, tmp_path, read_source):
    from egoequiv.cli.main import main

    kt, images = kitti(shared_data, frames=6)
    spec = f"rosbag:{write_bag(tmp_path / 'b', kt, images)},image=/camera/image,odom=/odom"
    assert main(["data", "convert", spec, str(tmp_path / "out")]) == 0
    _, bag, _ = read_source(spec)
    _, csv, _ = read_source(f"frames-csv:{tmp_path / 'out' / 'frames.csv'}")
    assert csv.motor_spec == bag.motor_spec  # axes=body, dofs forward+lateral+yaw
    i, j = np.arange(5), np.arange(1, 6)
    np.testing.assert_allclose(csv.motor_spec.difference(csv.motor[i], csv.motor[j]),
                               bag.motor_spec.difference(bag.motor[i], bag.motor[j]),
                               atol=1e-9)
    frame = np.asarray(Image.open(tmp_path / "out" / "images" / "0000003.png"))
    np.testing.assert_array_equal(frame, images[3][:, :, 0])


def test_a_folder_of_bags_is_one_sequence_per_bag(shared_data, tmp_path, read_source,
                                                  monkeypatch):
    """input: a folder holding a ROS 2 bag of 12 frames and a ROS 1 bag of 8 (and a stray
    file); each bag read alone is the truth."""
    from egoequiv.data.cache import load_frames
    from egoequiv.motion.pairs import neighbour_pairs

    kt, images = kitti(shared_data, frames=12)
    folder = tmp_path / "bags"
    folder.mkdir()
    write_bag(folder / "a", kt, images)
    write_bag(folder / "b.bag", kt, images[:8], ros1=True)
    (folder / "notes.txt").write_text("not a bag")
    topics = ",image=/camera/image,odom=/odom,axes=camera"
    source, table, notes = read_source(f"rosbag:{folder}{topics}")
    assert notes == [] and table.sequence_names == ["a", "b"]
    assert np.bincount(table.sequence).tolist() == [12, 8]
    for k, bag in enumerate(("a", "b.bag")):
        _, alone, _ = read_source(f"rosbag:{folder / bag}{topics}")
        np.testing.assert_array_equal(table.motor[table.sequence == k], alone.motor)
        np.testing.assert_array_equal(table.time[table.sequence == k], alone.time)
    pairs = neighbour_pairs(table)
    assert len(pairs) and np.all(table.sequence[pairs.i] == table.sequence[pairs.j])
    refs = table.refs[10:14]  # the last two frames of a, the first two of b
    assert [len(c) for c in source.chunks(table.refs)] == [12, 8]  # a job reads one bag
    np.testing.assert_array_equal(np.stack(source.load_chunk(refs)),
                                  np.stack(images[10:12] + images[0:2]))
    assert source.default_channels == 1  # mono8: one channel end to end
    frames = load_frames(source, 16, source.default_channels, workers=1, quiet=True)
    assert frames.images.shape == (20, 16, 16, 1)
    topics_listed = {t["topic"]: t["count"] for t in source.topics()}
    assert topics_listed["/camera/image"] == 20  # counted over both bags
    monkeypatch.chdir(tmp_path)  # named from elsewhere, the same bags reuse their cache
    assert open_source(f"rosbag:bags{topics}").fingerprint() == source.fingerprint()


def test_a_colour_bag_keeps_three_channels(shared_data, tmp_path, read_source):
    """input: a bag of rgb8 images (KITTI's grey frame in the red channel only)."""
    kt, images = kitti(shared_data, frames=4)
    bag = write_bag(tmp_path / "c", kt, images, encoding="rgb8")
    source, table, _ = read_source(f"rosbag:{bag},image=/camera/image,odom=/odom")
    assert source.default_channels == 3
    img = source.load_image(table.refs[1])
    assert img.shape[2] == 3 and img[..., 1:].max() == 0
    np.testing.assert_array_equal(img[..., 0], images[1][..., 0])


def test_a_folder_without_bags_is_refused_by_name(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.txt").write_text("")
    with pytest.raises(DataError, match=r"empty: not a ROS 2 bag folder \(no metadata.yaml\) "
                                        r"and holds no bags"):
        open_source(f"rosbag:{tmp_path / 'empty'}")


def test_not_a_bag(tmp_path):
    (tmp_path / "x.bag").write_bytes(b"not a bag at all")
    with pytest.raises(DataError, match=r"x.bag: cannot read ROS bag"):
        open_source(f"rosbag:{tmp_path / 'x.bag'},image=/a,odom=/b").table()
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataError, match=r"folder: not a ROS 2 bag folder"):
        open_source(f"rosbag:{tmp_path / 'folder'}")


def test_nan_odometry_positions_are_refused_naming_the_message(shared_data, tmp_path, capsys):
    """input: a bag whose /odom messages 3 and 7 have position x NaN (finding 8)."""
    from egoequiv.cli.main import main

    kt, images = kitti(shared_data, frames=8)
    bag = write_bag(tmp_path / "b", kt, images, nan_poses=(3, 7))
    spec = f"rosbag:{bag},image=/camera/image,odom=/odom"
    for argv in (["data", "info", spec],
                 ["train", "--dataset", spec, "--out", str(tmp_path / "r"), "--iters", "2"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"egoequiv: error: {bag}: odom=/odom message 3: pose.position.x is nan, "
                       "expected a finite number (2 of 15 poses are not finite)")
    assert not (tmp_path / "r").exists()


def test_data_info_exits_non_zero_for_a_spec_it_cannot_train_on(shared_data, tmp_path,
                                                                 capsys):
    """input: data info on a bag spec naming a topic the bag lacks (image=/cam)."""
    from egoequiv.cli.main import main

    kt, images = kitti(shared_data, frames=4)
    bag = write_bag(tmp_path / "b", kt, images)
    assert main(["data", "info", f"rosbag:{bag},image=/cam,odom=/odom"]) == 2
    out, err = capsys.readouterr()
    assert "/camera/image" in out  # the topics it has, listed
    assert err.strip() == f"egoequiv: error: {bag}: no topic '/cam' for image="
    assert main(["data", "info", f"rosbag:{bag}"]) == 2  # no topic chosen: listed, refused
    assert "choose the camera with image=TOPIC" in capsys.readouterr().err


@pytest.mark.parametrize("step, size, message", [
    (20, 60, r"row step 20 bytes is shorter than a row of 10 rgb8 pixels \(30 bytes\)"),
    (32, 40, r"40 bytes of data; 2 rows of step 32 need 64"),
])
def test_a_raw_image_of_the_wrong_size_names_the_size_expected(tmp_path, step, size,
                                                               message):
    """input: a 10 x 2 rgb8 sensor_msgs/Image message with too short a step or data."""
    from types import SimpleNamespace

    from egoequiv.data.rosbag_messages import decode_image

    msg = SimpleNamespace(encoding="rgb8", width=10, height=2, step=step, is_bigendian=0,
                          data=np.zeros(size, np.uint8))
    with pytest.raises(DataError, match=rf"b \(image message 4\): {message}$"):
        decode_image(msg, tmp_path / "b", 4)
