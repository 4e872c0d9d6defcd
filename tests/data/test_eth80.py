"""ETH-80 on the real files: 8 classes x 10 objects x 41 views."""

from __future__ import annotations

import numpy as np
import pytest

from egoequiv.data.eth80 import Eth80Source
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError


def test_real_eth80(shared_data):
    source = open_source(f"eth80:{shared_data / 'eth80'}")
    table = source.table()
    assert len(table) == 3280 and table.num_classes == 8
    assert table.class_names == ["apple", "car", "cow", "cup", "dog", "horse", "pear", "tomato"]
    assert len(table.sequence_names) == 80
    assert np.bincount(table.sequence).tolist() == [41] * 80
    assert np.bincount(table.labels).tolist() == [410] * 8
    assert int((table.split == "train").sum()) == 1640
    assert table.motor[:, 0].min() == 0 and table.motor[:, 0].max() == 90
    assert table.motor_spec.periods == (None, 360.0) and table.neighbours.layout == "views"
    img = source.load_image(table.refs[0])
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8


def test_bad_view_name(tmp_path):
    inst = tmp_path / "1" / "1"
    inst.mkdir(parents=True)
    (tmp_path / "1" / "apple.txt").write_text("")
    (inst / "apple1-000.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"apple1-000.png: file name is not"):
        Eth80Source(str(tmp_path)).table()
