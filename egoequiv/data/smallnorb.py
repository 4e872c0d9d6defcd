"""smallNORB (LeCun, Huang & Bottou 2004): 5 categories x 10 toys x 18 azimuths x 9 elevations
x 6 lightings, stereo 96x96 grey.

``DIR`` holds the official trios ``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat``
and ``smallnorb-5x01235x9x18x6x2x96x96-testing-...`` (plain or ``.mat.gz``; either trio may be
absent), in LeCun's binary matrix format (``lecun_matrix.py``): ``dat`` N x 2 x 96 x 96 uint8,
``cat`` N int32 (0..4), ``info`` N x 4 int32 (instance 0..9, elevation 0..8, azimuth 0,2,..,34,
lighting 0..5). Only the first image of each stereo pair is used.

Motor reading: (elevation, azimuth) in degrees: elevation 30 + 5 e (30..70), azimuth 10 a
(0..340, cyclic). Neighbours: adjacent views, at most one elevation step (5 deg) and one azimuth
step (20 deg) apart. Sequence: one toy (category x instance) under one lighting. Split: the
training trio is "train" (instances 4,6,7,8,9), the testing trio "test" (0,1,2,3,5). Refs are
``FILE#index``; frames are read through a memory map (a ``.gz`` dat file is decompressed once
into the egoequiv cache folder).
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np

from egoequiv.data.lecun_matrix import read_header, read_matrix
from egoequiv.data.motor import ELEVATION_AZIMUTH
from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.errors import DataError

CLASSES = ["animal", "human", "airplane", "truck", "car"]
PARTS = (("training", "train"), ("testing", "test"))
# info column: (name, allowed values)
INFO_COLUMNS = (("instance", range(10)), ("elevation", range(9)),
                ("azimuth", range(0, 35, 2)), ("lighting", range(6)))


class SmallNorbSource(Source):
    name = "smallnorb"
    options = {}
    default_channels = 1

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self._mats: dict[str, np.ndarray] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_mats"] = {}
        return state

    def _build_table(self) -> FrameTable:
        trios = find_trios(self.path)
        refs, motor, seq, times, labels, split, inst, light = [], [], [], [], [], [], [], []
        seq_names: list[str] = []
        seq_index: dict[str, int] = {}
        for split_name, (dat_path, cat_path, info_path) in trios:
            dat = self._dat(str(dat_path))
            n = dat.shape[0]
            cat = read_matrix(cat_path)
            info = read_matrix(info_path)
            if cat.ndim != 1 or cat.dtype.kind != "i":
                raise DataError(cat_path, f"expected N int32 labels, got shape {cat.shape} "
                                          f"{cat.dtype}")
            if info.ndim != 2 or info.shape[1] != 4 or info.dtype.kind != "i":
                raise DataError(info_path, f"expected N x 4 int32 records, got shape "
                                           f"{info.shape} {info.dtype}")
            for p, m in ((cat_path, len(cat)), (info_path, len(info))):
                if m != n:
                    raise DataError(p, f"{m} records but {Path(dat_path).name} has {n} images")
            cat, info = np.asarray(cat, dtype=np.int64), np.asarray(info, dtype=np.int64)
            _check_values(cat_path, cat[:, None], (("category", range(5)),))
            _check_values(info_path, info, INFO_COLUMNS)
            for i in range(n):
                instance, elev, azim, lighting = (int(v) for v in info[i])
                name = f"{CLASSES[cat[i]]}{instance}-light{lighting}"
                if name not in seq_index:
                    seq_index[name] = len(seq_names)
                    seq_names.append(name)
                refs.append(f"{dat_path}#{i}")
                motor.append((30.0 + 5.0 * elev, 10.0 * azim))
                seq.append(seq_index[name])
                times.append(elev * 18 + azim // 2)
                labels.append(cat[i])
                split.append(split_name)
                inst.append(instance)
                light.append(lighting)
        return FrameTable(
            refs=refs,
            motor=np.array(motor, dtype=np.float64).reshape(-1, 2),
            motor_spec=ELEVATION_AZIMUTH,
            sequence=np.array(seq, dtype=np.int64),
            sequence_names=seq_names,
            time=np.array(times, dtype=np.float64),
            neighbours=NeighbourRule("views", steps=(5.0, 20.0)),
            labels=np.array(labels, dtype=np.int64),
            class_names=list(CLASSES),
            split=np.array(split),
            meta={"instance": np.array(inst, dtype=np.int64),
                  "lighting": np.array(light, dtype=np.int64)},
        )

    def _dat(self, path: str) -> np.ndarray:
        mat = self._mats.get(path)
        if mat is None:
            mat = _open_dat(Path(path))
            self._mats[path] = mat
        return mat

    def load_image(self, ref: str) -> np.ndarray:
        path, _, index = ref.rpartition("#")
        dat = self._dat(path)
        i = int(index)
        if not 0 <= i < dat.shape[0]:
            raise DataError(path, f"image {i} out of range (file has {dat.shape[0]})")
        return np.array(dat[i, 0], dtype=np.uint8)[:, :, None]


def find_trios(folder: Path) -> list[tuple[str, tuple[Path, Path, Path]]]:
    """[(split, (dat, cat, info))] for each trio present in ``folder``."""
    if not folder.is_dir():
        raise DataError(folder, "expected a folder with the smallNORB .mat files")
    trios = []
    for part, split in PARTS:
        files = [_find(folder, part, kind) for kind in ("dat", "cat", "info")]
        if any(files):
            missing = [k for k, f in zip(("dat", "cat", "info"), files, strict=True) if f is None]
            if missing:
                raise DataError(folder, f"smallNORB {part} files incomplete: no "
                                        f"*-{part}-{missing[0]}.mat(.gz)")
            trios.append((split, tuple(files)))
    if not trios:
        raise DataError(folder, "no smallNORB files (smallnorb-*-training-dat.mat[.gz], "
                                "smallnorb-*-testing-dat.mat[.gz], ...)")
    return trios


def _find(folder: Path, part: str, kind: str) -> Path | None:
    for suffix in (".mat", ".mat.gz"):
        hits = sorted(folder.glob(f"*-{part}-{kind}{suffix}"))
        if hits:
            return hits[0]
    return None


def _check_values(path, values: np.ndarray, columns) -> None:
    for k, (name, allowed) in enumerate(columns):
        ok = np.isin(values[:, k], np.array(list(allowed)))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise DataError(path, f"record {i}: {name} {int(values[i, k])} not in "
                                  f"{allowed.start}..{allowed.stop - 1}")


def _open_dat(path: Path) -> np.ndarray:
    """Images of a dat file, memory-mapped (``.gz``: decompressed once into the cache)."""
    if path.name.endswith(".gz"):
        read_header(path)  # a wrong magic names the .gz file before decompressing
        from egoequiv.data.cache import cache_dir

        st = path.stat()
        plain = cache_dir() / "smallnorb" / f"{path.name[:-3]}-{st.st_size}-{st.st_mtime_ns}"
        if not plain.exists():
            plain.parent.mkdir(parents=True, exist_ok=True)
            tmp = plain.with_name(f".{plain.name}.tmp{os.getpid()}")
            try:
                with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (OSError, EOFError) as e:
                tmp.unlink(missing_ok=True)
                raise DataError(path, f"cannot decompress ({e})") from None
            os.replace(tmp, plain)
        dat = read_matrix(plain, name=path)
    else:
        dat = read_matrix(path)
    if dat.ndim != 4 or dat.shape[1] != 2 or dat.dtype != np.uint8:
        raise DataError(path, f"expected N x 2 x H x W uint8 stereo images, got shape "
                              f"{dat.shape} {dat.dtype}")
    return dat
