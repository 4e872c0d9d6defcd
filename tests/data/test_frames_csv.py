"""frames-csv: reading, bad files (file:line), and a round trip through write_frames_csv."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.frames_csv import read_frames_csv, write_frames_csv
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError

HEADER = "image,sequence,time,motor_yaw_deg,motor_odo,label,split"


def make_csv(folder, rows=None, header=HEADER):
    (folder / "img").mkdir(exist_ok=True)
    for k in range(3):
        Image.new("RGB", (4, 3), (k, k, k)).save(folder / "img" / f"{k}.png")
    rows = rows or ["img/0.png,a,0.0,350,0.0,car,train",
                    "img/1.png,a,0.1,10,1.5,car,train",
                    "img/2.png,b,0.0,90,0.0,dog,test"]
    path = folder / "frames.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_read(tmp_path):
    path = make_csv(tmp_path)
    source = open_source(f"frames-csv:{tmp_path}")  # a folder means folder/frames.csv
    table = source.table()
    assert len(table) == 3 and table.sequence_names == ["a", "b"]
    assert table.motor_spec.names == ("yaw_deg", "odo")
    assert table.motor_spec.periods == (360.0, None)
    # angles wrap: 350 -> 10 degrees is a 20 degree motion, not -340
    np.testing.assert_allclose(table.motor_spec.difference(table.motor[0], table.motor[1]),
                               [20.0, 1.5])
    assert table.class_names == ["car", "dog"] and list(table.split) == ["train", "train", "test"]
    assert source.load_image(table.refs[2]).shape == (3, 4, 3)
    assert table.refs[0] == str((path.parent / "img" / "0.png").resolve())


@pytest.mark.parametrize("header, line, message", [
    ("image,time,motor_yaw_deg", 1, "missing column\\(s\\) sequence"),
    ("image,sequence,time,label", 1, "no motor column"),
])
def test_bad_header(tmp_path, header, line, message):
    path = make_csv(tmp_path, rows=["img/0.png,a,0,1"], header=header)
    with pytest.raises(DataError, match=rf"{path}:{line}: {message}"):
        read_frames_csv(path)


@pytest.mark.parametrize("row, message", [
    ("img/1.png,a,0.1,abc,1.0,car,train", "column motor_yaw_deg: expected a number"),
    ("img/1.png,a,nan,10,1.0,car,train", "column time: value is 'nan'"),
    ("img/1.png,a,0.1,10,car,train", "6 fields, header has 7"),
])
def test_bad_row(tmp_path, row, message):
    path = make_csv(tmp_path, rows=["img/0.png,a,0.0,350,0.0,car,train", row])
    with pytest.raises(DataError, match=rf"{path}:3: {message}"):
        read_frames_csv(path)


def test_round_trip(tmp_path):
    make_csv(tmp_path)
    table = read_frames_csv(tmp_path / "frames.csv", window=0.5)
    out = tmp_path / "out"
    out.mkdir()
    csv_path = write_frames_csv(out, table, [f"../img/{k}.png" for k in range(3)])
    again = read_frames_csv(csv_path)
    np.testing.assert_allclose(again.motor, table.motor)
    assert again.motor_spec == table.motor_spec and again.neighbours.window == 0.5
    assert again.class_names == table.class_names and list(again.labels) == list(table.labels)
    assert again.refs == table.refs


def test_missing_image_named_on_decode(tmp_path):
    make_csv(tmp_path)
    (tmp_path / "img" / "1.png").unlink()
    source = open_source(f"frames-csv:{tmp_path / 'frames.csv'}")
    with pytest.raises(DataError, match=r"img/1.png: image file is missing"):
        source.load_image(source.table().refs[1])


def test_round_trip_views_layout(tmp_path):
    """Angles named without _deg get the suffix in the CSV; their steps must follow."""
    from egoequiv.data.motor import MotorSpec
    from egoequiv.data.table import FrameTable, NeighbourRule

    table = FrameTable(
        refs=["a.png", "b.png"], motor=np.array([[30.0, 0.0], [35.0, 340.0]]),
        motor_spec=MotorSpec(("elevation", "azimuth"), ("deg", "deg"), (None, 360.0)),
        sequence=np.array([0, 0]), sequence_names=["toy"], time=np.array([0.0, 1.0]),
        neighbours=NeighbourRule("views", steps=(5.0, 20.0)))
    again = read_frames_csv(write_frames_csv(tmp_path, table, ["a.png", "b.png"]))
    assert again.neighbours == NeighbourRule("views", steps=(5.0, 20.0))
    assert again.motor_spec.periods == (None, 360.0)
