"""The uint8 frame cache: decoded once, reused, rebuilt when the source changes."""

import shutil

import numpy as np
import pytest
from PIL import Image

from egoequiv.data.cache import load_frames, resize_frame
from egoequiv.data.registry import open_source


def small_eth80(shared_data, tmp_path):
    """Two categories x two instances of the real ETH-80, copied so they can be changed."""
    root = tmp_path / "eth80"
    for cat in ("1", "2"):
        (root / cat).mkdir(parents=True)
        for txt in (shared_data / "eth80" / cat).glob("*.txt"):
            shutil.copy(txt, root / cat)
        for inst in ("1", "2"):
            shutil.copytree(shared_data / "eth80" / cat / inst, root / cat / inst)
    return root


def test_decoded_once_then_reused_and_rebuilt_on_change(shared_data, tmp_path):
    root = small_eth80(shared_data, tmp_path)
    cache = tmp_path / "cache"
    first = load_frames(open_source(f"eth80:{root}"), 16, 3, workers=2, directory=cache)
    assert first.images.shape == (4 * 41, 16, 16, 3) and first.images.dtype == np.uint8
    ref = first.table.refs[0]
    with Image.open(ref) as im:
        expected = resize_frame(np.asarray(im.convert("RGB")), 16, 3)
    assert np.array_equal(first.images[0], expected)
    files = sorted(cache.glob("*.npy"))
    assert len(files) == 1

    again = load_frames(open_source(f"eth80:{root}"), 16, 3, directory=cache)
    assert sorted(cache.glob("*.npy")) == files  # reused: no second file
    assert np.array_equal(again.images, first.images)

    Image.new("RGB", (64, 64), (255, 0, 0)).save(ref)  # the source changes
    changed = load_frames(open_source(f"eth80:{root}"), 16, 3, directory=cache)
    assert len(list(cache.glob("*.npy"))) == 2
    assert (changed.images[0][..., 0] == 255).all()
    assert np.array_equal(changed.images[1:], first.images[1:])

    grey = load_frames(open_source(f"eth80:{root}"), 16, 1, directory=cache)
    assert grey.images.shape[3] == 1  # size and channels are part of the key


@pytest.mark.parametrize("damage", ["truncate", "zero", "no marker"])
def test_a_damaged_cache_is_rebuilt(tmp_path, shared_data, damage):
    source = f"eth80:{shared_data / 'eth80'}"
    cache = tmp_path / "cache"
    first = np.array(load_frames(open_source(source), 16, 1, directory=cache, quiet=True).images)
    (path,) = cache.glob("*.npy")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "zero":
        data = bytearray(path.read_bytes())
        data[-first.size:] = bytes(first.size)
        path.write_bytes(bytes(data))
    else:
        path.with_name(path.name + ".done").unlink()
    again = load_frames(open_source(source), 16, 1, directory=cache, quiet=True)
    np.testing.assert_array_equal(np.array(again.images), first)
