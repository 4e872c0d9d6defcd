"""Image folders: the real 15-Scene split folders, case-insensitive classes, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.imagefolder import ImageFolderSource
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError


def test_scene15(shared_data):
    table = open_source(f"imagefolder:{shared_data / 'scene15'}").table()
    assert table.num_classes == 15 and len(table) == 1500 + 2985
    for split in ("train", "test"):
        assert len(set(table.labels[table.split == split])) == 15
    assert int((table.split == "train").sum()) == 1500
    assert np.bincount(table.labels[table.split == "train"]).tolist() == [100] * 15
    lower = [c.lower() for c in table.class_names]
    assert lower == sorted(lower) and "livingroom" in lower
    living = lower.index("livingroom")
    refs = [r for r, lb in zip(table.refs, table.labels, strict=True) if lb == living]
    assert any("/train/livingroom/" in r for r in refs)
    assert any("/test/livingRoom/" in r for r in refs)
    img = ImageFolderSource(str(shared_data / "scene15")).load_image(table.refs[0])
    assert img.shape[:2] == (96, 96) and img.dtype == np.uint8


def make_images(folder, n, mode="RGB"):
    folder.mkdir(parents=True)
    for k in range(n):
        Image.new(mode, (5, 5)).save(folder / f"img{k}.png")


def test_flat_class_folders(tmp_path):
    make_images(tmp_path / "Dog", 2)
    make_images(tmp_path / "cat", 3, "L")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    table = ImageFolderSource(str(tmp_path)).table()
    assert table.class_names == ["cat", "Dog"] and table.split is None
    assert sorted(table.labels) == [0, 0, 0, 1, 1]
    for ref, label in zip(table.refs, table.labels, strict=True):
        assert f"/{table.class_names[label]}/" in ref
    cat = table.refs[list(table.labels).index(0)]
    assert ImageFolderSource(str(tmp_path)).load_image(cat).shape == (5, 5, 1)


def test_split_folders_case_insensitive(tmp_path):
    make_images(tmp_path / "Train" / "LivingRoom", 2)
    make_images(tmp_path / "testing" / "livingroom", 1)
    make_images(tmp_path / "val" / "livingroom", 1)
    with pytest.warns(UserWarning, match="skipped validation folder"):
        table = ImageFolderSource(str(tmp_path)).table()
    assert table.class_names == ["LivingRoom"] and list(table.split) == ["train"] * 2 + ["test"]


def test_corrupt_png(tmp_path):
    make_images(tmp_path / "a", 1)
    bad = tmp_path / "a" / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnope")
    source = ImageFolderSource(str(tmp_path))
    with pytest.raises(DataError, match=rf"{bad}: cannot decode image"):
        source.load_image(str(bad))


def test_no_images(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=rf"{tmp_path}: no images found"):
        ImageFolderSource(str(tmp_path)).table()
