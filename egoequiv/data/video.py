"""Frames of video files, for frames-csv refs like ``clip.mp4#123`` (frame 123, from 0).

Decoded with PyAV (``pip install 'egoequiv[video]'`` or ``pip install av``), else imageio with
its pyav/ffmpeg plugin. Neither is a hard dependency. Frames are counted in decoding order from
the start of the first video stream; the last open clip is kept so that reading frames in
increasing order does not decode from the start each time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from egoequiv.errors import DataError, EgoequivError

INSTALL = ("reading video frames (refs like clip.mp4#123) needs PyAV or imageio: "
           "pip install 'egoequiv[video]' (or: pip install av)")

_open: dict = {}  # the last clip read with PyAV: path, pid, container, frames, next


def read_video_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` of video ``path`` as uint8 (H, W, 3)."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "video file is missing")
    if index < 0:
        raise DataError(path, f"frame index {index} is negative")
    try:
        import av  # noqa: F401
    except ImportError:
        return _read_imageio(path, index)
    return _read_av(path, index)


def _read_av(path: Path, index: int) -> np.ndarray:
    import av

    state = _open
    if state.get("pid") not in (None, os.getpid()):
        _open.clear()  # a forked child: the parent's clip is not ours to close (that can hang)
    if state.get("path") != str(path) or state["next"] > index:
        close_video()
        try:
            container = av.open(str(path))
            stream = container.streams.video[0]
        except (av.error.FFmpegError, IndexError, OSError) as e:
            raise DataError(path, f"cannot open video ({e.__class__.__name__}: {e})") from None
        state.update(path=str(path), pid=os.getpid(), container=container,
                     frames=container.decode(stream), next=0)
    try:
        for frame in state["frames"]:
            state["next"] += 1
            if state["next"] - 1 == index:
                return frame.to_ndarray(format="rgb24")
    except av.error.FFmpegError as e:
        close_video()
        raise DataError(path, f"cannot decode video ({e})") from None
    count = state["next"]
    close_video()
    raise DataError(path, f"frame {index} does not exist: the video has {count} frames")


def _read_imageio(path: Path, index: int) -> np.ndarray:
    try:
        import imageio.v3 as iio
    except ImportError:
        raise EgoequivError(INSTALL) from None
    try:
        frame = iio.imread(path, index=index)
    except IndexError:
        raise DataError(path, f"frame {index} does not exist in this video") from None
    except Exception as e:  # imageio raises plugin-specific errors
        raise DataError(path, f"cannot decode video frame {index} with imageio "
                              f"({e.__class__.__name__}: {e}); {INSTALL}") from None
    frame = np.asarray(frame, dtype=np.uint8)
    return frame[:, :, None] if frame.ndim == 2 else frame[:, :, :3]


def close_video() -> None:
    """Close the clip kept open by the PyAV reader."""
    container = _open.pop("container", None)
    _open.clear()
    if container is not None:
        container.close()
