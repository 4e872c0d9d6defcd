"""One experiment run, as the demo and ``reproduce`` make them: train (or resume, or reuse a
finished run with the same settings); training measures the model with the suite's chosen
metrics, once.

Every run lives in its own folder: checkpoint.pt, metrics.json (its record, written by
training with the suite's chosen measurements), eval/ (the suite's plots).
"""

from __future__ import annotations

from pathlib import Path

from egoequiv.config import Config, to_dict
from egoequiv.evaluation import record
from egoequiv.methods import resolve_config
from egoequiv.task.load import prepare
from egoequiv.training.batched import train_batched
from egoequiv.training.trainer import TrainingDiverged, diverged_result, train


def run_one(cfg: Config, dataset: str, run_dir: Path, metrics: tuple | None, quiet: bool,
            labelled_dataset: str | None = None, plots: bool = True) -> dict:
    """Train and evaluate one run; ``metrics`` names the suite's measurements (None: all).

    Returns the run's record plus ``reused`` (True when an earlier invocation finished it)
    and ``_path`` (its metrics.json; the reports find metrics.csv beside it)."""
    cfg = resolve_config(cfg)  # as training stores it, so a finished run is recognised
    done = record.reusable(run_dir, to_dict(cfg), metrics)
    if done is not None:
        return {**done, "reused": True}
    frames, task = prepare(cfg, dataset, quiet=True, labelled_dataset=labelled_dataset)
    try:  # training measures the model once, with these metrics, and writes its record
        result = train(cfg, dataset, run_dir, resume=True, quiet=quiet,
                       prepared=(frames, task), labelled_dataset=labelled_dataset,
                       metrics=metrics, plots_dir=Path(run_dir) / "eval" if plots else None)
    except TrainingDiverged as e:  # a result too (an lr too high): recorded, not retried
        result = diverged_result(cfg, dataset, str(e))
        record.write(run_dir, result)
    return {**result, "reused": False, "_path": str(Path(run_dir) / record.FILE)}


def run_batch(cfgs: list[Config], dataset: str, run_dirs: list[Path], metrics: tuple | None,
              quiet: bool, labelled_dataset: str | None = None, plots: bool = True) -> list[dict]:
    """``run_one`` for runs that may train as one batch (``training.batched``): finished
    runs are reused, the others train together. Results in the order of ``cfgs``."""
    cfgs = [resolve_config(c) for c in cfgs]
    results = [record.reusable(d, to_dict(c), metrics) for c, d in zip(cfgs, run_dirs)]
    results = [None if r is None else {**r, "reused": True} for r in results]
    todo = [k for k, r in enumerate(results) if r is None]
    if todo:
        trained = train_batched([cfgs[k] for k in todo], dataset, [run_dirs[k] for k in todo],
                                resume=True, quiet=quiet, labelled_dataset=labelled_dataset,
                                metrics=metrics,
                                plots_dirs=[Path(run_dirs[k]) / "eval" if plots else None
                                            for k in todo])
        for k, result in zip(todo, trained):
            results[k] = {**result, "reused": False,
                          "_path": str(Path(run_dirs[k]) / record.FILE)}
    return results
