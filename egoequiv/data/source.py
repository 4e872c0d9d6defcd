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
from PIL import Image, ImageOps, UnidentifiedImageError

from egoequiv.data.table import FrameTable
from egoequiv.errors import DataError, EgoequivError
from egoequiv.utils.options import Option, parse_options


class Source:
    """Base class. Subclasses set ``name`` and ``options`` and implement ``_build_table``.
    ``load_image`` defaults to decoding ``ref`` as an image file."""

    name: str = ""
    needs_path: bool = True
    #: channels a run uses when the config says 0 (1 for grey sources such as NORB)
    default_channels: int = 3
    #: the options a spec may set, ``{"key": Option(default, meaning, ...)}``: cast and
    #: checked when the source is built, an unknown key refused by name (``egoequiv sources``
    #: lists them); read with ``self.option(key)``
    options: dict[str, Option] = {}

    def __init__(self, path: str | None, **options):
        self.opts = parse_options(options, self.declared_options(), f"dataset {self.name!r}")
        if self.needs_path:
            if not path:
                raise EgoequivError(f"dataset {self.name!r} needs a path: {self.name}:PATH")
            if not Path(path).exists():
                raise DataError(path, f"dataset path for {self.name!r} does not exist")
        self.path = Path(path) if path else None
        self._table: FrameTable | None = None

    @classmethod
    def declared_options(cls) -> dict[str, Option]:
        """``options``, each as an Option. An option declared by its type alone
        (``{"size": int}``) has no default here: the source sets it."""
        return {k: o if isinstance(o, Option) else
                Option(None, "(no declared default: the source's own)", kind=o)
                for k, o in cls.options.items()}

    def option(self, key: str):
        """Option ``key`` as the spec set it, else its declared default."""
        return self.opts[key] if key in self.opts else self.declared_options()[key].default

    def table(self) -> FrameTable:
        if self._table is None:
            self._table = self._build_table()
        return self._table

    def _build_table(self) -> FrameTable:
        raise NotImplementedError

    def load_image(self, ref: str) -> np.ndarray:
        """Decode frame ``ref`` to a uint8 array (H, W, C) at full size."""
        return read_image_file(ref)

    def chunks(self, refs: list[str]) -> list[np.ndarray]:
        """How the cache splits the frames into decode jobs (row indices, in order): each
        job is decoded by one worker with ``load_chunk``. Default: runs of frames of one
        video clip (``clip.mp4#N``), so a clip is decoded once, else groups of 16."""
        return chunk_refs(refs)

    def load_chunk(self, refs: list[str]) -> list[np.ndarray]:
        """Decode the frames of one job (see ``chunks``)."""
        return [self.load_image(r) for r in refs]

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

    def frame_info(self) -> dict:
        """The first frame's height, width and channels as stored, and the channels a run
        trains with when the config says 0 (``default_channels``): what ``data info``
        shows; ``{"error": ...}`` when the frame cannot be decoded. Decodes one frame (two
        or more for sources that probe their channels)."""
        table = self.table()
        if not len(table):
            return {}
        try:
            height, width, channels = self.load_image(table.refs[0]).shape
            trains_as = int(self.default_channels)
        except DataError as e:  # shown beside what the table holds, not instead of it
            return {"error": str(e)}
        return {"height": int(height), "width": int(width), "channels": int(channels),
                "trains_as_channels": trains_as}


def chunk_refs(refs: list[str], size: int = 16) -> list[np.ndarray]:
    """Consecutive rows whose refs name frames of one clip (``X#N``) form one chunk; other
    rows form chunks of ``size``."""
    keys = [r.rpartition("#")[0] or None for r in refs]
    out, start = [], 0
    for k in range(1, len(refs) + 1):
        if k == len(refs) or keys[k] != keys[start] or \
                (keys[start] is None and k - start >= size):
            out.append(np.arange(start, k))
            start = k
    return out


#: the largest image we decode (width x height), checked from the header before decoding:
#: a few hundred bytes of PNG can claim 12000 x 12000 pixels and cost gigabytes (ours)
MAX_PIXELS = 64_000_000
#: the EXIF tag of a camera's orientation (1 upright .. 8)
EXIF_ORIENTATION = 0x0112


def read_image_file(path, name: str | None = None) -> np.ndarray:
    """Decode an image file (a path, or a file object named ``name`` in errors) to uint8
    (H, W, C); a clear error for a corrupt file.

    EXIF orientation is applied (``upright``). Grey and colour stay as they are (palette and
    alpha images become RGB). 16-bit and 32-bit grey images are scaled to 8 bits (``>> 8``),
    not clipped; float images are scaled by their maximum (or taken as 0..1 when it is at
    most 1)."""
    label = path if name is None else name
    if name is None and os.path.exists(path) and not os.path.isfile(path):
        raise DataError(path, "not a regular file (expected an image file)")
    try:
        with warnings.catch_warnings():  # PIL's bomb warning: our own limit below decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise DataError(label, f"image claims {width} x {height} pixels, more than "
                                      f"the limit of {MAX_PIXELS:,}")
            arr = _to_uint8(upright(im))
    except FileNotFoundError:
        raise DataError(label, "image file is missing") from None
    except DataError:
        raise
    except Image.DecompressionBombError:  # PIL refuses before we see the size
        raise DataError(label, f"image claims more pixels than the limit of "
                              f"{MAX_PIXELS:,}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise DataError(label, f"cannot decode image ({e.__class__.__name__}: {e})") from None
    return arr[:, :, None] if arr.ndim == 2 else arr


def upright(im: Image.Image) -> Image.Image:
    """The image as the camera meant it: its EXIF orientation (a phone's or a camera's
    JPEG held sideways stores tag 6 or 8, not turned pixels) applied. A damaged EXIF block
    leaves the pixels as stored: the image itself is still readable."""
    try:
        orientation = im.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # PIL raises several kinds for a malformed EXIF block
        return im
    if orientation not in range(2, 9):
        return im
    return ImageOps.exif_transpose(im)


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
