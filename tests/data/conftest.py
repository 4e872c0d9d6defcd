"""Fixtures of the data readers' tests."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture
def kitti_excerpt(shared_data):
    """``kitti_excerpt(frames)`` -> (kitti-odometry's 6-DoF table of the real excerpt, its
    first ``frames`` images at 94 x 156): the truth a test writes in another format and
    expects back."""
    from egoequiv.data.kitti_odometry import KittiOdometrySource

    def read(frames):
        source = KittiOdometrySource(str(shared_data / "kitti_odometry" / "KITTI_sequence_2"),
                                     dofs="6dof")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the excerpt's own notes are not under test
            table = source.table()
        return table, [source.load_image(r)[::4, ::8] for r in table.refs[:frames]]

    return read
