"""``egoequiv reproduce kitti-227``: pretrain without labels on driving video, then transfer to
scene recognition (the IJCV paper's last experiment, with the readouts of its project page).

1. **Pretraining.** Each method of ``methods`` trains on the video alone (``labels_per_class
   = 0``), an AlexNet at 227 x 227 by default, for ``budget`` iterations.
2. **Transfer** (``egoequiv.finetune``) on the labelled scenes (``--labelled``), for each
   pretrained network and for the same architecture from a random initialisation:
   - *linear*: a softmax on the frozen features of ``linear_layer`` (pool5 for AlexNet, the
     project page's readout);
   - *finetuned*: the whole network trained with a new softmax head on its top layer.
   Per readout, label count and split the lr is chosen on validation images carved from the
   training split; the test split is read once per run.
3. **Report.** Per readout, a table of top-1 (mean ± std over label splits) per label count,
   each method beside random init, a gap called clear when it exceeds twice the larger std.

Every stage reuses what a killed call finished: a pretraining run by its record, a transfer
by its record naming that pretraining's run id and the same settings.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from egoequiv.config import load_config
from egoequiv.evaluation import record
from egoequiv.experiment import run_one
from egoequiv.reproduce.protocols import KITTI_227, READOUTS, TransferProtocol
from egoequiv.training.checkpoint import read_run_id

#: what the pretraining measures (cheap on 4096-d features; transfer is the evidence here)
PRETRAIN_METRICS = ("equivariance",)


def run_transfer(protocol: TransferProtocol, out: Path, dataset: str, labelled: str,
                 quick: bool, seed: int, device: str, log) -> Path:
    """The three stages into ``out`` (locked by the caller); returns OUT/report.md."""
    from egoequiv.reproduce.transfer_report import write_transfer_report

    start = time.perf_counter()
    sizes = protocol.sizes()
    total = len(protocol.methods) * (1 + len(READOUTS)) + len(READOUTS)
    log(f"[reproduce] {protocol.title}: {dataset}, labels from {labelled}; "
        f"{len(protocol.methods)} pretrainings of {protocol.budget} iterations, then "
        f"{total - len(protocol.methods)} transfers ({'quick' if quick else 'full'} "
        f"protocol) -> {out}")
    log(f"[reproduce] sizes: {sizes}" + (f" (--quick changed: {_changed(protocol)})"
                                         if quick else ""))
    log(f"[reproduce] expected time: {_expected_minutes(protocol, dataset, device, log):.0f} "
        "min at most" + ("" if quick or device != "cpu" else
                         " (the full protocol needs a GPU: pass --device cuda)"))
    done = 0

    def tick(what: str, result: dict) -> None:
        nonlocal done
        done += 1
        minutes = (time.perf_counter() - start) / 60
        log(f"[reproduce] {what}{' (reused)' if result.get('reused') else ''} "
            f"[{done}/{total}, {minutes:.1f} min]")

    pretrained = {}
    for method in protocol.methods:
        cfg = load_config(overrides={**protocol.config, "method": method, "seed": seed,
                                     "iters": protocol.budget, "labels_per_class": 0,
                                     "device": device})
        folder = out / "pretrain" / method
        result = run_one(cfg, dataset, folder, PRETRAIN_METRICS, quiet=True)
        pretrained[method] = (folder / "checkpoint.pt", result)
        tick(f"pretrained {method}: equivariance error "
             f"{_fmt(result.get('equivariance_error'))}", result)

    first = pretrained[protocol.methods[0]][0]
    transfers = {}
    for name, ckpt, init in [*[(m, c, "pretrained") for m, (c, _) in pretrained.items()],
                             ("random init", first, "random")]:
        for readout in READOUTS:
            folder = out / "transfer" / name.replace(" ", "-") / readout
            result = _transfer(protocol, ckpt, init, readout, labelled, folder, seed, device)
            transfers[(name, readout)] = result
            top = [r["top1"] for r in result["finetune"] if r["top1"]]
            tick(f"{readout} {name}: top-1 " + ", ".join(
                f"{_fmt(t['mean'])}" for t in top), result)
    return write_transfer_report(out, protocol, dataset, labelled, quick, pretrained,
                                 transfers, time.perf_counter() - start)


def _transfer(protocol: TransferProtocol, ckpt: Path, init: str, readout: str,
              labelled: str, folder: Path, seed: int, device: str) -> dict:
    """One ``finetune`` call, or its record when a killed call finished it already."""
    from egoequiv.transfer import finetune

    layer = protocol.linear_layer if readout == "linear" else None
    wanted = {"inits": [init], "labels_per_class": list(protocol.labels_per_class),
              "splits": protocol.splits, "freeze": "all" if readout == "linear" else "none",
              "lr_grid": list(protocol.lr_grid), "iters": protocol.finetune_iters,
              "batch_size": protocol.finetune_batch, "seed": seed, "dataset": labelled}
    done = _finished(folder, wanted, read_run_id(ckpt))
    if done is not None:
        return {**done, "reused": True}
    result = finetune(ckpt, dataset=labelled, out=folder, init=[init],
                      labels_per_class=list(protocol.labels_per_class),
                      splits=protocol.splits, freeze=wanted["freeze"],
                      layers=[layer] if layer else None, lr_grid=list(protocol.lr_grid),
                      iters=protocol.finetune_iters, batch_size=protocol.finetune_batch,
                      seed=seed, device=device, quiet=True)
    return {**result, "reused": False}


def _finished(folder: Path, wanted: dict, run_id: str | None) -> dict | None:
    path = folder / record.FILE
    if not path.exists():
        return None
    try:
        done = record.read(path)
    except record.RecordError:
        return None
    config = done.get("config") or {}
    same = all(config.get(k) == v for k, v in wanted.items())
    return done if same and (done.get("pretrained") or {}).get("run_id") == run_id else None


def _expected_minutes(protocol: TransferProtocol, dataset: str, device: str, log) -> float:
    """A bound: each method's pretraining step timed on this task (``time_steps``) times the
    budget, plus every transfer run to its iteration cap at the cheapest method's cost per
    image (early stopping and the linear readout's features, computed once, shorten it)."""
    from egoequiv.task.load import prepare
    from egoequiv.training.trainer import time_steps

    cfg = load_config(overrides={**protocol.config, "labels_per_class": 0, "device": device})
    log(f"[reproduce] estimating the time: decoding {dataset}, then timing 5 steps of "
        f"each of {len(protocol.methods)} methods")
    frames, task = prepare(cfg, dataset, quiet=False)
    per_step = {m: time_steps(replace(cfg, method=m), dataset, frames, task, steps=5)
                for m in protocol.methods}
    for m, t in per_step.items():
        log(f"[reproduce] timed {m}: {t * 1000:.0f} ms per step")
    pretrain = protocol.budget * sum(per_step.values())
    # a transfer step trains on one stream of finetune_batch images; the cheapest method's
    # pretraining step on at least two streams (a pair) of batch_size: a bound per image
    per_image = min(per_step.values()) / (2 * cfg.batch_size)
    runs = (len(protocol.methods) + 1) * len(READOUTS) * protocol.splits * \
        len(protocol.labels_per_class) * len(protocol.lr_grid)
    transfer = runs * protocol.finetune_iters * protocol.finetune_batch * per_image
    return (pretrain + transfer) / 60


def _changed(protocol: TransferProtocol) -> str:
    full = KITTI_227.sizes()
    return ", ".join(f"{k} {full[k]} -> {v}" for k, v in protocol.sizes().items()
                     if full[k] != v)


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"
