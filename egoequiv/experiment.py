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
from egoequiv.training.trainer import TrainingDiverged, prepare, train
from egoequiv.utils.atomic import atomic_write_json


def run_one(cfg: Config, dataset: str, run_dir: Path, metrics: tuple | None, quiet: bool,
            labelled_dataset: str | None = None, plots: bool = True) -> dict:
    """Train and evaluate one run; ``metrics`` names the suite's measurements (None: all).

    Returns the run's metrics plus ``reused`` (True when an earlier invocation finished it)
    and ``_path`` (its metrics.json; the reports find metrics.csv beside it)."""
    cfg = resolve_config(cfg)  # as training stores it, so a finished run is recognised
    path = Path(run_dir) / "metrics.json"
    if path.exists():
        done = json.loads(path.read_text())
        if done.get("evaluated") and done.get("config") == to_dict(cfg):
            return {**done, "reused": True, "_path": str(path)}
    frames, task = prepare(cfg, dataset, quiet=True, labelled_dataset=labelled_dataset)
    try:  # training measures the model once, with these metrics
        result = train(cfg, dataset, run_dir, resume=True, quiet=quiet,
                       prepared=(frames, task), labelled_dataset=labelled_dataset,
                       metrics=metrics, plots_dir=Path(run_dir) / "eval" if plots else None)
    except TrainingDiverged as e:  # a result too (an lr too high): recorded, not retried
        result = {"method": cfg.method, "dataset": dataset, "seed": cfg.seed,
                  "label_split": cfg.label_split, "diverged": str(e), "top1": None,
                  "warnings": [str(e)], "config": to_dict(cfg)}
    result["evaluated"] = True
    atomic_write_json(path, result)
    return {**result, "reused": False, "_path": str(path)}
