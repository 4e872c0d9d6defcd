"""KITTI raw: the real partial drive, and small synthetic drives with bad files."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.kitti_raw import VF, KittiRawSource, drive_categories, read_oxts
from egoequiv.data.registry import open_source
from egoequiv.errors import ConfigError, DataError

DRIVE = "kitti_raw/2011_09_26/2011_09_26_drive_0001_sync"


def quiet_table(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return source.table()


def test_real_drive_oxts(shared_data):
    times, records, present = read_oxts(shared_data / DRIVE)
    assert len(times) == 108 and present.all() and records.shape == (108, 30)
    vf = records[:, VF]
    assert 4.6 <= vf.min() < 4.7 and 13.1 < vf.max() <= 13.2
    assert np.all(np.diff(times) > 0.09) and np.all(np.diff(times) < 0.12)  # 10 Hz


def test_real_drive_table(shared_data):
    with pytest.warns(UserWarning, match=r"skipped 98 of 108 frames") as record:
        table = open_source(f"kitti-raw:{shared_data / 'kitti_raw' / '2011_09_26'}").table()
    assert len(record) == 1
    assert len(table) == 10 and table.warnings == [str(record[0].message)]
    assert list(table.meta["frame"]) == [0, 1, 2, 3, 4, 5, 25, 45, 65, 85]
    assert table.sequence_names == ["2011_09_26_drive_0001"]
    assert table.class_names[table.labels[0]] == "City" and len(set(table.labels)) == 1
    assert table.motor_spec.names == ("heading", "odometer")
    assert table.motor_spec.periods == (360.0, None)
    heading, odo = table.motor[:, 0], table.motor[:, 1]
    # the car barely turns: < 10 degrees over the 8.8 s, < 0.5 degree per 0.1 s frame
    assert np.ptp(heading) < 10 and np.abs(np.diff(heading[:6])).max() < 0.5
    # odometer: increasing; its rate over the OXTS clock is the forward speed (4.6 - 13.2 m/s)
    assert odo[0] == 0 and np.all(np.diff(odo) > 0)
    oxts_time = read_oxts(shared_data / DRIVE)[0][table.meta["frame"]]
    rate = np.diff(odo) / np.diff(oxts_time)
    assert rate.min() > 4.6 and rate.max() < 13.2
    np.testing.assert_allclose(rate[0], table.meta["speed"][:2].mean(), rtol=0.02)
    assert table.time[0] == 0 and abs(table.time[-1] - 8.77) < 0.05
    assert table.neighbours.layout == "video" and table.neighbours.window == 1.0


def test_real_drive_cameras(shared_data):
    source = KittiRawSource(str(shared_data / DRIVE))
    img = source.load_image(quiet_table(source).refs[0])
    assert img.shape == (375, 1242, 3) and img.dtype == np.uint8
    grey = KittiRawSource(str(shared_data / DRIVE), camera="image_00", window=0.5)
    table = quiet_table(grey)
    assert "image_00" in table.refs[0] and table.neighbours.window == 0.5
    assert grey.load_image(table.refs[0]).shape == (375, 1242, 1)
    with pytest.raises(ConfigError, match=r"dataset 'kitti-raw': camera must be one of "
                                          r"\['image_00', .*\], got 'image_9'"):
        KittiRawSource(str(shared_data / DRIVE), camera="image_9")


def test_category_table_is_packaged():
    cats = drive_categories()
    assert cats["2011_09_26_drive_0001"] == "City"
    assert set(cats.values()) == {"City", "Residential", "Road", "Campus", "Person"}


def oxts_line(yaw=0.0, vf=10.0):
    values = [49.0, 8.4, 116.0, 0.0, 0.0, yaw, 0, 0, vf] + [0.0] * 21
    return " ".join(repr(v) for v in values) + "\n"


def make_drive(root, name="2011_09_26_drive_0002_sync", n=5, start=0.0, step=0.1):
    drive = root / name
    (drive / "oxts" / "data").mkdir(parents=True)
    (drive / "image_02" / "data").mkdir(parents=True)
    stamps = "".join(f"2011-09-26 13:02:{start + k * step:012.9f}\n" for k in range(n))
    (drive / "oxts" / "timestamps.txt").write_text(stamps)
    (drive / "image_02" / "timestamps.txt").write_text(stamps)
    for k in range(n):
        (drive / "oxts" / "data" / f"{k:010d}.txt").write_text(oxts_line(yaw=0.01 * k))
        Image.new("RGB", (8, 4), (k, 0, 0)).save(drive / "image_02" / "data" / f"{k:010d}.png")
    return drive


def test_synthetic_motor_and_skips(tmp_path):
    drive = make_drive(tmp_path)
    (drive / "oxts" / "data" / "0000000003.txt").unlink()
    (drive / "image_02" / "data" / "0000000001.png").unlink()
    with pytest.warns(UserWarning, match=r"skipped 2 of 5 frames \(1 without an image in "
                                         r"image_02, 1 without an OXTS record\)"):
        table = KittiRawSource(str(tmp_path)).table()
    assert list(table.meta["frame"]) == [0, 2, 4]
    # constant 10 m/s over 0.1 s steps: 1 m per frame, bridging the missing record 3
    np.testing.assert_allclose(table.motor[:, 1], [0.0, 2.0, 4.0], atol=1e-5)
    np.testing.assert_allclose(table.motor[:, 0], np.degrees([0.0, 0.02, 0.04]))
    np.testing.assert_allclose(table.time, [0.0, 0.2, 0.4], atol=1e-6)


def test_date_folder_with_two_drives(tmp_path):
    make_drive(tmp_path, "2011_09_26_drive_0002_sync")
    make_drive(tmp_path, "2011_09_28_drive_0016_sync", n=3)
    table = quiet_table(KittiRawSource(str(tmp_path)))
    assert table.sequence_names == ["2011_09_26_drive_0002", "2011_09_28_drive_0016"]
    assert [table.class_names[i] for i in table.labels[[0, -1]]] == ["City", "Campus"]


def test_unknown_drive_is_unlabelled_with_a_warning(tmp_path):
    make_drive(tmp_path, "2099_01_01_drive_0001_sync")
    with pytest.warns(UserWarning, match="not in the category table"):
        table = KittiRawSource(str(tmp_path)).table()
    assert list(table.labels) == [-1] * 5


def test_oxts_wrong_field_count(tmp_path):
    drive = make_drive(tmp_path)
    bad = drive / "oxts" / "data" / "0000000002.txt"
    bad.write_text(" ".join(["1.0"] * 29) + "\n")
    with pytest.raises(DataError, match=rf"{bad}:1: 29 fields, expected 30"):
        KittiRawSource(str(drive)).table()


def test_oxts_nan(tmp_path):
    drive = make_drive(tmp_path)
    bad = drive / "oxts" / "data" / "0000000004.txt"
    bad.write_text(oxts_line(vf=float("nan")))
    with pytest.raises(DataError, match=rf"{bad}:1: field vf is nan"):
        KittiRawSource(str(drive)).table()


@pytest.mark.parametrize("line, message", [
    (oxts_line(vf=1e300), "field vf is 1e\\+300 m/s"),
    (oxts_line(yaw=40.0), "field yaw is 40"),
])
def test_oxts_implausible_values(tmp_path, line, message):
    drive = make_drive(tmp_path)
    bad = drive / "oxts" / "data" / "0000000003.txt"
    bad.write_text(line)
    with pytest.raises(DataError, match=rf"{bad}:1: {message}"):
        KittiRawSource(str(drive)).table()


@pytest.mark.parametrize("sensor", ["oxts", "image_02"])
def test_timestamps_backwards(tmp_path, sensor):
    drive = make_drive(tmp_path)
    path = drive / sensor / "timestamps.txt"
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = "2011-09-26 13:02:00.150000000\n"
    path.write_text("".join(lines))
    with pytest.raises(DataError, match=rf"{path}:4: timestamp goes backwards"):
        KittiRawSource(str(drive)).table()


def test_bad_timestamp_text(tmp_path):
    drive = make_drive(tmp_path)
    path = drive / "oxts" / "timestamps.txt"
    path.write_text(path.read_text().replace("13:02:00.1", "13-02-00.1", 1))
    with pytest.raises(DataError, match=rf"{path}:2: expected YYYY-MM-DD"):
        KittiRawSource(str(drive)).table()


def test_corrupt_png(tmp_path):
    drive = make_drive(tmp_path)
    bad = drive / "image_02" / "data" / "0000000001.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    source = KittiRawSource(str(drive))
    with pytest.raises(DataError, match=rf"{bad}: cannot decode image"):
        source.load_image(source.table().refs[1])


def test_not_a_drive(tmp_path):
    with pytest.raises(DataError, match=rf"{tmp_path}: not a KITTI raw drive"):
        KittiRawSource(str(tmp_path)).table()


def test_real_drive_pose_motor_agrees_with_heading_and_odometer(shared_data):
    """motor=pose: the OXTS pose's relative motion, in the car's own frame."""
    path = shared_data / "kitti_raw" / "2011_09_26"
    heading = quiet_table(open_source(f"kitti-raw:{path}"))
    pose = quiet_table(open_source(f"kitti-raw:{path},motor=pose"))
    assert pose.motor_spec.names == ("forward", "lateral", "yaw")
    assert pose.motor_spec.axes == "body" and pose.motor.shape == (10, 7)
    i, j = np.arange(5), np.arange(1, 6)  # frames 0..5 are consecutive
    h = heading.motor_spec.difference(heading.motor[i], heading.motor[j])
    p = pose.motor_spec.difference(pose.motor[i], pose.motor[j])
    np.testing.assert_allclose(p[:, 2], h[:, 0], atol=0.02)  # yaw = heading change (deg)
    np.testing.assert_allclose(p[:, 0], h[:, 1], rtol=0.02)  # forward = odometer step (m)
    assert np.abs(p[:, 1]).max() < 0.05  # a car does not slide sideways
    with pytest.raises(DataError, match=r"dofs= applies to motor=pose only"):
        open_source(f"kitti-raw:{path},dofs=6dof")
