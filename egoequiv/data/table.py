"""FrameTable: what a source holds, one row per frame, without pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from egoequiv.data.motor import MotorSpec
from egoequiv.utils.options import Option

#: the neighbour window option of the video-like sources: one default, one meaning
WINDOW = Option(1.0, "neighbours: frames of one sequence at most this many seconds apart "
                     "(the paper's KITTI pairs are at most 1 s apart)", positive=True)


@dataclass(frozen=True)
class NeighbourRule:
    """When two frames of one sequence count as neighbours (temporally close).

    layout "video": 0 < |t_j - t_i| <= window (in the table's time unit, seconds for video).
    layout "views": views of one object; |y_j - y_i| <= steps[d] in every motor dimension d
    (angles wrapped), i.e. adjacent viewpoints, as one elevation or azimuth step on NORB.
    """

    layout: str
    window: float | None = None
    steps: tuple[float, ...] | None = None

    def __post_init__(self):
        if self.layout == "video" and (self.window is None or self.window <= 0):
            raise ValueError("NeighbourRule('video') needs a positive window")
        if self.layout == "views" and not self.steps:
            raise ValueError("NeighbourRule('views') needs per-dimension steps")
        if self.layout not in ("video", "views"):
            raise ValueError(
                f"NeighbourRule layout must be 'video' or 'views', got {self.layout!r}")


def check_window(path, window, default: float) -> float:
    """A neighbour window read from a file (``default`` when it has none): a positive,
    finite number of seconds, else a DataError naming ``path``."""
    from egoequiv.errors import DataError

    value = float(default if window is None else window)
    if not (math.isfinite(value) and value > 0):
        raise DataError(path, f"window must be a positive number of seconds, got {value}")
    return value


@dataclass
class FrameTable:
    """Frames of a source: references to decode, motor readings, sequences, labels.

    refs[i] is what the source's ``load_image`` needs to decode frame i (usually a path).
    labels[i] is a class index or -1 (unlabelled). split[i] is "train", "test" or "" (let
    the experiment split by sequence).
    """

    refs: list[str]
    motor: np.ndarray  # (N, D) float64
    motor_spec: MotorSpec
    sequence: np.ndarray  # (N,) int64 index into sequence_names
    sequence_names: list[str]
    time: np.ndarray  # (N,) float64, orders frames within a sequence
    neighbours: NeighbourRule
    labels: np.ndarray | None = None  # (N,) int64, -1 = unlabelled
    class_names: list[str] | None = None
    split: np.ndarray | None = None  # (N,) str
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self):
        n = len(self.refs)
        self.motor = np.asarray(self.motor, dtype=np.float64).reshape(n, -1)
        self.sequence = np.asarray(self.sequence, dtype=np.int64)
        self.time = np.asarray(self.time, dtype=np.float64)
        if self.labels is not None:
            self.labels = np.asarray(self.labels, dtype=np.int64)
        if self.split is not None:
            self.split = np.asarray(self.split, dtype=str)
        for name, arr in [("sequence", self.sequence), ("time", self.time),
                          ("labels", self.labels), ("split", self.split),
                          *self.meta.items()]:
            if arr is not None and len(arr) != n:
                raise ValueError(f"FrameTable: {name} has {len(arr)} rows, refs has {n}")
        if self.motor.shape[1] != len(self.motor_spec.reading_names):
            raise ValueError(
                f"FrameTable: motor has {self.motor.shape[1]} columns, spec names "
                f"{len(self.motor_spec.reading_names)}"
            )

    def __len__(self) -> int:
        return len(self.refs)

    @property
    def num_classes(self) -> int | None:
        return None if self.class_names is None else len(self.class_names)

    @property
    def is_labelled(self) -> bool:
        return self.labels is not None and bool((self.labels >= 0).any())

    def subset(self, index: np.ndarray) -> FrameTable:
        """Rows ``index`` (sequence names and classes are kept whole)."""
        index = np.asarray(index)
        return FrameTable(
            refs=[self.refs[i] for i in index],
            motor=self.motor[index],
            motor_spec=self.motor_spec,
            sequence=self.sequence[index],
            sequence_names=self.sequence_names,
            time=self.time[index],
            neighbours=self.neighbours,
            labels=None if self.labels is None else self.labels[index],
            class_names=self.class_names,
            split=None if self.split is None else self.split[index],
            meta={k: v[index] for k, v in self.meta.items()},
            warnings=list(self.warnings),
        )

    def info(self) -> dict:
        """A JSON-ready summary (used by ``egoequiv data info``)."""
        spec, motor = self.motor_spec, []
        described = spec.describe() if spec.reading_names == spec.names else \
            [{"name": n, "unit": "m" if n in "xyz" else "", "period": None}
             for n in spec.reading_names]
        for k, d in enumerate(described):
            col = self.motor[:, k]
            d.update(min=float(col.min()) if len(col) else None,
                     max=float(col.max()) if len(col) else None)
            motor.append(d)
        labels = self.labels if self.labels is not None else np.zeros(0, dtype=np.int64)
        return {
            "num_images": len(self),
            "num_sequences": int(len(np.unique(self.sequence))),
            "num_classes": self.num_classes,
            "num_labelled": int((labels >= 0).sum()),
            "class_names": self.class_names,
            "motor": motor,
            "layout": self.neighbours.layout,
            "splits": (
                {str(s): int((self.split == s).sum()) for s in np.unique(self.split)}
                if self.split is not None else None
            ),
            "warnings": list(self.warnings),
        }
