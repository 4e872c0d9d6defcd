"""The Source interface: a reader of one on-disk format.

A source is built from a dataset spec ``name:PATH[,key=value...]``; it lists its frames
(``table``) without decoding pixels, and decodes one frame on request (``load_image``).
Decoding happens once, into the uint8 cache (see ``cache.py``), never in a training step.
"""

from __future__ import annotations

import hashlib
import os
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


def read_image_file(path: str) -> np.ndarray:
    """Decode an image file to uint8 (H, W, C); a clear error for a corrupt file."""
    try:
        with Image.open(path) as im:
            im = im.convert("L") if im.mode in ("L", "I;16", "I", "F", "1") else im.convert("RGB")
            arr = np.asarray(im, dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(path, "image file is missing") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(path, f"cannot decode image ({e.__class__.__name__}: {e})") from None
    return arr[:, :, None] if arr.ndim == 2 else arr
