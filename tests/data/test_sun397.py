"""SUN397: a small tree with the official partition and class files, and bad lines."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.registry import open_source
from egoequiv.data.sun397 import Sun397Source
from egoequiv.errors import ConfigError, DataError

CLASSES = ["/a/abbey", "/b/bakery/shop", "/y/youth_hostel"]


def make_sun(root, per_class=4, class_file=True):
    """root/SUN397/<letter>/<class>/sun_*.jpg, root/Partitions/{Training,Testing}_0{1,2}.txt."""
    tree = root / "SUN397"
    images = {}
    for c, cls in enumerate(CLASSES):
        (tree / cls.lstrip("/")).mkdir(parents=True)
        images[cls] = []
        for k in range(per_class):
            rel = f"{cls}/sun_{c}{k:03d}abcdefgh.jpg"
            Image.new("RGB", (10, 8), (c * 60, k * 20, 0)).save(tree / rel.lstrip("/"))
            images[cls].append(rel)
    parts = root / "Partitions"
    parts.mkdir()
    if class_file:
        (parts / "ClassName.txt").write_text("".join(f"{c}\n" for c in CLASSES))
    half = per_class // 2
    for n, (tr, te) in {1: (slice(0, half), slice(half, None)),
                        2: (slice(half, None), slice(0, half))}.items():
        (parts / f"Training_{n:02d}.txt").write_text(
            "".join(f"{p}\n" for c in CLASSES for p in images[c][tr]))
        (parts / f"Testing_{n:02d}.txt").write_text(
            "".join(f"{p}\n" for c in CLASSES for p in images[c][te]))
    return tree, parts


def test_table(tmp_path):
    tree, _ = make_sun(tmp_path)
    table = open_source(f"sun397:{tree}").table()
    assert len(table) == 12 and table.class_names == ["abbey", "bakery/shop", "youth_hostel"]
    assert list(table.split).count("train") == 6 and list(table.split).count("test") == 6
    assert list(table.labels[:6]) == [0, 0, 1, 1, 2, 2]
    assert len(set(table.sequence)) == 12  # each still image its own sequence
    assert table.motor_spec.names == ("still",) and not table.motor.any()
    assert table.refs[0].endswith("SUN397/a/abbey/sun_0000abcdefgh.jpg")
    img = Sun397Source(str(tree)).load_image(table.refs[0])
    assert img.shape == (8, 10, 3) and img.dtype == np.uint8


def test_split_option_and_root_folder(tmp_path):
    make_sun(tmp_path)
    one = Sun397Source(str(tmp_path)).table()  # DIR holding SUN397/ and Partitions/
    two = Sun397Source(str(tmp_path), split=2).table()
    assert set(one.refs) == set(two.refs)
    train1 = {r for r, s in zip(one.refs, one.split, strict=True) if s == "train"}
    train2 = {r for r, s in zip(two.refs, two.split, strict=True) if s == "train"}
    assert not train1 & train2
    with pytest.raises(ConfigError, match="dataset 'sun397': split=11: SUN397 has partitions "
                                          "1..10"):
        open_source(f"sun397:{tmp_path},split=11")
    (tmp_path / "Partitions" / "Testing_02.txt").unlink()
    with pytest.raises(DataError, match="partition file Testing_02.txt not found"):
        Sun397Source(str(tmp_path), split=2).table()


def test_without_class_file(tmp_path):
    tree, _ = make_sun(tmp_path, class_file=False)
    table = Sun397Source(str(tree)).table()
    assert table.class_names == ["abbey", "bakery/shop", "youth_hostel"]


def test_unknown_class_names_file_and_line(tmp_path):
    tree, parts = make_sun(tmp_path)
    path = parts / "Testing_01.txt"
    lines = path.read_text().splitlines()
    lines[4] = "/c/castle/sun_xyz.jpg"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"{path}:5: class /c/castle is not in ClassName.txt"):
        Sun397Source(str(tree)).table()


def test_malformed_line(tmp_path):
    tree, parts = make_sun(tmp_path)
    path = parts / "Training_01.txt"
    path.write_text(path.read_text() + "sun_no_folder.jpg\n")
    with pytest.raises(DataError, match=rf"{path}:7: expected an image path"):
        Sun397Source(str(tree)).table()


def test_missing_images_warn_and_skip(tmp_path):
    tree, _ = make_sun(tmp_path)
    (tree / "a" / "abbey" / "sun_0000abcdefgh.jpg").unlink()
    with pytest.warns(UserWarning, match="skipped 1 of 12 listed images"):
        table = Sun397Source(str(tree)).table()
    assert len(table) == 11 and len(table.warnings) == 1


def test_corrupt_jpeg(tmp_path):
    tree, _ = make_sun(tmp_path)
    bad = tree / "b" / "bakery" / "shop" / "sun_1000abcdefgh.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    source = Sun397Source(str(tree))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = next(r for r in source.table().refs if r == str(bad))
    with pytest.raises(DataError, match=rf"{bad}: cannot decode image"):
        source.load_image(ref)
