"""The videos of a LeRobot dataset (see ``lerobot``), read with PyAV: each frame's
presentation time from the packets, the frame shown at a time, and runs of frames decoded
from the keyframe before them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.data.lerobot_tables import INSTALL
from egoequiv.data.trajectory import Where
from egoequiv.errors import DataError, EgoequivError

AV1_INSTALL = ("PyAV has no AV1 decoder here: pip install --upgrade av (its wheels bring "
               "dav1d), or re-encode the videos to H.264")


def _open_video(path: Path, codec: str | None = None):
    try:
        import av
    except ImportError:
        raise EgoequivError(INSTALL) from None
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise DataError(path, f"cannot open video ({e.__class__.__name__}: {e})") from None
    if not container.streams.video:
        container.close()
        raise DataError(path, "no video stream")
    stream = container.streams.video[0]
    check_decoder(path, stream, codec)
    return container, stream


def check_decoder(path: Path, stream, codec: str | None) -> None:
    """A stream this PyAV cannot decode (no decoder: PyAV leaves ``codec_context`` None)
    is one line naming its codec and what to install."""
    if stream.codec_context is not None:
        return
    named = (codec or "").lower()
    hint = AV1_INSTALL if "av1" in named or named in ("", "av01") else \
        "install a PyAV whose FFmpeg has its decoder, or re-encode the videos to H.264"
    raise DataError(path, f"no decoder for its {codec or 'video'} stream: {hint}")


def frame_pts(path: Path, codec: str | None = None) -> tuple[np.ndarray, float]:
    """(each frame's presentation timestamp, in presentation order; the time base), read
    from the packets (no decoding)."""
    import av

    container, stream = _open_video(path, codec)
    with container:
        try:
            pts = [p.pts for p in container.demux(stream) if p.pts is not None and p.size]
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot read video packets ({e})") from None
        base = float(stream.time_base)
    if not pts:
        raise DataError(path, "the video stream has no frames")
    return np.sort(np.array(pts, dtype=np.int64)), base


def nearest_frames(path: Path, pts: np.ndarray, base: float, at: np.ndarray, fps: float,
                   where: Where) -> np.ndarray:
    """The index (presentation order) of the frame shown at each time ``at`` (s): the one
    whose ``pts x base`` is nearest, as lerobot decodes. A frame further than half a frame
    period means the parquet and the video disagree, so it is one line naming the record
    (``where``) and the nearest frame's time rather than a silently wrong image."""
    shown = pts * base
    after = np.clip(np.searchsorted(shown, at), 0, len(shown) - 1)
    before = np.clip(after - 1, 0, None)
    nearest = np.where(np.abs(shown[before] - at) <= np.abs(shown[after] - at), before,
                       after)
    bad = np.flatnonzero(np.abs(shown[nearest] - at) > 0.5 / fps)
    if len(bad):
        k = bad[0]
        prefix, _ = where(int(k))
        raise DataError(path, f"{prefix}no video frame at {at[k]:.4f} s (the nearest is at "
                              f"{shown[nearest[k]]:.4f} s, more than half a frame at "
                              f"{fps:g} fps away; the video has {len(shown)} frames)")
    return nearest


def decode_frames(path: Path, wanted: list[int], pts: np.ndarray) -> dict[int, np.ndarray]:
    """Frames ``wanted`` (indices in presentation order) as uint8 (H, W, 3): a seek to the
    keyframe before the first, then decoding forward to the last."""
    import av

    index = {int(p): k for k, p in enumerate(pts)}
    targets, last, found = set(wanted), max(wanted), {}
    container, stream = _open_video(path)
    with container:
        try:
            container.seek(int(pts[min(wanted)]), backward=True, any_frame=False, stream=stream)
            for frame in container.decode(stream):
                k = index.get(frame.pts)
                if k in targets:
                    found[k] = frame.to_ndarray(format="rgb24")
                if k is not None and k >= last:
                    break
        except av.error.FFmpegError as e:
            raise DataError(path, f"cannot decode video ({e})") from None
    lost = sorted(targets - set(found))
    if lost:
        raise DataError(path, f"frame {lost[0]} (at pts {pts[lost[0]]}) was not decoded "
                              f"({len(lost)} of {len(targets)} frames asked for)")
    return found
