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
from egoequiv.methods import resolve_config
from egoequiv.training.batched import batch_key, train_batched
from egoequiv.training.run_lock import RunLock
from egoequiv.training.trainer import TRAIN_METRICS
from egoequiv.utils.atomic import atomic_write_json


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
    out_dir.mkdir(parents=True, exist_ok=True)
    with RunLock(out_dir):  # one grid per folder (each member locks its own as well)
        return _train_members(runs, entries, index, out_dir, dataset, resume, quiet,
                              labelled_dataset, metrics, stack, log)


def _train_members(runs, entries, index, out_dir, dataset, resume, quiet, labelled_dataset,
                   metrics, stack, log) -> list[dict]:
    atomic_write_json(out_dir / "grid.json", index)
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
        atomic_write_json(out_dir / "grid.json", index)
    return results
