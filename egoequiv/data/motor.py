"""Motor readings: named, with units; angles wrap when differenced."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MotorSpec:
    """Names, units and wrap periods of a source's motor reading y.

    ``periods[d]`` is the period of dimension d (360 for an angle in degrees, 2*pi in
    radians) or None for a non-cyclic quantity (an odometer, a position).
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    periods: tuple[float | None, ...]

    def __post_init__(self):
        if not (len(self.names) == len(self.units) == len(self.periods)):
            raise ValueError("MotorSpec: names, units and periods must have equal lengths")

    @property
    def dim(self) -> int:
        """The number of motion dimensions (what a pair's motion has)."""
        return len(self.names)

    @property
    def reading_names(self) -> tuple[str, ...]:
        """The columns of a frame's reading (the motion's names, except for poses)."""
        return self.names

    def blank(self, n: int) -> np.ndarray:
        """``n`` neutral readings (for frames that have none, such as still images)."""
        return np.zeros((n, len(self.reading_names)))

    def difference(self, y_from: np.ndarray, y_to: np.ndarray) -> np.ndarray:
        """Motion y_to - y_from, each angle wrapped into [-period/2, period/2)."""
        d = np.asarray(y_to, dtype=np.float64) - np.asarray(y_from, dtype=np.float64)
        for k, period in enumerate(self.periods):
            if period:
                d[..., k] = (d[..., k] + period / 2) % period - period / 2
        return d

    def describe(self) -> list[dict]:
        return [
            {"name": n, "unit": u, "period": p}
            for n, u, p in zip(self.names, self.units, self.periods)
        ]


#: a car's or robot's motor reading: heading (deg, cyclic) and odometer (m), as KITTI gives
HEADING_ODOMETER = MotorSpec(("heading", "odometer"), ("deg", "m"), (360.0, None))
#: a viewpoint on a sphere around an object, as smallNORB gives
ELEVATION_AZIMUTH = MotorSpec(("elevation", "azimuth"), ("deg", "deg"), (None, 360.0))


def degrees(name: str) -> tuple[str, str, float]:
    """(name, unit, period) of an angle in degrees."""
    return name, "deg", 360.0
