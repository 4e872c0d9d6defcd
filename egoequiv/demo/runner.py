"""Run a demo plan: render/reuse data, train every method on every label split, evaluate
each run with the full suite, then aggregate into results.json, plots and report.md.

Every run lives in ``OUT/runs/<task>/<method>/split<k>/``; a finished run (metrics.json
with the suite's measurements) is reused, a killed one resumes from its checkpoint.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from egoequiv.config import load_config, to_dict
from egoequiv.demo.figures import plot_method_bars, plot_pattern_errors
from egoequiv.demo.plan import PLANS, DemoPlan, TaskPlan
from egoequiv.demo.report import write_demo_report
from egoequiv.evaluate.model import evaluate_model
from egoequiv.motion.plot import plot_motion_patterns, plot_pattern_examples
from egoequiv.train.checkpoint import load_run
from egoequiv.train.trainer import prepare, train
from egoequiv.utils.atomic import atomic_write_json
from egoequiv.utils.device import resolve_device

#: measurements aggregated (mean, std over label splits) into the results table
SUMMARY_KEYS = ("top1", "topk", "probe_top1", "knn_top1", "equivariance_error",
                "learned_map_error", "composite_equivariance_error", "slowness_auroc", "mrr",
                "hits@10", "egomotion_r2", "train_seconds")


def run_demo(out_dir: str | Path, quick: bool = False, seed: int = 0, device: str = "auto",
             quiet: bool = False, log=print) -> Path:
    plan: DemoPlan = PLANS["quick" if quick else "default"]
    out = Path(out_dir)
    start = time.perf_counter()
    results = {"plan": plan.name, "seed": seed, "tasks": {}}
    for tp in plan.tasks:
        log(f"[demo] task {tp.name}: {tp.dataset}, methods {', '.join(tp.methods)}, "
            f"{tp.splits} label split(s)")
        results["tasks"][tp.name] = run_task(tp, plan, out, seed, device, quiet, log)
    results["wall_seconds"] = round(time.perf_counter() - start, 1)
    atomic_write_json(out / "results.json", results)
    report = write_demo_report(out, plan, results)
    log(f"[demo] done in {results['wall_seconds']:.0f} s: {report}")
    return report


def run_task(tp: TaskPlan, plan: DemoPlan, out: Path, seed: int, device: str, quiet: bool,
             log) -> dict:
    figures = out / "figures"
    base = load_config(overrides={**tp.config, "seed": seed, "device": device})
    frames, task = prepare(base, tp.dataset, quiet=quiet)
    spec = task.table.motor_spec
    plot_motion_patterns(task.pairs, task.patterns, spec,
                         figures / f"{tp.name}_motion_patterns.png",
                         title=f"{tp.name}: pair motions and motion patterns")
    plot_pattern_examples(frames.images, task.pairs, task.patterns, spec,
                          figures / f"{tp.name}_pattern_examples.png")
    runs = {}
    for method in tp.methods:
        runs[method] = []
        for split in range(tp.splits):
            cfg = load_config(overrides={**tp.config, "method": method, "seed": seed + split,
                                         "label_split": split, "device": device})
            run_dir = out / "runs" / tp.name / method / f"split{split}"
            metrics = run_one(cfg, tp.dataset, run_dir, plan.metrics, quiet)
            runs[method].append(metrics)
            log(f"[demo] {tp.name} {method} split {split}: top1 {_fmt(metrics.get('top1'))}, "
                f"equivariance error {_fmt(metrics.get('equivariance_error'))}")
    summary = {m: summarise(rs) for m, rs in runs.items()}
    plot_method_bars(summary, "top1", figures / f"{tp.name}_accuracy.png",
                     f"{tp.name}: test top-1 accuracy (mean ± std over label splits)")
    plot_method_bars(summary, "equivariance_error", figures / f"{tp.name}_equivariance.png",
                     f"{tp.name}: equivariance error (lower is better; 1 = identity map)")
    plot_pattern_errors(runs, task.patterns, spec,
                        figures / f"{tp.name}_equivariance_per_pattern.png",
                        f"{tp.name}: equivariance error per motion pattern")
    return {"title": tp.title, "dataset": tp.dataset, "splits": tp.splits,
            "num_frames": len(task.table), "num_classes": task.num_classes,
            "num_train_pairs": int(len(task.pairs)),
            "num_patterns": task.patterns.num_patterns,
            "pattern_centres": task.patterns.centres_in_units().round(3).tolist(),
            "motor": spec.describe(), "config": {k: v for k, v in to_dict(base).items()
                                                 if k not in ("method", "seed", "label_split")},
            "summary": summary, "runs": {m: [_brief(r) for r in rs] for m, rs in runs.items()}}


def run_one(cfg, dataset: str, run_dir: Path, metrics: tuple | None, quiet: bool) -> dict:
    """Train (or resume, or reuse) one run and evaluate it with the suite."""
    path = run_dir / "metrics.json"
    if path.exists():
        done = json.loads(path.read_text())
        if done.get("evaluated") and done.get("config") == to_dict(cfg):
            return done
    result = train(cfg, dataset, run_dir, resume=True, quiet=quiet)
    device = resolve_device(cfg.device)
    run = load_run(run_dir / "checkpoint.pt", device)
    _, task = prepare(cfg, dataset, quiet=True)
    suite = evaluate_model(run.method, task, run.normalizer, device,
                           metrics=list(metrics) if metrics else None,
                           out_dir=run_dir / "eval", seed=cfg.seed)
    result.update({k: v for k, v in suite.items() if v is not None or k not in result})
    result["evaluated"] = True
    atomic_write_json(path, result)
    return result


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in SUMMARY_KEYS:
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        if values:
            out[key] = {"mean": float(np.mean(values)), "std": float(np.std(values)),
                        "n": len(values)}
    per = [r.get("equivariance_error_per_pattern") for r in runs]
    if per and all(p is not None for p in per):
        arr = np.array([[np.nan if v is None else v for v in p] for p in per], dtype=float)
        out["equivariance_error_per_pattern"] = [
            None if np.isnan(col).all() else float(np.nanmean(col)) for col in arr.T]
    return out


def _brief(run: dict) -> dict:
    return {k: run.get(k) for k in ("seed", "label_split", *SUMMARY_KEYS)}


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
