"""What the demo runs: data sets, methods, budgets. Two plans, ``default`` and ``quick``
(about 1 minute on 2 CPU cores, rendering included); measured times: docs/demo.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from egoequiv.methods import METHODS

#: every registered method takes part in the objects task
ALL_METHODS = tuple(METHODS)
DRIVE_METHODS = ("clsnet", "equiv", "equiv+drlim", "equiv+drlim-continuous", "vicreg",
                 "simclr")


@dataclass(frozen=True)
class TaskPlan:
    name: str  # short task name, used in folder names and the report
    title: str
    dataset: str  # dataset spec
    methods: tuple[str, ...]
    splits: int  # label splits (each with its own seed): mean and std over them
    config: dict = field(default_factory=dict)  # config overrides for every run


@dataclass(frozen=True)
class DemoPlan:
    name: str
    tasks: tuple[TaskPlan, ...]
    metrics: tuple[str, ...] | None = None  # None: every measurement of the suite


# Budgets were chosen by timing on a 2-core machine (see docs/demo.md).
DEFAULT = DemoPlan("default", (
    TaskPlan("objects", "NORB-style objects: few labels + unlabelled view pairs",
             "rendered-objects", ALL_METHODS, splits=3,
             config={"image_size": 32, "labels_per_class": 5, "iters": 600,
                     "batch_size": 32, "monitor_every": 100}),
    TaskPlan("drive", "Driving scenes: few labels + unlabelled video pairs",
             "rendered-drive", DRIVE_METHODS, splits=3,
             config={"image_size": 32, "labels_per_class": 10, "iters": 600,
                     "batch_size": 32, "monitor_every": 100}),
))

QUICK = DemoPlan("quick", (
    TaskPlan("objects", "NORB-style objects (quick): few labels + unlabelled view pairs",
             "rendered-objects:instances=6,elevations=3,lightings=1,size=32",
             ALL_METHODS, splits=1,
             config={"image_size": 32, "labels_per_class": 5, "iters": 80, "batch_size": 32,
                     "monitor_every": 20}),
    TaskPlan("drive", "Driving scenes (quick): few labels + unlabelled video pairs",
             "rendered-drive:sequences=2,frames=40,size=32",
             ("clsnet", "equiv+drlim", "vicreg", "simclr"), splits=1,
             config={"image_size": 32, "labels_per_class": 10, "iters": 80,
                     "batch_size": 32, "monitor_every": 20}),
))

PLANS = {"default": DEFAULT, "quick": QUICK}
