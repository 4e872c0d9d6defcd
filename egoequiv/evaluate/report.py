"""Gather the ``metrics.json`` of runs into one ``report.md``: a table per dataset, and plots.

Runs are found as every ``metrics.json`` under each given directory. A run is identified by
(dataset, method, seed, label_split); when several files describe the same run (the trainer's
``RUN/metrics.json`` and ``egoequiv eval``'s ``RUN/eval/metrics.json``), the one with the most
measured values is used. Table cells: mean ± sample std (n - 1) over the runs of a method, and
the number of runs when they differ across columns; "–" where not measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from egoequiv.evaluate.plots import plot_bars
from egoequiv.utils.atomic import atomic_write_text

COLUMNS = [("top1", "top-1"), ("topk", "top-k"), ("probe_top1", "probe top-1"),
           ("knn_top1", "kNN top-1"), ("equivariance_error", "equiv. error"),
           ("learned_map_error", "learned-map error"),
           ("composite_equivariance_error", "composite error"),
           ("slowness_auroc", "slowness AUROC"), ("slowness_auroc_train", "AUROC (train)"),
           ("mrr", "MRR"), ("hits@1", "hits@1"), ("hits@10", "hits@10"),
           ("egomotion_r2", "egomotion R²"), ("nbv_one_view", "NBV 1 view"),
           ("nbv_chosen", "NBV chosen"), ("nbv_random", "NBV random"), ("nbv_best", "NBV best")]


def _flatten(m: dict) -> dict:
    nbv = m.get("next_best_view") or {}
    return {**m, "nbv_one_view": nbv.get("accuracy_one_view"),
            "nbv_chosen": nbv.get("accuracy_chosen"), "nbv_random": nbv.get("accuracy_random"),
            "nbv_best": nbv.get("accuracy_best")}


def _measured(m: dict) -> int:
    return sum(isinstance(m.get(k), (int, float)) for k, _ in COLUMNS)


def gather(run_dirs: list[str | Path]) -> list[dict]:
    """Flattened metrics of every distinct run below ``run_dirs`` (see module doc)."""
    best: dict[tuple, dict] = {}
    for root in run_dirs:
        root = Path(root)
        files = [root] if root.is_file() else sorted(root.rglob("metrics.json"))
        for f in files:
            try:
                m = _flatten(json.loads(f.read_text()))
            except (OSError, ValueError):
                continue
            if not isinstance(m, dict) or "method" not in m:
                continue
            m["_path"] = str(f)
            key = (m.get("dataset"), m["method"], m.get("seed"), m.get("label_split"))
            if key not in best or _measured(m) > _measured(best[key]):
                best[key] = m
    return list(best.values())


def _stats(values: list) -> tuple[float | None, float | None, int]:
    vals = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not vals:
        return None, None, 0
    return float(np.mean(vals)), (float(np.std(vals, ddof=1)) if len(vals) > 1 else None), \
        len(vals)


def _cell(mean, std, n, runs) -> str:
    if mean is None:
        return "–"
    text = f"{mean:.3f}" + (f" ± {std:.3f}" if std is not None else "")
    return text + (f" (n={n})" if n != runs else "")


def _table(runs: list[dict]) -> tuple[list[str], dict[str, list[dict]]]:
    methods: dict[str, list[dict]] = {}
    for m in runs:
        methods.setdefault(m["method"], []).append(m)
    cols = [(k, name) for k, name in COLUMNS if _stats([m.get(k) for m in runs])[2]]
    lines = ["| method | runs | " + " | ".join(name for _, name in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for method, rs in sorted(methods.items()):
        cells = [_cell(*_stats([r.get(k) for r in rs]), len(rs)) for k, _ in cols]
        lines.append(f"| {method} | {len(rs)} | " + " | ".join(cells) + " |")
    return lines, methods


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")[:60] or "dataset"


def write_report(run_dirs: list[str | Path], out_dir: str | Path) -> Path:
    """Write OUT/report.md (and its PNGs); returns the report's path."""
    out_dir = Path(out_dir)
    runs = gather(run_dirs)
    lines = ["# Report", "", f"{len(runs)} runs from: " + ", ".join(map(str, run_dirs)), "",
             "Cells: mean ± std over seeds (sample std); n = runs that measured the column. "
             "Definitions: docs/evaluation.md.", ""]
    if not runs:
        lines.append("No metrics.json found.")
    by_dataset: dict[str, list[dict]] = {}
    for m in runs:
        by_dataset.setdefault(str(m.get("dataset")), []).append(m)
    for dataset, rs in sorted(by_dataset.items()):
        table, methods = _table(rs)
        lines += [f"## {dataset}", "", *table, ""]
        slug = _slug(dataset.split(":")[0] + "_" + dataset.rsplit("/", 1)[-1])
        names = sorted(methods)
        acc = [_stats([r.get("top1") for r in methods[n]]) for n in names]
        if any(a[0] is not None for a in acc):
            plot_bars({"top-1": [a[0] for a in acc]}, out_dir / f"{slug}_top1.png",
                      f"Top-1 accuracy: {dataset}", "top-1", names,
                      errors={"top-1": [a[1] for a in acc]})
            lines += [f"![top-1]({slug}_top1.png)", ""]
        series = {}
        for n in names:
            per = [r.get("equivariance_error_per_pattern") or [] for r in methods[n]]
            width = max((len(p) for p in per), default=0)
            if width:
                series[n] = [_stats([p[g] if g < len(p) else None for p in per])[0]
                             for g in range(width)]
        if series:
            width = max(len(v) for v in series.values())
            plot_bars(series, out_dir / f"{slug}_equivariance.png",
                      f"Equivariance error per pattern: {dataset}", "error",
                      [f"g{g}" for g in range(width)])
            lines += [f"![equivariance error per pattern]({slug}_equivariance.png)", ""]
    path = out_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
