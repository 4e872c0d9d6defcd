"""Shared by the CSV readers (frames-csv, a video's log): numbers and motor columns."""

from __future__ import annotations

import math
from pathlib import Path

from egoequiv.errors import DataError


def parse_number(text: str, path: Path, line: int, column: str) -> float:
    """A finite float, or one line naming the file, line and column."""
    try:
        value = float(text)
    except ValueError:
        raise DataError(path, f"column {column}: expected a number, got {text!r}", line) from None
    if not math.isfinite(value):
        raise DataError(path, f"column {column}: value is {text!r}, expected a finite number",
                        line)
    return value


def motor_unit(column: str) -> tuple[str, str, float | None]:
    """(name, unit, period) of a ``motor_<name>`` column: ``_deg`` and ``_rad`` names are
    angles (their differences wrap), others are not cyclic."""
    name = column[len("motor_"):]
    if name.endswith("_deg"):
        return name, "deg", 360.0
    if name.endswith("_rad"):
        return name, "rad", 2 * math.pi
    return name, "", None
