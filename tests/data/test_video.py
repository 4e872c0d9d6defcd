"""Video frames for frames-csv refs ``clip.mp4#N``: PyAV when present, a clear error if not."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from egoequiv.data import video
from egoequiv.data.registry import open_source
from egoequiv.errors import DataError, EgoequivError


def test_no_backend_says_what_to_install(tmp_path, monkeypatch):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 16)
    monkeypatch.setitem(sys.modules, "av", None)
    monkeypatch.setitem(sys.modules, "imageio", None)
    monkeypatch.setitem(sys.modules, "imageio.v3", None)
    with pytest.raises(EgoequivError, match=r"pip install 'egoequiv\[video\]'"):
        video.read_video_frame(clip, 3)


def test_missing_video_file(tmp_path):
    with pytest.raises(DataError, match=rf"{tmp_path / 'nope.mp4'}: video file is missing"):
        video.read_video_frame(tmp_path / "nope.mp4", 0)


def write_clip(path, frames=8, size=(64, 48)):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for k in range(frames):
            img = np.full((size[1], size[0], 3), 30 * k, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_frames_csv_with_video_refs(tmp_path):
    write_clip(tmp_path / "clip.mp4")
    rows = [f"clip.mp4#{k},c,{k / 10},{k}" for k in (1, 5, 2)]
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_odo\n" + "\n".join(rows))
    source = open_source(f"frames-csv:{tmp_path / 'frames.csv'}")
    table = source.table()
    assert table.refs[1].endswith("clip.mp4#5")
    means = [source.load_image(ref).mean() for ref in table.refs]  # 5 then back to 2: reopen
    assert source.load_image(table.refs[0]).shape == (48, 64, 3)
    np.testing.assert_allclose(means, [30, 150, 60], atol=6)
    with pytest.raises(DataError, match=r"clip.mp4: frame 8 does not exist: the video has 8"):
        video.read_video_frame(tmp_path / "clip.mp4", 8)
    video.close_video()


def test_not_a_video(tmp_path):
    pytest.importorskip("av")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(DataError, match=rf"{bad}: cannot open video"):
        video.read_video_frame(bad, 0)
