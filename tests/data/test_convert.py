"""Any source as a frames-csv folder: same frames, same readings, read back by frames-csv."""

import numpy as np

from egoequiv.data.convert import convert_to_frames_csv
from egoequiv.data.frames_csv import read_frames_csv
from egoequiv.data.registry import open_source


def test_kitti_odometry_round_trips_through_frames_csv(shared_data, tmp_path):
    source = open_source(f"kitti-odometry:{shared_data / 'kitti_odometry' / 'KITTI_sequence_2'}")
    table = source.table()
    warned = []
    path, n = convert_to_frames_csv(source, tmp_path / "out", quiet=True, warn=warned.append)
    assert path == tmp_path / "out" / "frames.csv" and n == len(table)
    back = read_frames_csv(path)
    np.testing.assert_allclose(back.motor, table.motor, atol=1e-9)
    first = np.asarray(open_source(f"frames-csv:{path}").load_image(back.refs[0]))
    assert np.array_equal(first, np.asarray(source.load_image(table.refs[0])))
