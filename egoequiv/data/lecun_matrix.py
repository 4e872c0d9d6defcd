"""LeCun's binary matrix format (the smallNORB ``.mat`` files), plain or gzip-compressed.

Layout, all little-endian: int32 magic (element type), int32 ndim, then ``max(3, ndim)``
int32 dimensions (unused ones stored as 1), then the data in C order. Magic numbers:
0x1E3D4C55 uint8, 0x1E3D4C54 int32, 0x1E3D4C51 float32, 0x1E3D4C53 float64, 0x1E3D4C56 int16.

``read_matrix`` memory-maps a plain file (fast random access); a ``.gz`` file is decompressed
into memory. ``write_matrix`` writes the exact official bytes (tests build small files with it).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from egoequiv.errors import DataError

MAGIC_TO_DTYPE = {
    0x1E3D4C55: np.dtype("u1"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C56: np.dtype("<i2"),
}
DTYPE_TO_MAGIC = {dt.str: magic for magic, dt in MAGIC_TO_DTYPE.items()}


def parse_header(path, head: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, data offset) from the first bytes of a matrix file."""
    if len(head) < 8:
        raise DataError(path, f"truncated header: {len(head)} bytes, need at least 8")
    magic, ndim = struct.unpack("<ii", head[:8])
    if magic & 0xFFFFFFFF not in MAGIC_TO_DTYPE:
        known = ", ".join(f"0x{m:08X}" for m in MAGIC_TO_DTYPE)
        raise DataError(path, f"wrong magic number 0x{magic & 0xFFFFFFFF:08X}: not a LeCun "
                              f"binary matrix (expected one of {known})")
    if not 0 <= ndim <= 16:
        raise DataError(path, f"header says {ndim} dimensions; expected 0..16")
    stored = max(3, ndim)
    offset = 8 + 4 * stored
    if len(head) < offset:
        raise DataError(path, f"truncated header: {len(head)} bytes, need {offset}")
    dims = struct.unpack(f"<{stored}i", head[8:offset])
    if any(d < 0 for d in dims):
        raise DataError(path, f"negative dimension in header {dims}")
    return MAGIC_TO_DTYPE[magic & 0xFFFFFFFF], tuple(dims[:ndim]), offset


def read_header(path: str | Path, name: str | Path | None = None
                ) -> tuple[np.dtype, tuple[int, ...], int]:
    path = Path(path)
    name = name or path
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(8 + 4 * 16)
    except FileNotFoundError:
        raise DataError(name, "file is missing") from None
    except (OSError, EOFError) as e:
        raise DataError(name, f"cannot read ({e})") from None
    return parse_header(name, head)


#: no LeCun matrix we read is larger (smallNORB's -dat is 466 MB)
MAX_BYTES = 1 << 34


def read_matrix(path: str | Path, name: str | Path | None = None) -> np.ndarray:
    """The matrix stored in ``path``: a read-only memmap for a plain file, an array for .gz.
    Errors name ``name`` (default ``path``): the original file when ``path`` is a copy."""
    path = Path(path)
    name = name or path
    dtype, shape, offset = read_header(path, name)
    count = 1
    for d in shape:  # Python ints: a product of huge dimensions must not wrap around
        count *= d
    if count * dtype.itemsize > MAX_BYTES:
        raise DataError(name, f"header dims {shape} describe {count * dtype.itemsize:.3g} "
                              f"bytes, more than any smallNORB file ({MAX_BYTES:.0e})")
    need = offset + count * dtype.itemsize
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                raw = f.read()
        except (OSError, EOFError) as e:
            raise DataError(name, f"cannot decompress ({e})") from None
        _check_size(name, len(raw), need, shape)
        return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
    size = path.stat().st_size
    _check_size(name, size, need, shape)
    if count == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def _check_size(path, size: int, need: int, shape) -> None:
    if size < need:
        raise DataError(path, f"truncated file: header says shape {shape} ({need} bytes in "
                              f"all), file has {size} bytes")


def matrix_bytes(array: np.ndarray) -> bytes:
    """The exact bytes of ``array`` in LeCun's format."""
    array = np.asarray(array)
    dt = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    if dt.str not in DTYPE_TO_MAGIC:
        raise ValueError(f"LeCun matrix: unsupported dtype {array.dtype}")
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    head = struct.pack(f"<ii{len(dims)}i", DTYPE_TO_MAGIC[dt.str], array.ndim, *dims)
    return head + np.ascontiguousarray(array, dtype=dt).tobytes()


def write_matrix(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` to ``path`` (gzip-compressed if the name ends in .gz)."""
    path = Path(path)
    data = matrix_bytes(array)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path
