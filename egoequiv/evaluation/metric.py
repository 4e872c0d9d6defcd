"""The record of one measurement of the suite: the function that measures, the keys it writes,
and the table columns the reports show, each with what it means and which way is better.

The suite's registry (``evaluation.suite.REGISTRY``) lists these records; everything else (the
suite's ``METRICS`` and ``KEYS``, the report's columns, groups and meanings, the measures the
conclusions are drawn on) is derived from it, so a new measurement is one record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

RECOGNITION = "Recognition"
#: where a measurement runs besides ``egoequiv eval`` (which runs every one): ``train`` (every
#: trained run's metrics.json), ``validation`` (``reproduce``'s cross-validation runs),
#: ``final`` (``reproduce``'s final runs and controls)
STAGES = ("train", "validation", "final")
EQUIVARIANCE = "Equivariance, slowness, egomotion"


@dataclass(frozen=True)
class Column:
    key: str  # the key in metrics.json (nbv_* are read from next_best_view)
    title: str  # the table's column header
    meaning: str  # one sentence for the report's "What each number means"
    group: str  # which of the report's tables
    higher_is_better: bool | None = None  # None: no conclusion is drawn on it
    label: str = ""  # the name in the conclusions (default: title)
    null: float | None = None  # the score of no information (R² 0, AUROC 0.5, the identity's
    #                            error 1.0): "best" only among results that beat it


@dataclass(frozen=True)
class Metric:
    name: str  # what --metrics names
    measure: Callable  # (Context) -> dict of some of ``keys``
    keys: tuple[str, ...]  # what it writes into the result (None where not measured)
    columns: tuple[Column, ...] = ()
    stages: tuple[str, ...] = ()  # of STAGES

