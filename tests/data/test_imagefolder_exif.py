"""EXIF orientation: real JPEGs, written by PIL from a real ETH-80 frame with each orientation
tag 1..8 (their pixels stored turned the way a camera stores them), decode upright in every
path: the image reader, an imagefolder through the frame cache, frames-csv, data convert."""

import numpy as np
import pytest
from PIL import Image

from egoequiv.cli.main import main
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.data.source import read_image_file

#: how a camera stores an upright picture for each tag: the inverse of what the tag says to
#: do on display (PIL's exif_transpose applies the latter)
STORED = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
          6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_270}


@pytest.fixture(scope="module")
def upright(shared_data):
    """A real ETH-80 frame cropped to 64 x 40 (not square: a turn changes the shape)."""
    png = sorted((shared_data / "eth80" / "2").rglob("*.png"))[0]
    return Image.open(png).convert("RGB").crop((0, 12, 64, 52))


def write_tagged(folder, upright, orientation):
    stored = upright if STORED[orientation] is None else upright.transpose(STORED[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = folder / f"tag{orientation}.jpg"
    stored.save(path, quality=95, exif=exif)
    return path


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < 6


@pytest.mark.parametrize("orientation", range(1, 9))
def test_each_orientation_tag_decodes_upright(tmp_path, upright, orientation):
    """input: tag<N>.jpg, orientation tag N, pixels stored as the camera turned them."""
    path = write_tagged(tmp_path, upright, orientation)
    want = np.asarray(upright)
    decoded = read_image_file(path)
    assert close(decoded, want)
    if orientation != 1:  # the stored pixels themselves are not upright: the tag mattered
        assert not close(np.asarray(Image.open(path).convert("RGB")), want)


@pytest.fixture
def tagged_folder(tmp_path, upright):
    """An imagefolder of one class: the frame stored with each of the 8 tags."""
    folder = tmp_path / "phone" / "cup"
    folder.mkdir(parents=True)
    for k in range(1, 9):
        write_tagged(folder, upright, k)
    return tmp_path / "phone"


def test_the_cache_holds_upright_frames(tagged_folder, upright, tmp_path):
    """input: imagefolder of tag1.jpg..tag8.jpg (64 x 40 upright), cached at 16 x 16."""
    frames = load_frames(open_source(f"imagefolder:{tagged_folder}"), 16, 3,
                         directory=tmp_path / "cache", quiet=True)
    want = np.asarray(upright.resize((16, 16), Image.BILINEAR, reducing_gap=2.0)).astype(int)
    for k in range(len(frames)):
        assert np.abs(np.asarray(frames.images[k]).astype(int) - want).mean() < 8, k


def test_frames_csv_and_convert_write_upright_frames(tagged_folder, upright, tmp_path):
    """input: data convert of the tagged imagefolder, then its frames-csv read back."""
    out = tmp_path / "converted"
    assert main(["data", "convert", f"imagefolder:{tagged_folder}", str(out)]) == 0
    source = open_source(f"frames-csv:{out}")
    want = np.asarray(upright)
    for ref in source.table().refs:
        assert close(source.load_image(ref), want), ref
    csv = out / "again.csv"
    csv.write_text("image,sequence,time,motor_x\n" + "".join(
        f"{tagged_folder / 'cup' / f'tag{k}.jpg'},s,{k},{k}\n" for k in range(1, 9)))
    tagged = open_source(f"frames-csv:{csv},allow_outside=1")
    for ref in tagged.table().refs:
        assert close(tagged.load_image(ref), want), ref
