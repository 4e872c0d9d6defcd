"""Run a protocol: greedy cross-validation on a validation split, final runs, controls.

Stages (every run in its own folder under OUT/runs/, reused when finished, resumed when
killed, so a second call continues where the first stopped):

1. ``cv/lr/clsnet/lr<v>``: clsnet for each lr of the grid, on the validation split.
2. ``cv/lam/<method>/lam<v>``: each other method for each lam, with the chosen lr (for
   equiv+drlim and its continuous variant: the equiv weight, drlim's weight kept).
3. ``final/<method>/split<k>``: every method with its chosen values on the test split, one run
   per label split; ``iters`` is the chosen validation run's best iterate (``stop_metric``;
   the budget without early stopping).
4. ``controls/<name>/split<k>``: raw pixels and the untrained network, measured alike.

The test split is never used before stage 3. Choices go to OUT/chosen.json as they are made.
The runs of a stage that differ only in numbers train as one batch (``training.batched``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from egoequiv.config import load_config
from egoequiv.errors import EgoequivError
from egoequiv.evaluation.suite import metrics_for
from egoequiv.experiment import run_batch, run_one
from egoequiv.reproduce.controls import CONTROLS, run_control
from egoequiv.reproduce.jobs import default_jobs, run_all
from egoequiv.reproduce.protocols import (
    Protocol,
    TransferProtocol,
    get_protocol,
    keeps_drlim,
    with_methods,
)
from egoequiv.reproduce.report import write_results
from egoequiv.reproduce.search import choose, lam_grid
from egoequiv.task.load import prepare
from egoequiv.training.batched import batch_key
from egoequiv.training.run_lock import RunLock
from egoequiv.training.trainer import time_steps
from egoequiv.utils.atomic import atomic_write_json

#: what the validation runs measure (the choice needs top-1 only; the rest is cheap and shown)
CV_METRICS = metrics_for("validation")
#: what the final runs and the controls measure
FINAL_METRICS = metrics_for("final")


class Clock:
    """Runs done out of the total, and the time left estimated from the wall time per run
    trained so far (reused runs cost nothing and are not counted)."""

    def __init__(self, total: int, log):
        self.total, self.done, self.trained, self.log = total, 0, 0, log
        self.start = time.perf_counter()

    def tick(self, what: str, metrics: dict) -> None:
        self.done += 1
        self.trained += not metrics.get("reused")
        left = self.total - self.done
        elapsed = time.perf_counter() - self.start
        eta = f", about {elapsed / self.trained * left / 60:.1f} min left" \
            if self.trained and left else ""
        top1 = metrics.get("top1")
        eq = metrics.get("equivariance_error")
        outcome = f"top1 {_fmt(top1)}, equivariance error {_fmt(eq)}" \
            if metrics.get("status") != "diverged" else \
            "diverged (" + "; ".join(metrics.get("warnings") or ["a non-finite loss"])[:120] + ")"
        self.log(f"[reproduce] {what}: {outcome}"
                 f"{' (reused)' if metrics.get('reused') else ''} "
                 f"[{self.done}/{self.total}, {(time.perf_counter() - self.start) / 60:.1f} min"
                 f"{eta}]")


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def batch_groups(runs: list[tuple[str, object]]) -> list[list[int]]:
    """Indices of the runs, grouped: training runs that may train as one batch
    (``training.batched.batch_key``) together, every control alone."""
    groups: dict[tuple, list[int]] = {}
    for k, (kind, cfg) in enumerate(runs):
        key = ("train", *batch_key(cfg)) if kind == "train" else ("control", k)
        groups.setdefault(key, []).append(k)
    return list(groups.values())


def execute(kinds: list[str], values: list[dict], dataset: str, labelled: str | None,
            run_dirs: list[str], metrics: tuple) -> list[dict]:
    """One job of a protocol (picklable, so a worker process can run it): one control
    (``kinds`` = [its name]), one training run, or a batch of training runs."""
    cfgs = [load_config(overrides=v) for v in values]
    dirs = [Path(d) for d in run_dirs]
    if kinds[0] != "train":
        return [run_control(kinds[0], cfgs[0], dataset, labelled, dirs[0], metrics)]
    plots = "final" in dirs[0].parts
    if len(cfgs) == 1:
        return [run_one(cfgs[0], dataset, dirs[0], metrics, quiet=True,
                        labelled_dataset=labelled, plots=plots)]
    return run_batch(cfgs, dataset, dirs, metrics, quiet=True, labelled_dataset=labelled,
                     plots=plots)


def reproduce(name: str | Protocol, out_dir: str | Path, data: str | None = None,
              labelled: str | None = None, quick: bool = False, seed: int = 0,
              device: str = "auto", jobs: int | None = None, log=print,
              batched: bool = True) -> Path:
    """Run protocol ``name`` (or a ``Protocol``) with ``jobs`` jobs at a time (default:
    ``jobs.default_jobs``); returns the path of OUT/report.md. ``batched``: the runs of a
    stage that differ only in numbers (lr, lam, seed, label split) train as one batch
    (``training.batched``; on a CPU bit-identical to training them one by one, on a GPU
    equal to float rounding per step)."""
    protocol = with_methods(name) if isinstance(name, (Protocol, TransferProtocol)) \
        else get_protocol(name, quick)
    name = protocol.name
    dataset = data or protocol.dataset
    labelled = labelled or protocol.labelled
    if protocol.needs_labelled and not labelled:
        raise EgoequivError(f"protocol {name!r} takes its labelled images from another "
                            "source: pass --labelled SPEC (sun397:DIR or imagefolder:DIR)")
    workers = jobs or default_jobs(device)
    out = Path(out_dir)
    _make_out(out)  # at once: a kill during the estimate below still leaves the folder
    with RunLock(out):  # one reproduce per folder (each run locks its own as well)
        if isinstance(protocol, TransferProtocol):
            from egoequiv.reproduce.pretrain_transfer import run_transfer

            return run_transfer(protocol, out, dataset, labelled, quick, seed, device, log)
        return _reproduce(protocol, out, dataset, labelled, quick, seed, device, workers, log,
                          batched)


def _make_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise EgoequivError(f"output folder {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EgoequivError(f"output folder {out}: cannot create it ({e.strerror})") from None


def _reproduce(protocol: Protocol, out: Path, dataset: str, labelled: str | None, quick: bool,
               seed: int, device: str, workers: int, log, batched: bool) -> Path:
    """``reproduce`` once its folder is made and locked."""
    start = time.perf_counter()
    lams = lam_grid(*protocol.lam_exponents)
    others = [m for m in protocol.methods if m != "clsnet"]
    total = (len(protocol.lr_grid) + len(others) * len(lams)
             + (len(protocol.methods) + len(CONTROLS)) * protocol.splits)
    log(f"[reproduce] {protocol.title}: {dataset}"
        + (f", labels from {labelled}" if labelled else "")
        + f"; {total} runs of at most {protocol.budget} iterations, {workers} at a time "
          f"({'quick' if quick else 'full'} protocol) -> {out}")
    log(f"[reproduce] plan: {len(protocol.lr_grid)} lr runs of clsnet, "
        f"{len(others) * len(lams)} lam runs ({len(others)} methods x {len(lams)} values), "
        f"then {len(protocol.methods)} methods and {len(CONTROLS)} controls on "
        f"{protocol.splits} labelled subsets each")
    minutes = _expected_minutes(protocol, dataset, labelled, device, lams, others, log) / \
        (1.25 if workers > 1 else 1.0)
    log(f"[reproduce] expected time: {minutes:.0f} min at most (every run to its budget; "
        "early stopping shortens it)")
    clock = Clock(total, log)
    chosen_path = out / "chosen.json"
    chosen = json.loads(chosen_path.read_text()) if chosen_path.exists() else {}

    def batch(runs: list[tuple[str, dict, str]], metrics: tuple) -> list[dict]:
        """[(kind, config values, folder)] -> their results, ``workers`` jobs at a time;
        with ``batched``, each group of runs that differ only in numbers is one job."""
        values = [{**protocol.config, **v, "device": device} for _, v, _ in runs]
        groups = batch_groups([(kind, load_config(overrides=v)) for (kind, _, _), v
                               in zip(runs, values)]) if batched else \
            [[k] for k in range(len(runs))]
        jobs_ = [([runs[k][0] for k in ks], [values[k] for k in ks], dataset, labelled,
                  [str(out / "runs" / runs[k][2]) for k in ks], metrics) for ks in groups]
        results: list = [None] * len(runs)

        def done(g: int, group_results: list[dict]) -> None:
            for k, result in zip(groups[g], group_results):
                results[k] = result
                clock.tick(runs[k][2], result)

        run_all(execute, jobs_, workers, done)
        return results

    cv = {"iters": protocol.budget, "monitor_every": protocol.monitor_every,
          "patience": protocol.patience, "validation_fraction": protocol.validation_fraction,
          "seed": seed, "label_split": 0, "checkpoint_every": protocol.monitor_every}

    histories: dict[str, list[dict]] = {}  # each chosen validation run's, for its curves

    def search(method_values: dict[str, list[tuple[float, dict]]], prefix: str) -> dict:
        """Validation runs of every (method, value); the chosen value per method."""
        runs = [("train", {**cv, "method": m, **values}, f"cv/{prefix}/{m}/{prefix}{v:g}")
                for m, grid in method_values.items() for v, values in grid]
        results = dict(zip([r[2] for r in runs], batch(runs, CV_METRICS), strict=True))
        picked = {}
        for m, grid in method_values.items():
            by_value = {v: results[f"cv/{prefix}/{m}/{prefix}{v:g}"] for v, _ in grid}
            best, scores = choose([v for v, _ in grid],
                                  lambda v, runs=by_value: runs[v].get("top1"))
            picked[m] = (best, scores, by_value[best], dict(grid)[best])
            histories[m] = by_value[best].get("history") or []
        return picked

    (lr, lr_scores, lr_run, _), = search(
        {"clsnet": [(v, {"lr": v}) for v in protocol.lr_grid]}, "lr").values()
    chosen["clsnet"] = _chosen(lr, None, lr_run, protocol, lr_scores)

    keeps = keeps_drlim()

    def values(method: str, lam: float) -> dict:
        if method in keeps and "drlim" in chosen:  # drlim's weight kept
            return {"lr": lr, "lam": lam, "drlim_weight": chosen["drlim"]["lam"] / lam}
        return {"lr": lr, "lam": lam}

    for group in ([m for m in others if m not in keeps], [m for m in others if m in keeps]):
        picked = search({m: [(v, values(m, v)) for v in lams] for m in group}, "lam")
        for m, (lam, scores, run, settings) in picked.items():
            chosen[m] = _chosen(lr, lam, run, protocol, scores, extra=settings)
    atomic_write_json(chosen_path, chosen)

    runs = []
    for method in protocol.methods:
        c = chosen[method]
        settings = {"lr": c["lr"], "iters": c["iters"], "monitor_every": protocol.monitor_every,
                    "checkpoint_every": protocol.monitor_every, **c.get("extra", {})}
        if c["lam"] is not None:
            settings["lam"] = c["lam"]
        runs += [("train", {**settings, "method": method, "seed": seed + k, "label_split": k},
                  f"final/{method}/split{k}") for k in range(protocol.splits)]
    runs += [(control, {"seed": seed + k, "label_split": k, "method": "clsnet"},
              f"controls/{control}/split{k}")
             for control in CONTROLS for k in range(protocol.splits)]
    finals: dict[str, list[dict]] = {}
    for (kind, values_, _), result in zip(runs, batch(runs, FINAL_METRICS), strict=True):
        finals.setdefault(values_["method"] if kind == "train" else kind, []).append(result)
    return write_results(out, protocol, dataset, labelled, chosen, finals,
                         round(time.perf_counter() - start, 1), quick, histories)


def _expected_minutes(protocol: Protocol, dataset: str, labelled, device: str, lams,
                      others, log=print) -> float:
    """An upper bound from the measured step time of each method on this task (each one
    logged as it is timed: decoding a large set and timing every method takes a while)."""
    cfg = load_config(overrides={**protocol.config, "device": device})
    log(f"[reproduce] estimating the time: decoding {dataset}, then timing 20 steps of "
        f"each of {len(protocol.methods)} methods")
    frames, task = prepare(cfg, dataset, quiet=False, labelled_dataset=labelled)
    per_method = {}
    for k, m in enumerate(protocol.methods, start=1):
        per_method[m] = time_steps(load_config(overrides={**protocol.config, "device": device,
                                                          "method": m}), dataset, frames, task)
        log(f"[reproduce] timed {m}: {per_method[m] * 1000:.0f} ms per step "
            f"[{k}/{len(protocol.methods)}]")
    steps = len(protocol.lr_grid) * per_method.get("clsnet", 0.0)
    steps += sum(len(lams) * per_method[m] for m in others)
    steps += protocol.splits * sum(per_method.values())
    overhead = 10.0 * (len(protocol.lr_grid) + len(others) * len(lams)
                       + protocol.splits * len(protocol.methods))  # measuring each run
    return (steps * protocol.budget + overhead) / 60


def _chosen(lr, lam, run: dict, protocol: Protocol, scores: dict, extra=None) -> dict:
    """The chosen values of one method, with the validation scores behind them."""
    # with early stopping the final runs train to the chosen run's best iterate; without,
    # to the budget
    best = (run.get("best_val_iteration") if protocol.patience else None) or protocol.budget
    return {"lr": lr, "lam": lam, "iters": int(best),
            "validation_top1": {f"{k:g}": v for k, v in scores.items()},
            "extra": {k: v for k, v in (extra or {}).items() if k == "drlim_weight"}}
