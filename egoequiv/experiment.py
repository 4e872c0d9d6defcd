"""One experiment run, as the demo and ``reproduce`` make them: train (or resume, or reuse a
finished run with the same settings); training measures the model with the suite's chosen
metrics, once.

Every run lives in its own folder: checkpoint.pt, metrics.json (training's measurements
merged with the suite's), eval/ (the suite's plots).
"""

from __future__ import annotations

import json
from pathlib import Path

from egoequiv.config import Config, to_dict
from egoequiv.methods import resolve_config
from egoequiv.training.batched import train_batched
from egoequiv.training.trainer import TrainingDiverged, diverged_result, prepare, train
from egoequiv.utils.atomic import atomic_write_json


def run_one(cfg: Config, dataset: str, run_dir: Path, metrics: tuple | None, quiet: bool,
            labelled_dataset: str | None = None, plots: bool = True) -> dict:
    """Train and evaluate one run; ``metrics`` names the suite's measurements (None: all).

    Returns the run's metrics plus ``reused`` (True when an earlier invocation finished it)
    and ``_path`` (its metrics.json; the reports find metrics.csv beside it)."""
    cfg = resolve_config(cfg)  # as training stores it, so a finished run is recognised
    path = Path(run_dir) / "metrics.json"
    done = _finished(cfg, run_dir)
    if done is not None:
        return done
    frames, task = prepare(cfg, dataset, quiet=True, labelled_dataset=labelled_dataset)
    try:  # training measures the model once, with these metrics
        result = train(cfg, dataset, run_dir, resume=True, quiet=quiet,
                       prepared=(frames, task), labelled_dataset=labelled_dataset,
                       metrics=metrics, plots_dir=Path(run_dir) / "eval" if plots else None)
    except TrainingDiverged as e:  # a result too (an lr too high): recorded, not retried
        result = diverged_result(cfg, dataset, str(e))
    result["evaluated"] = True
    atomic_write_json(path, result)
    return {**result, "reused": False, "_path": str(path)}


def _finished(cfg: Config, run_dir: Path) -> dict | None:
    path = Path(run_dir) / "metrics.json"
    if path.exists():
        done = json.loads(path.read_text())
        if done.get("evaluated") and done.get("config") == to_dict(cfg):
            return {**done, "reused": True, "_path": str(path)}
    return None


def run_batch(cfgs: list[Config], dataset: str, run_dirs: list[Path], metrics: tuple | None,
              quiet: bool, labelled_dataset: str | None = None, plots: bool = True) -> list[dict]:
    """``run_one`` for runs that may train as one batch (``training.batched``): finished
    runs are reused, the others train together. Results in the order of ``cfgs``."""
    cfgs = [resolve_config(c) for c in cfgs]
    results = [_finished(c, d) for c, d in zip(cfgs, run_dirs)]
    todo = [k for k, r in enumerate(results) if r is None]
    if todo:
        trained = train_batched([cfgs[k] for k in todo], dataset, [run_dirs[k] for k in todo],
                                resume=True, quiet=quiet, labelled_dataset=labelled_dataset,
                                metrics=metrics,
                                plots_dirs=[Path(run_dirs[k]) / "eval" if plots else None
                                            for k in todo])
        for k, result in zip(todo, trained):
            result["evaluated"] = True
            path = Path(run_dirs[k]) / "metrics.json"
            atomic_write_json(path, result)
            results[k] = {**result, "reused": False, "_path": str(path)}
    return results
