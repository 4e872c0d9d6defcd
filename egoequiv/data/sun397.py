"""SUN397 (Xiao et al., CVPR 2010): 397 scene classes, with the official partitions.

``DIR`` is the image tree (``DIR/<letter>/<class>[/<sub>]/sun_*.jpg``; a ``SUN397/`` folder
inside ``DIR`` is used if present). Partition files ``Training_NN.txt`` / ``Testing_NN.txt``
(NN = 01..10; option ``split``) and the optional ``ClassName.txt`` (lines
``/a/abbey``) are looked for in DIR, DIR/Partitions, the image tree, its Partitions/, DIR's
parent and its Partitions/. A partition line is an image path relative to the tree,
``/a/abbey/sun_aaalbzqrimafwbiv.jpg``; the class is the path between the letter and the file
(``bakery/shop`` for ``/b/bakery/shop/...``).

Errors (file:line): a malformed line; with ClassName.txt, a class not listed there. Images
listed but absent (partial download) are skipped with one warning counting them. Still images:
one sequence per image and a constant motor dimension ``still`` (see ``imagefolder.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from egoequiv.data.imagefolder import still_table
from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

#: the official partitions, Training_NN.txt / Testing_NN.txt
PARTITIONS = range(1, 11)


def _check_partition(number: int) -> None:
    if number not in PARTITIONS:
        raise ValueError(f"split={number}: SUN397 has partitions 1..10")


class Sun397Source(Source):
    name = "sun397"
    options = {"split": Option(1, "the official partition N (1..10): Training_NN.txt and "
                                  "Testing_NN.txt", check=_check_partition)}

    def _build_table(self) -> FrameTable:
        number = self.option("split")
        root = self.path / "SUN397" if (self.path / "SUN397").is_dir() else self.path
        places = [self.path, self.path / "Partitions", root, root / "Partitions",
                  self.path.parent, self.path.parent / "Partitions"]
        train_file = _locate(places, f"Training_{number:02d}.txt", self.path)
        test_file = _locate(places, f"Testing_{number:02d}.txt", self.path)
        class_file = next((p / "ClassName.txt" for p in places if (p / "ClassName.txt").exists()),
                          None)
        known = read_class_names(class_file) if class_file else None
        entries = [(e, "train") for e in read_partition(train_file, known)]
        entries += [(e, "test") for e in read_partition(test_file, known)]
        keys = known or sorted({cls for (_, cls), _ in entries})
        index = {k: i for i, k in enumerate(keys)}
        refs, labels, split, names, missing = [], [], [], [], 0
        for (rel, cls), part in entries:
            path = root / rel.lstrip("/")
            if not path.exists():
                missing += 1
                continue
            refs.append(str(path))
            labels.append(index[cls])
            split.append(part)
            names.append(rel)
        notes = []
        if missing:
            notes.append(f"sun397: skipped {missing} of {len(entries)} listed images that are "
                         f"not in {root}")
            warnings.warn(notes[-1], stacklevel=2)
        if not refs:
            raise DataError(root, f"none of the images listed in {train_file.name} and "
                                  f"{test_file.name} exists under this folder")
        return still_table(refs, labels, [_display(k) for k in keys], split, names, notes)


def _locate(places: list[Path], name: str, folder: Path) -> Path:
    for p in places:
        if (p / name).exists():
            return p / name
    raise DataError(folder, f"partition file {name} not found here, in Partitions/ or beside")


def read_class_names(path: Path) -> list[str]:
    """Class keys (``/a/abbey``) listed in ClassName.txt, in file order."""
    out = []
    with open(path) as f:
        for line, text in enumerate(f, start=1):
            text = text.strip()
            if not text:
                continue
            if not text.startswith("/") or len(text.strip("/").split("/")) < 2:
                raise DataError(path, f"expected a class like /a/abbey, got {text!r}", line)
            out.append("/" + text.strip("/"))
    return out


def read_partition(path: Path, known: list[str] | None) -> list[tuple[str, str]]:
    """[(image path relative to the tree, class key)] listed in a partition file."""
    known_set = set(known) if known is not None else None
    out = []
    with open(path) as f:
        for line, text in enumerate(f, start=1):
            text = text.strip()
            if not text:
                continue
            parts = text.strip("/").split("/")
            if not text.startswith("/") or len(parts) < 3:
                raise DataError(path, f"expected an image path like "
                                      f"/a/abbey/sun_xxx.jpg, got {text!r}", line)
            cls = "/" + "/".join(parts[:-1])
            if known_set is not None and cls not in known_set:
                raise DataError(path, f"class {cls} is not in ClassName.txt", line)
            out.append((text, cls))
    return out


def _display(key: str) -> str:
    """``/b/bakery/shop`` -> ``bakery/shop``."""
    return key.strip("/").split("/", 1)[1]
