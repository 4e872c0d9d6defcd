"""smallNORB: LeCun matrix bytes, the reader's table and images, and bad files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from egoequiv.data.lecun_matrix import matrix_bytes, read_matrix, write_matrix
from egoequiv.data.registry import open_source
from egoequiv.data.smallnorb import SmallNorbSource
from egoequiv.errors import DataError

TRAIN = "smallnorb-5x46789x9x18x6x2x96x96-training-{}.mat"
TEST = "smallnorb-5x01235x9x18x6x2x96x96-testing-{}.mat"


def make_trio(folder, pattern, instances, seed, gz=False, size=96):
    """A small trio in the official layout: every (category, instance) at 3 views x 2 lights."""
    rng = np.random.default_rng(seed)
    cats, infos = [], []
    for cat in (0, 4):
        for inst in instances:
            for elev, azim in ((0, 0), (0, 34), (8, 2)):
                for light in (0, 5):
                    cats.append(cat)
                    infos.append((inst, elev, azim, light))
    n = len(cats)
    dat = rng.integers(0, 256, size=(n, 2, size, size), dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_matrix(folder / (pattern.format("dat") + suffix), dat)
    write_matrix(folder / (pattern.format("cat") + suffix), np.array(cats, dtype=np.int32))
    write_matrix(folder / (pattern.format("info") + suffix), np.array(infos, dtype=np.int32))
    return dat, np.array(cats), np.array(infos)


@pytest.fixture
def norb(tmp_path):
    train = make_trio(tmp_path, TRAIN, (4, 6), seed=0)
    test = make_trio(tmp_path, TEST, (0, 1), seed=1)
    return tmp_path, train, test


def test_matrix_bytes_are_the_official_layout():
    cat = np.array([0, 4, 2], dtype=np.int32)
    expected = struct.pack("<5i", 0x1E3D4C54, 1, 3, 1, 1) + struct.pack("<3i", 0, 4, 2)
    assert matrix_bytes(cat) == expected
    dat = np.arange(2 * 2 * 3 * 3, dtype=np.uint8).reshape(2, 2, 3, 3)
    head = struct.pack("<6i", 0x1E3D4C55, 4, 2, 2, 3, 3)
    assert matrix_bytes(dat) == head + bytes(range(36))
    info = np.array([[1, 2, 3, 4]], dtype=np.int32)
    assert matrix_bytes(info)[:20] == struct.pack("<5i", 0x1E3D4C54, 2, 1, 4, 1)


@pytest.mark.parametrize("dtype", ["u1", "<i4", "<f4", "<f8", "<i2"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_matrix_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    path = write_matrix(tmp_path / f"m.mat{suffix}", a)
    b = read_matrix(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(b, a)
    if not suffix:
        assert isinstance(b, np.memmap)  # random access without reading the file


def test_table(norb):
    folder, (dtr, ctr, itr), (dte, cte, ite) = norb
    table = open_source(f"smallnorb:{folder}").table()
    n_tr, n_te = len(ctr), len(cte)
    assert len(table) == n_tr + n_te
    assert table.class_names == ["animal", "human", "airplane", "truck", "car"]
    assert list(table.split[:n_tr]) == ["train"] * n_tr
    assert list(table.split[n_tr:]) == ["test"] * n_te
    np.testing.assert_array_equal(table.labels, np.concatenate([ctr, cte]))
    info = np.concatenate([itr, ite])
    np.testing.assert_array_equal(table.motor[:, 0], 30 + 5 * info[:, 1])
    np.testing.assert_array_equal(table.motor[:, 1], 10 * info[:, 2])
    assert table.motor[:, 1].max() == 340 and table.motor_spec.periods == (None, 360.0)
    np.testing.assert_array_equal(table.meta["instance"], info[:, 0])
    np.testing.assert_array_equal(table.meta["lighting"], info[:, 3])
    assert set(table.meta["instance"][table.split == "train"]) == {4, 6}
    # one sequence per category x instance x lighting, each holding that toy's views
    assert len(table.sequence_names) == 2 * 2 * 2 * 2
    assert "car6-light5" in table.sequence_names
    for s in range(len(table.sequence_names)):
        rows = table.sequence == s
        assert rows.sum() == 3
        assert len(set(table.meta["instance"][rows])) == 1
        assert len(set(table.meta["lighting"][rows])) == 1
    assert table.neighbours.layout == "views" and table.neighbours.steps == (5.0, 20.0)


def test_images_are_the_first_of_each_stereo_pair(norb):
    folder, (dtr, _, _), (dte, _, _) = norb
    source = SmallNorbSource(str(folder))
    table = source.table()
    for i in (0, 5, len(dtr) + 3):
        img = source.load_image(table.refs[i])
        want = dtr[i, 0] if i < len(dtr) else dte[i - len(dtr), 0]
        assert img.shape == (96, 96, 1) and img.dtype == np.uint8
        np.testing.assert_array_equal(img[:, :, 0], want)
    assert isinstance(source._dat(table.refs[0].rpartition("#")[0]), np.memmap)


def test_gzip_files_read_the_same(tmp_path, norb, monkeypatch):
    folder, (dtr, ctr, _), _ = norb
    gz = tmp_path / "gz"
    gz.mkdir()
    make_trio(gz, TRAIN, (4, 6), seed=0, gz=True)
    monkeypatch.setenv("EGOEQUIV_CACHE", str(tmp_path / "cache"))
    source = SmallNorbSource(str(gz))
    table = source.table()
    assert len(table) == len(ctr) and set(table.split) == {"train"}
    np.testing.assert_array_equal(source.load_image(table.refs[7])[:, :, 0], dtr[7, 0])


def test_wrong_magic_names_the_file(norb):
    folder = norb[0]
    path = folder / TRAIN.format("cat")
    raw = bytearray(path.read_bytes())
    raw[:4] = struct.pack("<i", 0x1E3D4C99)
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"training-cat\.mat: wrong magic number 0x1E3D4C99"):
        SmallNorbSource(str(folder)).table()


def test_header_dims_whose_product_overflows(norb):
    folder = norb[0]
    path = folder / TRAIN.format("dat")
    raw = bytearray(path.read_bytes())
    raw[8:24] = struct.pack("<4i", 2**31 - 1, 2**31 - 1, 2**31 - 1, 2**31 - 1)
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"training-dat\.mat: header dims .* more than any"):
        SmallNorbSource(str(folder)).table()


def test_truncated_file_names_the_file(norb):
    folder = norb[0]
    path = folder / TEST.format("dat")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"testing-dat\.mat: truncated file"):
        SmallNorbSource(str(folder)).table()


def test_truncated_gzip_names_the_file(tmp_path):
    make_trio(tmp_path, TRAIN, (4,), seed=0, gz=True)
    path = tmp_path / (TRAIN.format("info") + ".gz")
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:30]))
    with pytest.raises(DataError, match=r"training-info\.mat\.gz: truncated"):
        SmallNorbSource(str(tmp_path)).table()


def test_mismatched_counts_name_the_file(norb):
    folder, (_, ctr, _), _ = norb
    write_matrix(folder / TRAIN.format("cat"), ctr[:-1].astype(np.int32))
    with pytest.raises(DataError, match=rf"training-cat\.mat: {len(ctr) - 1} records but"):
        SmallNorbSource(str(folder)).table()


def test_out_of_range_info_names_file_and_record(norb):
    folder, (_, _, itr), _ = norb
    bad = itr.astype(np.int32).copy()
    bad[3, 1] = 9  # elevation 9 does not exist
    write_matrix(folder / TRAIN.format("info"), bad)
    with pytest.raises(DataError, match=r"training-info\.mat: record 3: elevation 9"):
        SmallNorbSource(str(folder)).table()


def test_incomplete_trio_and_empty_folder(norb, tmp_path_factory):
    folder = norb[0]
    (folder / TEST.format("info")).unlink()
    with pytest.raises(DataError, match=r"testing files incomplete: no \*-testing-info"):
        SmallNorbSource(str(folder)).table()
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(DataError, match=f"{empty}: no smallNORB files"):
        SmallNorbSource(str(empty)).table()
