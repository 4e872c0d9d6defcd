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


def test_frames_csv_with_video_refs(tmp_path, write_clip):
    write_clip(tmp_path / "clip.mp4")
    rows = [f"clip.mp4#{k},{seq},{k / 10},{k}" for k, seq in ((1, "c"), (5, "c"), (2, "d"))]
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_odo\n" + "\n".join(rows))
    source = open_source(f"frames-csv:{tmp_path / 'frames.csv'}")
    table = source.table()
    assert table.refs[1].endswith("clip.mp4#5")
    means = [source.load_image(ref).mean() for ref in table.refs]  # 5 then back to 2: reopen
    assert source.load_image(table.refs[0]).shape == (48, 64, 3)
    np.testing.assert_allclose(means, [30, 150, 60], atol=6)
    with pytest.raises(DataError, match=r"clip.mp4: frame 8 does not exist: the video has 8"):
        video.read_video_frame(tmp_path / "clip.mp4", 8)


def test_not_a_video(tmp_path):
    pytest.importorskip("av")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video")
    with pytest.raises(DataError, match=rf"{bad}: cannot open video"):
        video.read_video_frame(bad, 0)


def test_video_refs_decode_in_the_worker_pool_with_default_channels(tmp_path, write_clip):
    """More than 64 refs of two clips and channels=0: the parent probes the clips, then forks
    workers, each decoding one whole clip once."""
    from egoequiv.data.cache import load_frames

    write_clip(tmp_path / "a.mp4", frames=40)
    write_clip(tmp_path / "b.mp4", frames=40)
    rows = [f"{'ab'[k // 40]}.mp4#{k % 40},s{k // 8},{k % 8},{k}" for k in range(80)]
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_odo\n" + "\n".join(rows))
    source = open_source(f"frames-csv:{tmp_path / 'frames.csv'}")
    channels = source.default_channels  # opens the clip in this process
    frames = load_frames(source, 16, channels, workers=2, directory=tmp_path / "cache",
                         quiet=True)
    assert frames.images.shape == (80, 16, 16, 3)
    assert [len(c) for c in source.chunks(source.table().refs)] == [40, 40]
    np.testing.assert_allclose(frames.images[[1, 41]].mean(axis=(1, 2, 3)), [30, 30], atol=6)
