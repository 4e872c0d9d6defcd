"""``rendered-drive``: a tiny drive set through the registry, read back as frames-csv."""

from __future__ import annotations

import numpy as np
import pytest

from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.data.registry import open_source
from egoequiv.errors import EgoequivError

TINY = "rendered-drive:scenes=4,sequences=2,frames=12,size=16,supersample=1"


@pytest.fixture(scope="module")
def tiny():
    source = open_source(TINY)
    return source, source.table()


def test_counts_labels_and_sequence_split(tiny):
    source, table = tiny
    assert len(table) == 4 * 2 * 12
    assert table.class_names == ["city", "residential", "road", "campus"]
    assert np.bincount(table.labels).tolist() == [24] * 4
    assert len(table.sequence_names) == 8
    for seq in range(8):  # a sequence lies wholly on one side of the split
        rows = table.sequence == seq
        assert len(set(table.split[rows])) == 1 and len(set(table.labels[rows])) == 1
        assert np.allclose(np.diff(table.time[rows]), 0.1)
    for label in range(4):  # each scene type has training and test sequences
        assert set(table.split[table.labels == label]) == {"train", "test"}


def test_motor_is_heading_and_odometer_as_kitti(tiny):
    source, table = tiny
    assert table.motor_spec.names == ("heading", "odometer")
    assert table.motor_spec.units == ("deg", "m")
    assert table.motor_spec.periods == (360.0, None)
    assert table.neighbours.layout == "video" and table.neighbours.window == 1.0
    assert ((table.motor[:, 0] >= 0) & (table.motor[:, 0] < 360)).all()
    for seq in range(8):
        odo = table.motor[table.sequence == seq, 1]
        assert odo[0] == 0.0 and (np.diff(odo) >= 0).all()


def test_reads_back_through_frames_csv(tiny):
    source, table = tiny
    plain = FramesCsvSource(str(source.folder())).table()
    assert plain.refs == table.refs and np.array_equal(plain.motor, table.motor)
    assert np.array_equal(plain.labels, table.labels)
    assert np.array_equal(plain.split, table.split)
    img = source.load_image(table.refs[5])
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8 and img.std() > 3


def test_options_change_the_set_and_bad_ones_are_errors(tiny):
    source, _ = tiny
    assert open_source(TINY + ",seed=2").fingerprint() != source.fingerprint()
    for spec in ("rendered-drive:/x", "rendered-drive:scenes=9", "rendered-drive:speed=3"):
        with pytest.raises(EgoequivError):
            open_source(spec)
    d = open_source("rendered-drive").settings
    assert (d.scenes, d.sequences, d.frames, d.size) == (4, 8, 100, 64)
