"""ETH-80 (Leibe & Schiele, CVPR 2003): 8 categories x 10 objects x 41 views on a sphere.

Layout: ``DIR/<k>/<name>.txt`` names category k; ``DIR/<k>/<instance>/<name><i>-PPP-AAA.png``
is instance i seen from polar angle PPP (degrees off the zenith) and azimuth AAA.
Motor reading of a view: (polar, azimuth) in degrees, azimuth cyclic. Neighbours are
adjacent viewpoints: at most ``polar_step`` apart in polar angle and ``azimuth_step`` in
azimuth (options, declared below). Split by instance, as NORB: the first half of each category's
instances (in numeric order) train, the rest test.
"""

from __future__ import annotations

import re

import numpy as np

from egoequiv.data.motor import MotorSpec
from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable, NeighbourRule
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

_VIEW = re.compile(r"^([A-Za-z]+)(\d+)-(\d{3})-(\d{3})\.png$")


class Eth80Source(Source):
    name = "eth80"
    options = {
        "polar_step": Option(24.0, "neighbours differ by at most this in polar angle, "
                                   "degrees (ours: the grid's rings are 22-23 degrees apart)",
                             positive=True),
        "azimuth_step": Option(46.0, "neighbours differ by at most this in azimuth, degrees "
                                     "(ours: the grid's azimuths are 22.5-90 degrees apart)",
                               positive=True),
    }

    def _build_table(self) -> FrameTable:
        polar_step, azimuth_step = self.option("polar_step"), self.option("azimuth_step")
        cat_dirs = sorted((d for d in self.path.iterdir() if d.is_dir()), key=_numeric_key)
        if not cat_dirs:
            raise DataError(self.path, "no category folders (expected DIR/1 .. DIR/8)")
        refs, motor, seq, times, labels, split, instances = [], [], [], [], [], [], []
        seq_names = []
        class_names = []
        for label, cat_dir in enumerate(cat_dirs):
            class_names.append(_category_name(cat_dir))
            inst_dirs = sorted((d for d in cat_dir.iterdir() if d.is_dir()), key=_numeric_key)
            if not inst_dirs:
                raise DataError(cat_dir, "no instance folders")
            n_train = len(inst_dirs) // 2
            for k, inst_dir in enumerate(inst_dirs):
                views = []
                for f in sorted(inst_dir.glob("*.png")):
                    m = _VIEW.match(f.name)
                    if not m:
                        raise DataError(f, "file name is not NAME<instance>-PPP-AAA.png")
                    views.append((int(m.group(3)), int(m.group(4)), str(f)))
                if not views:
                    raise DataError(inst_dir, "no view images (*.png)")
                seq_names.append(f"{class_names[-1]}{inst_dir.name}")
                for t, (polar, azimuth, ref) in enumerate(sorted(views)):
                    refs.append(ref)
                    motor.append((polar, azimuth))
                    seq.append(len(seq_names) - 1)
                    times.append(t)
                    labels.append(label)
                    split.append("train" if k < n_train else "test")
                    instances.append(len(seq_names) - 1)
        return FrameTable(
            refs=refs,
            motor=np.array(motor, dtype=np.float64),
            motor_spec=MotorSpec(("polar", "azimuth"), ("deg", "deg"), (None, 360.0)),
            sequence=np.array(seq),
            sequence_names=seq_names,
            time=np.array(times, dtype=np.float64),
            neighbours=NeighbourRule("views", steps=(polar_step, azimuth_step)),
            labels=np.array(labels),
            class_names=class_names,
            split=np.array(split),
            meta={"instance": np.array(instances)},
        )


def _numeric_key(path):
    return (0, int(path.name)) if path.name.isdigit() else (1, path.name)


def _category_name(cat_dir) -> str:
    txt = sorted(cat_dir.glob("*.txt"))
    if txt:
        return txt[0].stem
    first = next(iter(sorted(cat_dir.rglob("*.png"))), None)
    m = _VIEW.match(first.name) if first else None
    if not m:
        raise DataError(cat_dir, "cannot tell the category name (no NAME.txt, no views)")
    return m.group(1)
