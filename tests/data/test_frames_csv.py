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
    with pytest.raises(DataError, match="outside the CSV's folder"):
        read_frames_csv(csv_path)
    again = read_frames_csv(csv_path, allow_outside=True)
    np.testing.assert_allclose(again.motor, table.motor)
    assert again.motor_spec == table.motor_spec and again.neighbours.window == 0.5
    assert again.class_names == table.class_names and list(again.labels) == list(table.labels)
    assert again.refs == table.refs


def test_a_symlink_to_outside_is_refused_naming_the_link_and_its_target(tmp_path):
    """input: img/0.png inside the CSV's folder is a symlink to a file outside it."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = make_csv(folder)
    outside = tmp_path / "elsewhere.png"
    Image.new("RGB", (4, 3)).save(outside)
    (folder / "img" / "0.png").unlink()
    (folder / "img" / "0.png").symlink_to(outside)
    with pytest.raises(DataError) as e:
        read_frames_csv(path)
    assert str(e.value) == (f"{path}:2: column image: 'img/0.png' is inside the CSV's folder, "
                            f"but it is a symlink (or lies below one) to {outside}, outside "
                            "the CSV's folder (pass allow_outside=1 in the spec to allow it)")
    assert read_frames_csv(path, allow_outside=True).refs[0] == str(outside)


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


@pytest.mark.parametrize("header, message", [
    ("image,sequence,time,motor_yaw_deg,motor_odo,Label,split",
     "unknown column\\(s\\) 'Label' \\(did you mean 'label'\\?\\)"),
    ("image,sequence,time,Motor_yaw_deg,motor_odo,label,split", "unknown column"),
    ("image,sequence,time,motor_yaw_deg,motor_yaw_deg,label,split",
     r"column\(s\) motor_yaw_deg appear more than once"),
])
def test_misspelt_or_duplicate_columns_are_refused(tmp_path, header, message):
    path = make_csv(tmp_path, header=header)
    with pytest.raises(DataError, match=rf"{path}:1: {message}"):
        read_frames_csv(path)


@pytest.mark.parametrize("rows, line, message", [
    (["img/0.png,a,0.0,350,0.0,car,train", "img/1.png,a,0.1,10,1.5,car,train",
      "img/0.png,a,0.2,10,1.5,car,train"], 4, "listed again \\(first on line 2\\)"),
    (["img/0.png,a,2.0,350,0.0,car,train", "img/1.png,a,1.0,10,1.5,car,train"], 3,
     "sequence 'a': time 1 does not increase"),
    (["/etc/passwd,a,0.0,350,0.0,car,train"], 2, "outside the CSV's folder"),
    (["../../x.png,a,0.0,350,0.0,car,train"], 2, "outside the CSV's folder"),
    (["clip.mp4#abc,a,0.0,350,0.0,car,train"], 2, "non-negative integer"),
])
def test_bad_rows_are_refused_by_line(tmp_path, rows, line, message):
    path = make_csv(tmp_path, rows=rows)
    with pytest.raises(DataError, match=rf"{path}:{line}: .*{message}"):
        read_frames_csv(path)


@pytest.mark.parametrize("content, message", [
    (b"\xef\xbb\xbfimage,sequence,time,motor_x\nimg/0.png,a,0,1\n", None),
    (b"image,sequence,time,motor_x\nimg/\xe9.png,a,0,1\n", "not UTF-8 text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text|malformed|missing column"),
    (b"image,sequence,time,motor_x\n" + b"a" * 200_000 + b",a,0,1\n", "malformed CSV"),
])
def test_encodings_and_non_csv_files(tmp_path, content, message):
    make_csv(tmp_path)
    path = tmp_path / "frames.csv"
    path.write_bytes(content)
    if message is None:  # a UTF-8 BOM is fine
        assert len(read_frames_csv(path)) == 1
        return
    with pytest.raises(DataError, match=message) as e:
        read_frames_csv(path)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("sidecar, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"window": "soon"}', "field 'window' has the wrong type"),
    ('{"window": -1}', "window must be a positive number"),
])
def test_bad_sidecars_are_named(tmp_path, sidecar, message):
    path = make_csv(tmp_path)
    (tmp_path / "frames.json").write_text(sidecar)
    with pytest.raises(DataError, match=rf"frames.json: {message}"):
        read_frames_csv(path)


def test_window_nan_is_refused(tmp_path):
    path = make_csv(tmp_path)
    with pytest.raises(DataError, match="window must be a positive number"):
        read_frames_csv(path, window=float("nan"))
