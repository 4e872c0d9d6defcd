"""The ``metrics.csv`` format of a run's live log: ``iteration,name,value``, one row per
logged value (written by ``training.logger``; read by the reports to plot curves)."""

from __future__ import annotations

from pathlib import Path

HEADER = "iteration,name,value\n"


def read_metrics_csv(path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """{name: [(iteration, value), ...]} of a metrics.csv."""
    out: dict[str, list[tuple[int, float]]] = {}
    with open(path) as f:
        next(f, None)
        for line in f:
            it, name, value = line.rstrip("\n").rsplit(",", 2) if line.count(",") >= 2 \
                else (None, None, None)
            if it is not None:
                out.setdefault(name, []).append((int(it), float(value)))
    return out
