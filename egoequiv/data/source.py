"""The Source interface: a reader of one on-disk format.

A source is built from a dataset spec ``name:PATH[,key=value...]``; it lists its frames
(``table``) without decoding pixels, and decodes one frame on request (``load_image``).
Decoding happens once, into the uint8 cache (see ``cache.py``), never in a training step.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from egoequiv.data.table import FrameTable
from egoequiv.errors import DataError, EgoequivError


class Source:
    """Base class. Subclasses set ``name``, accept their options in ``__init__`` and
    implement ``_build_table``. ``load_image`` defaults to decoding ``ref`` as an image file."""

    name: str = ""
    needs_path: bool = True
    #: channels a run uses when the config says 0 (1 for grey sources such as NORB)
    default_channels: int = 3
    #: options a user may pass in the spec, with their types; checked by ``from_spec``
    options: dict[str, type] = {}

    def __init__(self, path: str | None, **options):
        if self.needs_path:
            if not path:
                raise EgoequivError(f"dataset {self.name!r} needs a path: {self.name}:PATH")
            if not Path(path).exists():
                raise DataError(path, f"dataset path for {self.name!r} does not exist")
        self.path = Path(path) if path else None
        self.opts = options
        self._table: FrameTable | None = None

    def table(self) -> FrameTable:
        if self._table is None:
            self._table = self._build_table()
        return self._table

    def _build_table(self) -> FrameTable:
        raise NotImplementedError

    def load_image(self, ref: str) -> np.ndarray:
        """Decode frame ``ref`` to a uint8 array (H, W, C) at full size."""
        return read_image_file(ref)

    def fingerprint(self) -> str:
        """Changes whenever the decoded frames could change (drives cache reuse)."""
        h = hashlib.sha1(f"{self.name}|{sorted(self.opts.items())}".encode())
        for ref in self.table().refs:
            path = ref.split("#", 1)[0]
            try:
                st = os.stat(path)
                h.update(f"{ref}|{st.st_size}|{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{ref}\n".encode())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        return f"{self.name}:{self.path}" if self.path else self.name


#: the largest image we decode (width x height), checked from the header before decoding:
#: a few hundred bytes of PNG can claim 12000 x 12000 pixels and cost gigabytes (ours)
MAX_PIXELS = 64_000_000


def read_image_file(path: str) -> np.ndarray:
    """Decode an image file to uint8 (H, W, C); a clear error for a corrupt file.

    Grey and colour stay as they are (palette and alpha images become RGB). 16-bit and
    32-bit grey images are scaled to 8 bits (``>> 8``), not clipped; float images are scaled
    by their maximum (or taken as 0..1 when it is at most 1)."""
    if os.path.exists(path) and not os.path.isfile(path):
        raise DataError(path, "not a regular file (expected an image file)")
    try:
        with warnings.catch_warnings():  # PIL's bomb warning: our own limit below decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise DataError(path, f"image claims {width} x {height} pixels, more than "
                                      f"the limit of {MAX_PIXELS:,}")
            arr = _to_uint8(im)
    except FileNotFoundError:
        raise DataError(path, "image file is missing") from None
    except DataError:
        raise
    except Image.DecompressionBombError:  # PIL refuses before we see the size
        raise DataError(path, f"image claims more pixels than the limit of "
                              f"{MAX_PIXELS:,}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(path, f"cannot decode image ({e.__class__.__name__}: {e})") from None
    return arr[:, :, None] if arr.ndim == 2 else arr


def _to_uint8(im: Image.Image) -> np.ndarray:
    if im.mode.startswith("I;16") or im.mode == "I":
        wide = np.asarray(im, dtype=np.int64)
        return np.clip(wide >> 8, 0, 255).astype(np.uint8)
    if im.mode == "F":
        values = np.nan_to_num(np.asarray(im, dtype=np.float64))
        top = values.max(initial=0.0)
        return np.clip(values * (255.0 if top <= 1 else 255.0 / top), 0, 255).astype(np.uint8)
    return np.asarray(im.convert("L" if im.mode in ("L", "1", "LA") else "RGB"),
                      dtype=np.uint8)
