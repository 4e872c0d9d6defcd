"""Sweeps: the product of value grids (``lam=0.316,1`` x ``seed=0,1``) trained as batched
runs of one method, one run folder per member, named after its values
(``OUT/lam=0.316,seed=1/``), listed in ``OUT/grid.json``.

Members that differ only in ``batched.MEMBER_KEYS`` train as one batch; a grid over another
key (``margin``, ``feature_dim``, ...) trains one batch per value of it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from egoequiv.config import Config, load_config, to_dict
from egoequiv.errors import ConfigError
from egoequiv.evaluation import record
from egoequiv.methods import resolve_config
from egoequiv.training.batched import batch_key, train_batched
from egoequiv.training.run_lock import RunLock
from egoequiv.training.trainer import TRAIN_METRICS, check_out_dir
from egoequiv.utils.atomic import atomic_write_json

#: the grid's index of members, in its folder
INDEX = "grid.json"


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    """``["lam=0.316,1", "seed=0,1"]`` -> ``{"lam": ["0.316", "1"], "seed": ["0", "1"]}``."""
    grid: dict[str, list[str]] = {}
    for item in items or []:
        key, eq, values = item.partition("=")
        key = key.strip().replace("-", "_")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not eq or not key or not vals:
            raise ConfigError(f"--grid {item!r}: expected KEY=V1,V2,...")
        if key in grid:
            raise ConfigError(f"--grid {item!r}: {key} is given twice")
        if len(set(vals)) != len(vals):
            raise ConfigError(f"--grid {item!r}: a value is repeated")
        grid[key] = vals
    return grid


def members(cfg: Config, grid: dict[str, list]) -> list[tuple[dict, Config]]:
    """Every combination of the grid's values: (its values, its config), in the grid's
    order (the last key varies fastest). Each value is cast and checked like --set."""
    out = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        member = resolve_config(load_config(overrides={**to_dict(cfg), **values}))
        out.append(({k: str(v) for k, v in values.items()}, member))
    return out


def folder_name(values: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in values.items())


def train_grid(cfg: Config, dataset: str, out_dir: str | Path, grid: dict[str, list],
               resume: bool = False, quiet: bool = False, labelled_dataset: str | None = None,
               metrics=TRAIN_METRICS, stack: str = "auto", log=None) -> list[dict]:
    """Train every member of ``grid`` (``{key: [values]}``) on ``dataset``; returns their
    metrics in the grid's order. OUT/grid.json lists the members, their values, folders and
    status (pending, finished or diverged)."""
    out_dir = Path(out_dir)
    runs = members(cfg, grid)
    entries = [{"values": values, "folder": folder_name(values), "status": "pending"}
               for values, _ in runs]
    index = {"method": cfg.method, "dataset": dataset, "keys": list(grid),
             "members": entries}
    created = not out_dir.exists()
    had_index = (out_dir / INDEX).exists()
    check_out_dir(out_dir)
    try:
        lock = RunLock(out_dir)  # one grid per folder (each member locks its own as well)
    except BaseException:
        if created:
            _remove_empty(out_dir)
        raise
    failed = True
    try:
        results = _train_members(runs, entries, index, out_dir, dataset, resume, quiet,
                                 labelled_dataset, metrics, stack, log)
        failed = False
        return results
    finally:
        _close(lock, out_dir, entries, failed, created, had_index)


def _holds_a_run(folder: Path) -> bool:
    """Whether a member's folder holds a run: a checkpoint to resume, or its record."""
    return any((folder / name).exists() for name in ("checkpoint.pt", record.FILE))


def _close(lock: RunLock, out_dir: Path, entries: list[dict], failed: bool, created: bool,
           had_index: bool) -> None:
    """Give back the grid folder's lock. A failed grid none of whose members holds a run
    (a member that failed before its first checkpoint has its own folder removed by the
    trainer) removes the grid.json it wrote, then the folder if it made it and it is empty:
    no folder is left that looks like a grid. A folder where any member holds a run (killed,
    interrupted or finished: something to resume) keeps everything, and a grid.json an
    earlier call wrote is never removed."""
    remove = failed and not any(_holds_a_run(out_dir / e["folder"]) for e in entries)
    if remove and not had_index:  # while the lock is held: no other grid writes it
        (out_dir / INDEX).unlink(missing_ok=True)
    lock.release()
    if remove and created:
        _remove_empty(out_dir)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only when empty: a file another process put there keeps it
    except OSError:
        pass


def _train_members(runs, entries, index, out_dir, dataset, resume, quiet, labelled_dataset,
                   metrics, stack, log) -> list[dict]:
    atomic_write_json(out_dir / INDEX, index)
    groups: dict[tuple, list[int]] = {}
    for k, (_, member) in enumerate(runs):
        groups.setdefault(batch_key(member), []).append(k)
    results: list[dict | None] = [None] * len(runs)
    for ks in groups.values():
        done = train_batched([runs[k][1] for k in ks], dataset,
                             [out_dir / entries[k]["folder"] for k in ks], resume=resume,
                             quiet=quiet, labelled_dataset=labelled_dataset, metrics=metrics,
                             stack=stack, extras=[{"grid": entries[k]["values"]} for k in ks])
        for k, result in zip(ks, done):
            results[k] = result
            entries[k]["status"] = "diverged" if "diverged" in result else "finished"
            if log is not None:
                log(entries[k], result)
        atomic_write_json(out_dir / INDEX, index)
    return results
