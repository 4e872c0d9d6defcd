"""Images that claim huge sizes, 16-bit frames, non-files, and a bad frame in a big set."""

import os
import pickle
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.cache import load_frames
from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.data.source import MAX_PIXELS, read_image_file
from egoequiv.errors import DataError


def png_claiming(path, width, height):
    """A tiny PNG whose header claims width x height (the data is one compressed row)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side", [12000, 40000])
def test_an_image_claiming_a_huge_size_is_refused_before_decoding(tmp_path, side):
    path = png_claiming(tmp_path / "bomb.png", side, side)
    assert path.stat().st_size < 1000 and side * side > MAX_PIXELS
    with pytest.raises(DataError, match="claims .* pixels") as e:
        read_image_file(str(path))
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1024)  # 0 .. 64512
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I")
    arr = read_image_file(str(path))
    assert arr.dtype == np.uint8 and arr.shape == (8, 8, 1)
    np.testing.assert_array_equal(arr[:, :, 0], (ramp >> 8).astype(np.uint8))
    assert len(np.unique(arr)) == 64  # not all 255


def test_a_fifo_is_refused_not_read(tmp_path):
    fifo = tmp_path / "frame.png"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_image_file(str(fifo))


def test_data_error_survives_the_trip_back_from_a_worker():
    e = pickle.loads(pickle.dumps(DataError("a.png", "cannot decode image", 3)))
    assert isinstance(e, DataError) and str(e) == "a.png:3: cannot decode image"


def test_a_truncated_frame_in_a_large_set_fails_with_one_line_not_a_hang(tmp_path):
    rows = ["image,sequence,time,motor_x"]
    for k in range(80):  # more than 64 frames: decoded by the worker pool
        Image.fromarray(np.full((8, 8), k, np.uint8)).save(tmp_path / f"{k}.png")
        rows.append(f"{k}.png,s,{k},{k}")
    data = (tmp_path / "40.png").read_bytes()
    (tmp_path / "40.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "frames.csv").write_text("\n".join(rows) + "\n")
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="40.png") as e:
        load_frames(FramesCsvSource(str(tmp_path / "frames.csv")), 8, 1, workers=2,
                    directory=cache, quiet=True)
    assert "\n" not in str(e.value)
    assert list(cache.iterdir()) == []  # the partial cache file is removed
