"""Labelled still images in class folders: ``DIR/<split>/<class>/*`` or ``DIR/<class>/*``.

Split folders: ``train``/``training`` -> "train", ``test``/``testing`` -> "test" (any case);
``val``/``valid``/``validation`` folders are skipped with a warning. Without split folders every
image has split "" (the experiment splits). Class folder names are matched case-insensitively
(15-Scene has ``livingroom`` in train and ``livingRoom`` in test); a class is shown with its first
spelling, classes are ordered by lower-case name. Images: .jpg .jpeg .png .bmp .ppm .pgm .tif
.tiff .webp, anywhere under the class folder. A corrupt image is an error when decoded.

Still images have no motion: each image is its own sequence (so it has no neighbours) and the
motor reading is one constant dimension ``still`` = 0, so that a labelled-only source fits the
frame table (it feeds the classification stream, never the equivariance pairs).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.motor import MotorSpec
from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.errors import DataError

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}
SPLITS = {"train": "train", "training": "train", "test": "test", "testing": "test"}
VALIDATION = {"val", "valid", "validation"}


class ImageFolderSource(Source):
    name = "imagefolder"
    options = {}

    def _build_table(self) -> FrameTable:
        if not self.path.is_dir():
            raise DataError(self.path, "expected a folder of class folders")
        tops = sorted(p for p in self.path.iterdir() if p.is_dir())
        names = {p.name.lower() for p in tops}
        notes = []
        if names & set(SPLITS) and names <= set(SPLITS) | VALIDATION:
            parts = [(SPLITS[p.name.lower()], p) for p in tops if p.name.lower() in SPLITS]
            parts.sort(key=lambda sp: sp[0] != "train")  # train spellings first
            skipped = [p.name for p in tops if p.name.lower() in VALIDATION]
            if skipped:
                notes.append(f"imagefolder: skipped validation folder(s) {', '.join(skipped)}")
        else:
            parts = [("", self.path)]
        spelling: dict[str, str] = {}
        items: list[tuple[str, str, str]] = []  # (path, class key, split)
        for split, folder in parts:
            for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
                files = sorted(f for f in class_dir.rglob("*")
                               if f.suffix.lower() in IMAGE_EXT and f.is_file())
                if not files:
                    notes.append(f"imagefolder: no images in {class_dir}")
                    continue
                key = class_dir.name.lower()
                spelling.setdefault(key, class_dir.name)
                items += [(str(f), key, split) for f in files]
        if not items:
            raise DataError(self.path, "no images found (expected DIR/<class>/*.jpg or "
                                       "DIR/<split>/<class>/*.jpg)")
        for note in notes:
            warnings.warn(note, stacklevel=2)
        keys = sorted(spelling)
        index = {k: i for i, k in enumerate(keys)}
        refs = [p for p, _, _ in items]
        return still_table(
            refs,
            labels=[index[k] for _, k, _ in items],
            class_names=[spelling[k] for k in keys],
            split=[s for _, _, s in items] if parts[0][0] else None,
            sequence_names=[str(Path(p).relative_to(self.path)) for p in refs],
            notes=notes,
        )


def still_table(refs: list[str], labels: list[int], class_names: list[str],
                split: list[str] | None, sequence_names: list[str],
                notes: list[str] | None = None) -> FrameTable:
    """A frame table for still labelled images: one sequence each, constant motor ``still``."""
    n = len(refs)
    return FrameTable(
        refs=refs,
        motor=np.zeros((n, 1)),
        motor_spec=MotorSpec(("still",), ("",), (None,)),
        sequence=np.arange(n, dtype=np.int64),
        sequence_names=sequence_names,
        time=np.zeros(n),
        neighbours=NeighbourRule("video", window=1.0),
        labels=np.array(labels, dtype=np.int64),
        class_names=class_names,
        split=None if split is None else np.array(split),
        warnings=list(notes or []),
    )
