"""``rendered-objects``: a tiny set rendered through the registry, read back as frames-csv."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.data.registry import open_source
from egoequiv.errors import EgoequivError
from egoequiv.render.bullet import camera_position
from egoequiv.render.store import rendered_root

TINY = "rendered-objects:categories=5,instances=2,elevations=2,azimuths=3,lightings=2,size=16"


@pytest.fixture(scope="module")
def tiny():
    source = open_source(TINY)
    return source, source.table()


def test_counts_labels_splits_and_motor(tiny):
    source, table = tiny
    assert len(table) == 5 * 2 * 2 * 3 * 2
    assert table.class_names == ["animal", "human", "airplane", "truck", "car"]
    assert np.bincount(table.labels).tolist() == [24] * 5
    assert len(np.unique(table.sequence)) == 5 * 2 * 2  # instance x lighting
    # NORB split: by instance, one of each category's two instances on each side
    for label in range(5):
        mine = table.labels == label
        assert set(table.split[mine]) == {"train", "test"}
        for s in ("train", "test"):
            assert len(np.unique(table.meta["instance"][mine & (table.split == s)])) == 1
    assert table.motor_spec.names == ("elevation", "azimuth")
    assert table.motor_spec.periods == (None, 360.0)
    assert sorted(set(table.motor[:, 0])) == [30.0, 35.0]
    assert sorted(set(table.motor[:, 1])) == [0.0, 120.0, 240.0]
    assert table.neighbours.layout == "views" and table.neighbours.steps == (5.0, 120.0)
    assert sorted(set(table.meta["lighting"].tolist())) == [0, 1]


def test_reads_back_through_frames_csv_unchanged(tiny):
    source, table = tiny
    plain = FramesCsvSource(str(source.folder())).table()
    assert plain.refs == table.refs
    assert np.array_equal(plain.motor, table.motor) and np.array_equal(plain.split, table.split)
    assert np.array_equal(plain.labels, table.labels)
    img = source.load_image(table.refs[0])
    assert img.shape == (16, 16, 1) and img.dtype == np.uint8


def test_motor_reading_of_every_image_is_its_camera_pose(tiny):
    source, table = tiny
    views = np.load(source.folder() / "poses.npy")
    assert views.shape == (len(table), 16)
    eyes = np.array([camera_position(v) for v in views])
    r = np.linalg.norm(eyes, axis=1)
    elevation = np.degrees(np.arcsin(eyes[:, 2] / r))
    azimuth = np.degrees(np.arctan2(eyes[:, 1], eyes[:, 0])) % 360
    assert np.allclose(elevation, table.motor[:, 0], atol=1e-3)
    wrapped = (azimuth - table.motor[:, 1] + 180) % 360 - 180
    assert np.abs(wrapped).max() < 1e-3


def test_a_full_azimuth_ring_steps_the_camera_by_20_degrees():
    source = open_source("rendered-objects:categories=1,instances=1,elevations=1,lightings=1,"
                         "size=16")
    table = source.table()
    assert len(table) == 18 and table.neighbours.steps == (5.0, 20.0)
    eyes = np.array([camera_position(v) for v in np.load(source.folder() / "poses.npy")])
    order = np.argsort(table.motor[:, 1])
    cam = np.degrees(np.arctan2(eyes[order, 1], eyes[order, 0]))
    motor_steps = np.diff(table.motor[order, 1])
    cam_steps = (np.diff(cam) + 180) % 360 - 180
    assert np.allclose(motor_steps, 20.0) and np.allclose(cam_steps, 20.0, atol=1e-3)
    images = np.stack([source.load_image(table.refs[i]) for i in order])
    assert all(not np.array_equal(images[i], images[i + 1]) for i in range(17))


def test_second_open_reuses_the_render(tiny, monkeypatch):
    source, table = tiny
    csv = source.folder() / "frames.csv"
    before = os.stat(csv).st_mtime_ns

    def boom(*a, **k):
        raise AssertionError("rendered again")

    monkeypatch.setattr("egoequiv.render.rendered_objects.render_objects", boom)
    again = open_source(TINY)
    assert len(again.table()) == len(table) and os.stat(csv).st_mtime_ns == before
    assert again.fingerprint() == source.fingerprint()
    assert open_source(TINY + ",seed=1").fingerprint() != source.fingerprint()


def test_a_killed_render_leaves_no_half_set(monkeypatch):
    """A render that dies mid-way (no clean-up, as under SIGKILL) leaves only a private
    temporary folder, never the set's folder; the next open renders it whole and sweeps
    temporary folders of dead renders away."""
    spec = "rendered-objects:instances=1,categories=1,size=8,azimuths=2,elevations=1,lightings=1"
    source = open_source(spec)
    stem = f"rendered-objects-{source.fingerprint()}"

    def dies(folder, settings):
        (folder / "animal").mkdir()
        (folder / "animal" / "x.png").write_bytes(b"half")
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr("egoequiv.render.rendered_objects.render_objects", dies)
        m.setattr("egoequiv.render.store.shutil.rmtree", lambda *a, **k: None)
        with pytest.raises(KeyboardInterrupt):
            source.table()
    root = rendered_root()
    assert not (root / stem).exists()
    assert [p.name for p in root.glob(f".tmp-{stem}-*")]  # what a kill leaves behind
    dead = root / f".tmp-{stem}-999999999"  # a render whose process is gone
    dead.mkdir()
    table = open_source(spec).table()
    assert len(table) == 2 and (root / stem / "frames.csv").exists()
    assert not list(root.glob(f".tmp-{stem}-*"))


@pytest.mark.parametrize("spec", ["rendered-objects:/some/folder",
                                  "rendered-objects:colour=1",
                                  "rendered-objects:elevations=20",
                                  "rendered-objects:categories=0",
                                  "rendered-objects:lightings=x"])
def test_bad_specs_are_one_line_errors(spec):
    with pytest.raises(EgoequivError):
        open_source(spec)


def test_views_are_grey_and_full_size_by_default():
    source = open_source("rendered-objects")
    assert source.settings.size == 96 and source.settings.grey
    assert source.settings.num_images == 5 * 10 * 9 * 18 * 3
    assert math.isclose(source.settings.azimuth_step, 20.0)


def test_same_seed_same_images_other_seed_other(tmp_path, monkeypatch):
    def images(cache, seed):
        monkeypatch.setenv("EGOEQUIV_CACHE", str(tmp_path / cache))
        src = open_source(f"rendered-objects:categories=2,instances=2,elevations=1,azimuths=2,"
                          f"lightings=1,size=24,seed={seed}")
        return np.stack([src.load_image(r) for r in src.table().refs])

    a, b, c = images("a", 0), images("b", 0), images("c", 1)
    assert a.shape == (8, 24, 24, 1)
    assert np.array_equal(a, b)
    assert all(np.abs(a[i].astype(int) - c[i].astype(int)).mean() > 1.0 for i in range(8))
