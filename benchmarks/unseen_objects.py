"""Does the equivariance carry to unseen objects? Train on some objects, measure on others.

    python benchmarks/unseen_objects.py [--dataset SPEC] [--variants base,stop,...]
        [--seeds 0,1,2] [--iters 3000] [--every 250] [--out DIR] [--json F] [--plot F]

On ETH-80 (``$EGOEQUIV_SHARED_DATA`` or ../shared/data by default), each variant of equiv
trains on 4 of the 5 training objects per category; the fifth is a validation object the
network never sees. Along training the monitor logs the refitted-map error on held-out pairs
of the training objects (``equivariance_heldout``: the network trained on them, the maps
did not) and on the validation objects (``val_equivariance``). Variants are chosen on the
validation objects alone; the test objects (the other 5 per category) are read once per run,
at the end, for the table. Each variant is a documented option beside the paper's
formulation (``VARIANTS``). The controls, raw pixels and the untrained network, are measured
on the same validation and test pairs with the same refitted maps.

Writes, per variant, the mean and sample std over seeds of the validation and test errors
(at the best validation iterate, and at the last), and the curves to ``--plot``.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

#: settings of each variant; every run also gets VALIDATION
VARIANTS = {
    "base": {},  # the defaults, measured at the last iterate (as a plain run is)
    "stop": {"stop_metric": "val_equivariance"},  # its best validation iterate
    "dim16": {"stop_metric": "val_equivariance", "feature_dim": 16},
    "small": {"stop_metric": "val_equivariance", "hidden_dim": 64, "feature_dim": 16},
    "mapdecay": {"stop_metric": "val_equivariance", "map_decay": 0.1},
    "batch64": {"stop_metric": "val_equivariance", "batch_size": 64},
    "shift": {"stop_metric": "val_equivariance", "augment_shift": 3},
    "lam10": {"stop_metric": "val_equivariance", "lam": 10.0},
    "unsup": {"stop_metric": "val_equivariance", "labels_per_class": 0},
    "lam10+shift": {"stop_metric": "val_equivariance", "lam": 10.0, "augment_shift": 3},
    "lam3.16": {"stop_metric": "val_equivariance", "lam": 3.16},
    "lam31.6": {"stop_metric": "val_equivariance", "lam": 31.6},
}
VALIDATION = {"validation_fraction": 0.2}
#: what is measured of each run (``measure_run``)
MEASURED = ("val_best", "val_last", "test_best", "test_last", "test_best_learned")


def shared_eth80() -> str:
    root = os.environ.get("EGOEQUIV_SHARED_DATA") or str(
        Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    return f"eth80:{Path(root) / 'eth80'}"


def error(result: dict) -> float | None:
    return result.get("equivariance_error")


def measure_run(out: Path, test_task, val_task) -> dict:
    """Validation and test errors of the run in ``out``, at its best and its last iterate."""
    from egoequiv.evaluation.model import evaluate_on_task
    from egoequiv.training.checkpoint import load_run, read_checkpoint

    run = load_run(out / "checkpoint.pt")
    state = read_checkpoint(out / "checkpoint.pt")
    motor = run.shape.get("motor")
    row = {}
    for which, weights in (("best", None), ("last", state["model"])):
        if weights is not None:
            run.method.load_state_dict(weights)
        for name, task in (("val", val_task), ("test", test_task)):
            result, _ = evaluate_on_task(run.method, run.normalizer, run.patterns, motor, task,
                                         metrics=["equivariance", "learned_maps"],
                                         seed=run.cfg.seed)
            row[f"{name}_{which}"] = error(result)
            row[f"{name}_{which}_learned"] = result.get("learned_map_error")
    return row


def control_errors(cfg, dataset: str, seeds: list[int]) -> dict:
    """Pixels and the untrained network on the validation and the test pairs."""
    from egoequiv.evaluation.suite import run_suite
    from egoequiv.reproduce.controls import control_features
    from egoequiv.task.load import prepare

    out = {}
    for name, fraction in (("val", VALIDATION["validation_fraction"]), ("test", 0.0)):
        c = replace(cfg, validation_fraction=fraction)
        frames, task = prepare(c, dataset, quiet=True)
        for control, runs in (("pixels", [seeds[0]]), ("random-init", seeds)):
            values = [error(run_suite(control_features(control, replace(c, seed=s), frames,
                                                       task), task,
                                      metrics=["equivariance"], seed=s)) for s in runs]
            out[f"{control}_{name}"] = values
    return out


def trained_history(base, dataset: str, out: Path, seed: int, settings: dict) -> list[dict]:
    """The history of the run in ``out``, trained (or resumed) first if it has not finished."""
    from egoequiv.api import train

    if (out / "metrics.json").is_file():
        return json.loads((out / "metrics.json").read_text())["history"]
    resume = (out / "checkpoint.pt").is_file()
    return train(base, dataset=dataset, out=out, seed=seed, resume=resume, quiet=True,
                 **settings).metrics["history"]


def curves(history: list[dict]) -> dict:
    from egoequiv.training.monitor import monitor_curves

    got = monitor_curves(history)
    return {k: got[k] for k in ("equivariance_heldout", "val_equivariance",
                                "learned_map_heldout")}


def plot(results: dict, controls: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(results)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(3.6 * cols, 5.5), 3.0 * rows + 0.8),
                             sharey=True, squeeze=False)
    pixels = float(np.mean(controls["pixels_val"]))
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        for seed_row in results[name]["runs"]:
            if "curves" not in seed_row:  # diverged
                continue
            for key, colour, label in (("equivariance_heldout", "tab:blue", "training objects"),
                                       ("val_equivariance", "tab:red", "validation objects")):
                pts = seed_row["curves"][key]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, alpha=0.6,
                        label=label if seed_row is results[name]["runs"][0] else None)
        if not any("curves" in r for r in results[name]["runs"]):
            ax.text(0.5, 0.5, "diverged", transform=ax.transAxes, ha="center")
        ax.axhline(pixels, color="grey", ls="--", label="pixels (validation objects)")
        given = ", ".join(f"{k}={v}" for k, v in VARIANTS[name].items()
                          if k != "stop_metric")
        ax.set_title(f"{name}: {given or 'defaults'}", fontsize=8)
        ax.set_xlabel("iteration")
    for row in axes:
        row[0].set_ylabel("refitted error (lower is better)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("equiv on ETH-80: training objects against unseen validation objects,\n"
                 "one line per seed", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=None, help="dataset spec (default: shared ETH-80)")
    p.add_argument("--method", default="equiv")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--iters", type=int, default=3000)
    p.add_argument("--every", type=int, default=250, help="monitor every N iterations")
    p.add_argument("--out", default="runs/unseen_objects")
    p.add_argument("--json", help="also write the figures here")
    p.add_argument("--plot", help="the curves, as a PNG")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for every variant")
    args = p.parse_args()
    os.environ.setdefault("EGOEQUIV_QUIET", "1")

    import numpy as np

    from egoequiv.config import load_config
    from egoequiv.evaluation.conclusions import mean_std
    from egoequiv.task.load import prepare
    from egoequiv.training.loss_log import TrainingDiverged

    dataset = args.dataset or shared_eth80()
    seeds = [int(s) for s in args.seeds.split(",")]
    common = dict(kv.split("=", 1) for kv in args.set)
    base = load_config(overrides={"method": args.method, "iters": args.iters,
                                  "monitor_every": args.every, **VALIDATION, **common})
    _, val_task = prepare(base, dataset, quiet=True)
    _, test_task = prepare(replace(base, validation_fraction=0.0), dataset, quiet=True)
    saved = Path(args.out) / "controls.json"  # the controls do not depend on the variants
    controls = json.loads(saved.read_text()) if saved.is_file() else None
    if controls is None or controls.get("seeds") != seeds:
        controls = {"seeds": seeds, **control_errors(base, dataset, seeds)}
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(controls))
    controls = {k: v for k, v in controls.items() if k != "seeds"}
    results = {}
    for name in args.variants.split(","):
        settings = {**VARIANTS[name]}
        if "stop_metric" in settings:  # keep the best iterate without stopping: whole curves
            settings["patience"] = args.iters // args.every + 1
        runs = []
        for seed in seeds:
            out = Path(args.out) / name / f"seed={seed}"
            try:
                history = trained_history(base, dataset, out, seed, settings)
            except TrainingDiverged as e:
                print(f"{name} seed {seed}: {e}", flush=True)
                runs.append({"seed": seed, "diverged": str(e), **dict.fromkeys(MEASURED)})
                continue
            runs.append({"seed": seed, **measure_run(out, test_task, val_task),
                         "curves": curves(history)})
            print(f"{name} seed {seed}: " + ", ".join(
                f"{k} {runs[-1][k]:.3f}" for k in ("val_best", "test_best", "test_last")),
                flush=True)
        summary = {key: mean_std([r[key] for r in runs]) for key in MEASURED}
        summary["diverged"] = sum("diverged" in r for r in runs)
        results[name] = {"settings": settings, "summary": summary, "runs": runs}
    finished = [n for n in results if results[n]["summary"]["val_best"][0] is not None]
    chosen = min(finished, key=lambda n: results[n]["summary"]["val_best"][0])
    out = {"dataset": dataset, "method": args.method, "iters": args.iters, "seeds": seeds,
           "controls": {k: mean_std(v) for k, v in controls.items()},
           "chosen_on_validation": chosen,
           "variants": {n: {"settings": r["settings"], **r["summary"]}
                        for n, r in results.items()}}
    pixels_test = float(np.mean(controls["pixels_test"]))
    mean, std, _ = results[chosen]["summary"]["test_best"]
    if std is None:
        gap = "one seed: no std to compare with (--seeds 0,1,2)"
    else:
        gap = "below by more than 2 std" if pixels_test - mean > 2 * std else \
            "not below by 2 std"
    out["verdict"] = (f"{chosen}: test {mean:.3f} ± {std or 0:.3f} against pixels "
                      f"{pixels_test:.3f}: {gap}")
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps({**out, "runs": {n: r["runs"] for n, r in
                                                               results.items()}}, indent=1))
    if args.plot:
        plot(results, controls, args.plot)


if __name__ == "__main__":
    main()
