"""Frames of video files, for refs like ``clip.mp4#123`` (frame 123, from 0).

Decoded with PyAV (``pip install 'egoequiv[video]'`` or ``pip install av``), else imageio with
its pyav/ffmpeg plugin. Neither is a hard dependency. Frames are counted in presentation order
from the start of the first video stream (the order a decoder outputs them). A clip is opened,
decoded once up to the last frame asked for, and closed within one call: nothing stays open
to be inherited by a forked decode worker (an inherited open decoder can hang it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.errors import DataError, EgoequivError

INSTALL = ("reading video frames (refs like clip.mp4#123) needs PyAV or imageio: "
           "pip install 'egoequiv[video]' (or: pip install av)")
#: file endings taken as video clips by the ``video:`` source
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v")


def split_ref(ref: str) -> tuple[str, int] | None:
    """(clip path, frame index) of a ``clip.mp4#N`` ref, None for an image file."""
    clip, hash_, index = ref.rpartition("#")
    return (clip, int(index)) if hash_ and index.isdigit() else None


def load_video_refs(refs: list[str]) -> list[np.ndarray] | None:
    """The frames of ``refs`` if they are all frames of one clip (decoded once), else None."""
    parts = [split_ref(r) for r in refs]
    if not parts or any(p is None or p[0] != parts[0][0] for p in parts):
        return None
    return read_video_frames(parts[0][0], [p[1] for p in parts])


def read_video_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` of video ``path`` as uint8 (H, W, 3)."""
    return read_video_frames(path, [index])[0]


def read_video_frames(path: str | Path, indices: list[int]) -> list[np.ndarray]:
    """Frames ``indices`` (any order, repeats allowed) of video ``path``, uint8 (H, W, 3),
    decoding the clip once from its start to the largest index."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "video file is missing")
    if min(indices) < 0:
        raise DataError(path, f"frame index {min(indices)} is negative")
    try:
        import av  # noqa: F401
    except ImportError:
        return [_read_imageio(path, k) for k in indices]
    return _read_av(path, indices)


def _open_av(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise DataError(path, f"cannot open video ({e.__class__.__name__}: {e})") from None
    if not container.streams.video:  # an empty container, or audio / data streams only
        others = [s.type for s in container.streams]
        container.close()
        held = f"it holds {', '.join(others)} stream(s) only" if others else "it is empty"
        raise DataError(path, f"no video stream ({held})")
    return container, container.streams.video[0]


def _read_av(path: Path, indices: list[int]) -> list[np.ndarray]:
    import av

    wanted, last, found = set(indices), max(indices), {}
    container, stream = _open_av(path)
    with container:
        count = 0
        try:
            for frame in container.decode(stream):
                if count in wanted:
                    found[count] = frame.to_ndarray(format="rgb24")
                count += 1
                if count > last:
                    break
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot decode video ({e})") from None
    if last >= count:
        raise DataError(path, f"frame {last} does not exist: the video has {count} frames")
    return [found[k] for k in indices]


def frame_times(path: str | Path) -> np.ndarray:
    """Each frame's presentation time in seconds from the stream's start, in frame order,
    read from the container's packets (no decoding)."""
    path = Path(path)
    try:
        import av
    except ImportError:
        raise EgoequivError(f"the video source reads frame times with PyAV: "
                            f"pip install 'egoequiv[video]' (needed for {path})") from None
    container, stream = _open_av(path)
    with container:
        try:
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size]
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot read video packets ({e})") from None
        base = stream.time_base
        start = stream.start_time if stream.start_time is not None else (min(pts) if pts else 0)
    if not pts:
        raise DataError(path, "the video stream has no frames")
    return (np.sort(np.array(pts, dtype=np.float64)) - start) * float(base)


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
