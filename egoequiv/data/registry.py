"""The registry of data sources: ``SOURCES = {name: class}``; one line per reader."""

from __future__ import annotations

from egoequiv.data.eth80 import Eth80Source
from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.data.imagefolder import ImageFolderSource
from egoequiv.data.kitti_odometry import KittiOdometrySource
from egoequiv.data.kitti_raw import KittiRawSource
from egoequiv.data.rendered_drive import RenderedDriveSource
from egoequiv.data.rendered_objects import RenderedObjectsSource
from egoequiv.data.rosbag import RosbagSource
from egoequiv.data.smallnorb import SmallNorbSource
from egoequiv.data.source import Source
from egoequiv.data.spec import convert_options, parse_spec
from egoequiv.data.sun397 import Sun397Source
from egoequiv.data.video_clips import VideoSource
from egoequiv.errors import EgoequivError

SOURCES: dict[str, type[Source]] = {
    "eth80": Eth80Source,
    "frames-csv": FramesCsvSource,
    "rendered-objects": RenderedObjectsSource,
    "rendered-drive": RenderedDriveSource,
    "smallnorb": SmallNorbSource,
    "kitti-raw": KittiRawSource,
    "kitti-odometry": KittiOdometrySource,
    "sun397": Sun397Source,
    "imagefolder": ImageFolderSource,
    "video": VideoSource,
    "rosbag": RosbagSource,
}


def open_source(spec: str) -> Source:
    """Build the source a dataset spec names (``eth80:PATH``, ``frames-csv:FILE``, ...)."""
    name, path, options = parse_spec(spec)
    if name not in SOURCES:
        raise EgoequivError(
            f"unknown dataset {name!r} in spec {spec!r}; valid datasets: {', '.join(SOURCES)}"
        )
    cls = SOURCES[name]
    return cls(path, **convert_options(name, options, cls.options))
