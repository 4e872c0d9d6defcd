"""The registry of data sources: ``SOURCES = {name: "module:Class"}``; one line per reader."""

from __future__ import annotations

from importlib import import_module

from egoequiv.data.source import Source
from egoequiv.data.spec import parse_spec
from egoequiv.errors import EgoequivError
from egoequiv.utils.options import parse_options

#: name -> "module:Class" of its reader, imported when a spec names it. The rendered worlds
#: live in egoequiv.render, which builds on this package (so no import of it here)
SOURCES: dict[str, str] = {
    "eth80": "egoequiv.data.eth80:Eth80Source",
    "frames-csv": "egoequiv.data.frames_csv:FramesCsvSource",
    "rendered-objects": "egoequiv.render.rendered_objects:RenderedObjectsSource",
    "rendered-drive": "egoequiv.render.rendered_drive:RenderedDriveSource",
    "smallnorb": "egoequiv.data.smallnorb:SmallNorbSource",
    "kitti-raw": "egoequiv.data.kitti_raw:KittiRawSource",
    "kitti-odometry": "egoequiv.data.kitti_odometry:KittiOdometrySource",
    "sun397": "egoequiv.data.sun397:Sun397Source",
    "imagefolder": "egoequiv.data.imagefolder:ImageFolderSource",
    "video": "egoequiv.data.video_clips:VideoSource",
    "rosbag": "egoequiv.data.rosbag:RosbagSource",
    "lerobot": "egoequiv.data.lerobot:LeRobotSource",
    "tum": "egoequiv.data.tum:TumSource",
    "euroc": "egoequiv.data.euroc:EurocSource",
    "nuscenes": "egoequiv.data.nuscenes:NuScenesSource",
}


def source_class(name: str) -> type[Source]:
    """The reader class registered under ``name``."""
    module, _, cls = SOURCES[name].partition(":")
    return getattr(import_module(module), cls)


def open_source(spec: str) -> Source:
    """Build the source a dataset spec names (``eth80:PATH``, ``frames-csv:FILE``, ...)."""
    name, path, options = parse_spec(spec)
    if name not in SOURCES:
        raise EgoequivError(
            f"unknown dataset {name!r} in spec {spec!r}; valid datasets: {', '.join(SOURCES)}"
        )
    cls = source_class(name)
    # cast where the text comes in: a source may read its keyword arguments as given
    return cls(path, **parse_options(options, cls.declared_options(), f"dataset {name!r}"))


def describe(name: str | None = None) -> list[dict]:
    """One row per source (or ``name`` only) and option: source, key, default, meaning,
    allowed values; a source without options gets one row with key None."""
    if name is not None and name not in SOURCES:
        raise EgoequivError(f"unknown dataset {name!r}; valid datasets: {', '.join(SOURCES)}")
    rows = []
    for source in [name] if name else list(SOURCES):
        declared = source_class(source).declared_options()
        rows += [{"source": source, "key": k, "default": o.default, "meaning": o.doc,
                  "choices": list(o.choices)} for k, o in declared.items()] or \
            [{"source": source, "key": None, "default": None, "meaning": "", "choices": []}]
    return rows
