"""Run a demo plan: render/reuse data, train every method on every label split, evaluate
each run with the full suite, then aggregate into results.json, plots and report.md.

Every run lives in ``OUT/runs/<task>/<method>/split<k>/``; a finished run (metrics.json
with the suite's measurements) is reused, a killed one resumes from its checkpoint.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from egoequiv.config import load_config, to_dict
from egoequiv.demo.plan import PLANS, DemoPlan, TaskPlan
from egoequiv.demo.report import write_demo_report
from egoequiv.evaluation.plots import plot_curves
from egoequiv.evaluation.report import summarise
from egoequiv.experiment import run_one
from egoequiv.motion.plot import plot_motion_patterns, plot_pattern_examples
from egoequiv.task.load import prepare
from egoequiv.training.monitor import slowness_curve
from egoequiv.utils.atomic import atomic_write_json


def run_demo(out_dir: str | Path, quick: bool = False, seed: int = 0, device: str = "auto",
             quiet: bool = False, log=print) -> Path:
    plan: DemoPlan = PLANS["quick" if quick else "default"]
    out = Path(out_dir)
    start = time.perf_counter()
    results, runs = {"plan": plan.name, "seed": seed, "tasks": {}}, {}
    clock = RunClock(sum(len(tp.methods) * tp.splits for tp in plan.tasks))
    for tp in plan.tasks:
        clock.plan(tp.name, len(tp.methods) * tp.splits)
    for tp in plan.tasks:
        log(f"[demo] task {tp.name}: {tp.dataset}, methods {', '.join(tp.methods)}, "
            f"{tp.splits} label split(s)")
        results["tasks"][tp.name], runs[tp.name] = run_task(tp, plan, out, seed, device,
                                                            quiet, log, clock)
    results["wall_seconds"] = round(time.perf_counter() - start, 1)
    every = [r for rs in runs.values() for r in rs]
    results["runs"] = len(every)
    results["runs_reused"] = sum(r["reused"] for r in every)
    results["run_seconds"] = round(sum(r.get("total_seconds", 0.0) for r in every), 1)
    atomic_write_json(out / "results.json", results)
    report = write_demo_report(out, plan, results, runs)
    log(f"[demo] done in {results['wall_seconds']:.0f} s: {report}")
    return report


class RunClock:
    """Counts finished runs and estimates the time left from the runs trained so far: the
    mean time of a run of this task (training and measuring, not the data's rendering,
    which each task does once, before its runs) times the runs left, per task."""

    def __init__(self, total: int):
        self.total, self.done, self.start = total, 0, time.perf_counter()
        self.seconds: dict[str, list[float]] = {}
        self.left: dict[str, int] = {}

    def plan(self, task: str, runs: int) -> None:
        self.left[task] = runs

    def tick(self, task: str, seconds: float | None) -> str:
        """A run of ``task`` finished in ``seconds`` (None: reused from an earlier call)."""
        self.done += 1
        self.left[task] -= 1
        if seconds is not None:
            self.seconds.setdefault(task, []).append(seconds)
        elapsed = time.perf_counter() - self.start
        every = [s for v in self.seconds.values() for s in v]
        if not every or self.done == self.total:
            return f"run {self.done}/{self.total}, {elapsed / 60:.1f} min elapsed"
        left = sum(n * float(np.mean(self.seconds.get(t) or every))
                   for t, n in self.left.items())
        unstarted = any(t not in self.seconds and n for t, n in self.left.items())
        return (f"run {self.done}/{self.total}, {elapsed / 60:.1f} min elapsed, about "
                f"{left / 60:.1f} min of runs left"
                + (" (tasks not started yet also render their data first)" if unstarted
                   else ""))


def run_task(tp: TaskPlan, plan: DemoPlan, out: Path, seed: int, device: str, quiet: bool,
             log, clock: RunClock) -> tuple[dict, list[dict]]:
    """Train and evaluate every (method, split) of one task; its summary and its runs."""
    figures = out / "figures"
    base = load_config(overrides={**tp.config, "seed": seed, "device": device})
    frames, task = prepare(base, tp.dataset, quiet=quiet)
    spec = task.table.motor_spec
    plot_motion_patterns(task.pairs, task.patterns, spec,
                         figures / f"{tp.name}_motion_patterns.png",
                         title=f"{tp.name}: pair motions and motion patterns")
    plot_pattern_examples(frames.images, task.pairs, task.patterns, spec,
                          figures / f"{tp.name}_pattern_examples.png")
    runs = []
    for method in tp.methods:
        for split in range(tp.splits):
            cfg = load_config(overrides={**tp.config, "method": method, "seed": seed + split,
                                         "label_split": split, "device": device})
            run_dir = out / "runs" / tp.name / method / f"split{split}"
            started = time.perf_counter()
            metrics = run_one(cfg, tp.dataset, run_dir, plan.metrics, quiet)
            runs.append(metrics)
            seconds = None if metrics["reused"] else time.perf_counter() - started
            log(f"[demo] {tp.name} {method} split {split}: top1 {_fmt(metrics.get('top1'))}, "
                f"equivariance error {_fmt(metrics.get('equivariance_error'))} "
                f"({clock.tick(tp.name, seconds)})")
    curves = {r["method"]: slowness_curve(r.get("history", [])) for r in runs
              if r.get("label_split") == 0}
    if any(curves.values()):
        plot_curves(curves, figures / f"{tp.name}_slowness_curve.png",
                    f"{tp.name}: slowness AUROC on training pairs during training (split 0)",
                    ylabel="AUROC")
    return {"title": tp.title, "dataset": tp.dataset, "splits": tp.splits,
            "num_frames": len(task.table), "num_classes": task.num_classes,
            "num_train_pairs": int(len(task.pairs)),
            "num_patterns": task.patterns.num_patterns,
            "pattern_centres": task.patterns.centres_in_units().round(3).tolist(),
            "pattern_labels": task.pattern_labels,
            "motor": spec.describe(), "config": {k: v for k, v in to_dict(base).items()
                                                 if k not in ("method", "seed", "label_split")},
            "summary": summarise(runs)}, runs


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
