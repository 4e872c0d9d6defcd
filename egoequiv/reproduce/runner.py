"""Run a protocol: greedy cross-validation on a validation split, final runs, controls.

Stages (every run in its own folder under OUT/runs/, reused when finished, resumed when
killed, so a second call continues where the first stopped):

1. ``cv/lr/clsnet/lr<v>``: clsnet for each lr of the grid, on the validation split.
2. ``cv/lam/<method>/lam<v>``: each other method for each lam, with the chosen lr (for
   equiv+drlim and its continuous variant: the equiv weight, drlim's weight kept).
3. ``final/<method>/split<k>``: every method with its chosen values on the test split, one run
   per label split; ``iters`` is where the chosen validation run's softmax loss was lowest.
4. ``controls/<name>/split<k>``: raw pixels and the untrained network, measured alike.

The test split is never used before stage 3. Choices go to OUT/chosen.json as they are made.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from egoequiv.config import load_config
from egoequiv.errors import EgoequivError
from egoequiv.experiment import run_one
from egoequiv.reproduce.controls import CONTROLS, run_control
from egoequiv.reproduce.protocols import KEEPS_DRLIM, Protocol, get_protocol
from egoequiv.reproduce.report import write_results
from egoequiv.reproduce.search import choose, lam_grid
from egoequiv.train.trainer import prepare, time_steps
from egoequiv.utils.atomic import atomic_write_json

#: what the validation runs measure (the choice needs top-1 only; the rest is cheap and shown)
CV_METRICS = ("recognition", "equivariance", "learned_maps")
#: what the final runs measure
FINAL_METRICS = ("recognition", "equivariance", "learned_maps", "next_best_view", "slowness",
                 "ranking")


class Clock:
    """Runs done out of the total, and time left estimated from the runs trained so far."""

    def __init__(self, total: int, log):
        self.total, self.done, self.trained, self.seconds, self.log = total, 0, 0, 0.0, log
        self.start = time.perf_counter()

    def tick(self, what: str, metrics: dict, seconds: float) -> None:
        self.done += 1
        if not metrics.get("reused"):
            self.trained += 1
            self.seconds += seconds
        left = self.total - self.done
        eta = f", about {self.seconds / self.trained * left / 60:.1f} min left" \
            if self.trained and left else ""
        top1 = metrics.get("top1")
        eq = metrics.get("equivariance_error")
        self.log(f"[reproduce] {what}: top1 {_fmt(top1)}, equivariance error {_fmt(eq)}"
                 f"{' (reused)' if metrics.get('reused') else ''} "
                 f"[{self.done}/{self.total}, {(time.perf_counter() - self.start) / 60:.1f} min"
                 f"{eta}]")


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def reproduce(name: str | Protocol, out_dir: str | Path, data: str | None = None,
              labelled: str | None = None, quick: bool = False, seed: int = 0,
              device: str = "auto", log=print) -> Path:
    """Run protocol ``name`` (or a ``Protocol``); returns the path of OUT/report.md."""
    protocol = name if isinstance(name, Protocol) else get_protocol(name, quick)
    name = protocol.name
    dataset = data or protocol.dataset
    labelled = labelled or protocol.labelled
    if protocol.needs_labelled and not labelled:
        raise EgoequivError(f"protocol {name!r} takes its labelled images from another "
                            "source: pass --labelled SPEC (sun397:DIR or imagefolder:DIR)")
    out = Path(out_dir)
    start = time.perf_counter()
    lams = lam_grid(*protocol.lam_exponents)
    others = [m for m in protocol.methods if m != "clsnet"]
    total = (len(protocol.lr_grid) + len(others) * len(lams)
             + (len(protocol.methods) + len(CONTROLS)) * protocol.splits)
    log(f"[reproduce] {protocol.title}: {dataset}"
        + (f", labels from {labelled}" if labelled else "")
        + f"; {total} runs of at most {protocol.budget} iterations "
          f"({'quick' if quick else 'full'} protocol)")
    minutes = _expected_minutes(protocol, dataset, labelled, device, lams, others)
    log(f"[reproduce] expected time: {minutes:.0f} min "
        "at most (every run to its budget; early stopping shortens it)")
    clock = Clock(total, log)
    chosen_path = out / "chosen.json"
    chosen = json.loads(chosen_path.read_text()) if chosen_path.exists() else {}

    def run(cfg_values: dict, folder: str, metrics) -> dict:
        cfg = load_config(overrides={**protocol.config, **cfg_values, "device": device})
        t = time.perf_counter()
        result = run_one(cfg, dataset, out / "runs" / folder, metrics, quiet=True,
                         labelled_dataset=labelled, plots=folder.startswith("final"))
        clock.tick(folder, result, time.perf_counter() - t)
        return result

    cv = {"iters": protocol.budget, "monitor_every": protocol.monitor_every,
          "patience": protocol.patience, "validation_fraction": protocol.validation_fraction,
          "seed": seed, "label_split": 0, "checkpoint_every": protocol.monitor_every}
    cv_runs: dict[str, dict] = {}

    def score(method: str, values: dict, folder: str):
        result = run({**cv, "method": method, **values}, folder, CV_METRICS)
        cv_runs[folder] = result
        return result.get("top1")

    lr, lr_scores = choose(protocol.lr_grid, lambda v: score("clsnet", {"lr": v},
                                                             f"cv/lr/clsnet/lr{v:g}"))
    chosen["clsnet"] = _chosen(lr, None, cv_runs[f"cv/lr/clsnet/lr{lr:g}"], protocol,
                               lr_scores)
    for method in others:
        def values(lam, method=method):
            if method in KEEPS_DRLIM and "drlim" in chosen:  # drlim's weight kept
                return {"lr": lr, "lam": lam, "drlim_weight": chosen["drlim"]["lam"] / lam}
            return {"lr": lr, "lam": lam}

        lam, lam_scores = choose(lams, lambda v, m=method: score(
            m, values(v), f"cv/lam/{m}/lam{v:g}"))
        chosen[method] = _chosen(lr, lam, cv_runs[f"cv/lam/{method}/lam{lam:g}"], protocol,
                                 lam_scores, extra=values(lam))
    atomic_write_json(chosen_path, chosen)

    finals: dict[str, list[dict]] = {}
    for method in protocol.methods:
        c = chosen[method]
        settings = {"lr": c["lr"], "iters": c["iters"], "monitor_every": protocol.monitor_every,
                    "checkpoint_every": protocol.monitor_every, **c.get("extra", {})}
        if c["lam"] is not None:
            settings["lam"] = c["lam"]
        finals[method] = [run({**settings, "method": method, "seed": seed + k,
                               "label_split": k}, f"final/{method}/split{k}", FINAL_METRICS)
                          for k in range(protocol.splits)]
    for control in CONTROLS:
        finals[control] = []
        for k in range(protocol.splits):
            cfg = load_config(overrides={**protocol.config, "seed": seed + k, "label_split": k,
                                         "device": device, "method": "clsnet"})
            t = time.perf_counter()
            result = run_control(control, cfg, dataset, labelled,
                                 out / "runs" / "controls" / control / f"split{k}",
                                 FINAL_METRICS)
            clock.tick(f"controls/{control}/split{k}", result, time.perf_counter() - t)
            finals[control].append(result)
    return write_results(out, protocol, dataset, labelled, chosen, finals,
                         round(time.perf_counter() - start, 1), quick)


def _expected_minutes(protocol: Protocol, dataset: str, labelled, device: str, lams,
                      others) -> float:
    """An upper bound from the measured step time of each method on this task."""
    cfg = load_config(overrides={**protocol.config, "device": device})
    frames, task = prepare(cfg, dataset, quiet=False, labelled_dataset=labelled)
    per_method = {m: time_steps(load_config(overrides={**protocol.config, "device": device,
                                                        "method": m}), frames, task)
                  for m in protocol.methods}
    steps = len(protocol.lr_grid) * per_method.get("clsnet", 0.0)
    steps += sum(len(lams) * per_method[m] for m in others)
    steps += protocol.splits * sum(per_method.values())
    overhead = 10.0 * (len(protocol.lr_grid) + len(others) * len(lams)
                       + protocol.splits * len(protocol.methods))  # measuring each run
    return (steps * protocol.budget + overhead) / 60


def _chosen(lr, lam, run: dict, protocol: Protocol, scores: dict, extra=None) -> dict:
    """The chosen values of one method, with the validation scores behind them."""
    best = run.get("best_val_iteration") or protocol.budget
    return {"lr": lr, "lam": lam, "iters": int(best),
            "validation_top1": {f"{k:g}": v for k, v in scores.items()},
            "extra": {k: v for k, v in (extra or {}).items() if k == "drlim_weight"}}
