"""The demo's report.md, built from the same sections as ``egoequiv report``, plus what the
demo knows beyond the runs: the data, the motion patterns, the settings."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

from egoequiv.demo.plan import DemoPlan
from egoequiv.evaluation.conclusions import SPREAD
from egoequiv.evaluation.report import conclusion_section, dataset_section, meanings
from egoequiv.utils.atomic import atomic_write_text


def write_demo_report(out: Path, plan: DemoPlan, results: dict, runs: dict) -> Path:
    """``runs[task]`` is the list of every run's metrics of that task."""
    lines = [
        "# egoequiv demo report",
        "",
        f"Plan `{plan.name}`, seed {results['seed']}: {results['runs']} runs, wall time "
        f"{results['wall_seconds']:.0f} s" + (
            f" ({results['runs_reused']} runs reused from an earlier invocation, whose "
            f"training and evaluation took {results['run_seconds']:.0f} s)"
            if results["runs_reused"] else "") +
        f", on {platform.machine()} with {torch.get_num_threads()} torch threads "
        f"(torch {torch.__version__}).",
        "",
        "The data are rendered by egoequiv itself (pybullet), so these are our figures on "
        "our data, not the paper's numbers. Cells: " + SPREAD + "; each split has its own "
        "labelled subset and seed.",
        "",
        "## Conclusions",
        "",
    ]
    for name, task in results["tasks"].items():
        lines += conclusion_section(task["title"], runs[name])
    for name, task in results["tasks"].items():
        lines += dataset_section(task["title"], runs[name], out / "figures", name,
                                 image_prefix="figures/")
        labels = task.get("pattern_labels") or [
            "(" + ", ".join(f"{v:+.2f}" for v in c) + ")" for c in task["pattern_centres"]]
        centres = "; ".join(f"g{g} = {label}" for g, label in enumerate(labels))
        lines += [
            f"Data: `{task['dataset']}`, {task['num_frames']} frames, "
            f"{task['num_classes'] or 'no'} classes; {task['num_train_pairs']} unlabelled "
            f"training pairs in {task['num_patterns']} motion patterns, the same in every "
            f"split: {centres}.", "",
            f"![motion patterns](figures/{name}_motion_patterns.png)",
            f"![example pairs per pattern](figures/{name}_pattern_examples.png)", "",
        ]
        if (out / "figures" / f"{name}_slowness_curve.png").exists():
            lines += [f"![slowness during training](figures/{name}_slowness_curve.png)", ""]
    lines += ["## What each number means", "", *meanings(), "",
              "Formulas and candidate sets: docs/evaluation.md.", "", "## Settings", "",
              "Every value below is fixed, none is cross-validated: the demo keeps lr, lam "
              "and the iterations constant to fit its time. `egoequiv reproduce` chooses lr "
              "and lam on a validation split and stops when the validation score stops "
              "improving (`stop_metric`, top-1 by default; the paper watched the softmax "
              "loss). The motion patterns are the same in both: one per grid step on "
              "views, k-means (one fixed seed per task) on video.", ""]
    for name, task in results["tasks"].items():
        cfg = ", ".join(f"{k}={v}" for k, v in task["config"].items())
        lines += [f"- **{name}**: {cfg}"]
    lines += ["", "Every run (metrics.json, checkpoint, evaluation plots) is under "
              "`runs/<task>/<method>/split<k>/`; every number is also in `results.json`.", ""]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path
