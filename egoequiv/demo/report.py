"""The demo's report.md: a results table per task, what each number means, the settings."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

from egoequiv.demo.plan import DemoPlan
from egoequiv.evaluate.tables import MEANINGS, markdown_table
from egoequiv.utils.atomic import atomic_write_text

COLUMNS = ("top1", "topk", "probe_top1", "equivariance_error", "learned_map_error",
           "composite_equivariance_error", "slowness_auroc", "mrr", "egomotion_r2",
           "train_seconds")


def write_demo_report(out: Path, plan: DemoPlan, results: dict) -> Path:
    lines = [
        "# egoequiv demo report",
        "",
        f"Plan `{plan.name}`, seed {results['seed']}, wall time "
        f"{results['wall_seconds']:.0f} s on {platform.machine()} with "
        f"{torch.get_num_threads()} torch threads (torch {torch.__version__}).",
        "",
        "Data are rendered by egoequiv itself (pybullet), so these figures are ours, on our "
        "data: they are not the paper's numbers and should not be compared with them "
        "digit for digit. Each cell is mean ± std over label splits (each split has its own "
        "labelled subset and seed).",
        "",
    ]
    for name, task in results["tasks"].items():
        lines += [f"## {task['title']}", "",
                  f"`{task['dataset']}`: {task['num_frames']} frames, "
                  f"{task['num_classes'] or 'no'} classes, {task['num_train_pairs']} unlabelled "
                  f"training pairs in {task['num_patterns']} motion patterns, "
                  f"{task['splits']} label split(s).", "",
                  markdown_table(task["summary"], COLUMNS), "",
                  f"![accuracy](figures/{name}_accuracy.png)",
                  f"![equivariance](figures/{name}_equivariance.png)", "",
                  f"![equivariance per pattern](figures/{name}_equivariance_per_pattern.png)",
                  "",
                  f"![motion patterns](figures/{name}_motion_patterns.png)",
                  f"![pattern examples](figures/{name}_pattern_examples.png)", "",
                  "Motion pattern centres (" + ", ".join(
                      f"Δ{m['name']} {m['unit']}".strip() for m in task["motor"]) + "): " +
                  "; ".join(f"g{g} = (" + ", ".join(f"{v:+.2f}" for v in c) + ")"
                            for g, c in enumerate(task["pattern_centres"])) + ".", ""]
    lines += ["## What each number means", ""]
    lines += [f"- **{k}**: {MEANINGS[k]}" for k in COLUMNS if k in MEANINGS]
    lines += ["", "## Settings", ""]
    for name, task in results["tasks"].items():
        cfg = ", ".join(f"{k}={v}" for k, v in task["config"].items())
        lines += [f"- {name}: methods {', '.join(task['summary'])}; {cfg}"]
    lines += ["", "Per-run details (metrics.json, checkpoints, evaluation plots) are under "
              "`runs/<task>/<method>/split<k>/`; all numbers are also in `results.json`.", ""]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path
