"""The run record: what a run's ``metrics.json`` holds. This module is its only writer and
its only reader, so every producer (``train``, ``eval``, ``probe``, the controls, batched
members, diverged runs) writes the same keys and every report reads them the same way.

A record is one flat JSON object (docs/evaluation.md lists every key):

- identity: ``method``, ``dataset``, ``labelled_dataset``, ``seed``, ``label_split`` and
  ``grid`` (a grid member's values);
- ``provenance``: ``train`` (a trained run), ``eval`` (a checkpoint measured again),
  ``probe`` (features measured), ``control`` (pixels or the untrained network);
- ``status``: ``finished`` or ``diverged`` (then ``diverged`` says why and nothing is
  measured);
- ``config``: the resolved settings (None for bare features);
- measurements: every key of the suite's ``KEYS`` (None where not measured), the
  next-best-view accuracies also flat (``nbv_chosen``, ``nbv_random``, ``nbv_best``), the
  suite's ``warnings``, ``skipped``, ``plots``, ``metric_seconds``, and ``measured`` (the
  metric names asked for);
- ``labels_per_class`` (the head's, from the config) beside ``probe_labels_per_class``;
- facts of the run (``FACTS``): iterations, times, pairs, the training history.
"""

from __future__ import annotations

import json
from pathlib import Path

from egoequiv.errors import EgoequivError
from egoequiv.evaluation.suite import KEYS as SUITE_KEYS
from egoequiv.evaluation.suite import METRICS
from egoequiv.utils.atomic import atomic_write_json

FILE = "metrics.json"
PROVENANCES = ("train", "eval", "probe", "control", "finetune")
STATUSES = ("finished", "diverged")
IDENTITY = ("method", "dataset", "labelled_dataset", "seed", "label_split", "grid")
#: the suite's own book-keeping beside its measurements
SUITE_EXTRA = ("warnings", "skipped", "plots", "metric_seconds", "measured")
#: next_best_view's accuracies, flat: {record key: key inside next_best_view}
NBV_FLAT = {"nbv_chosen": "accuracy_chosen", "nbv_random": "accuracy_random",
            "nbv_best": "accuracy_best"}
#: every other key a record may hold, with its meaning (docs/evaluation.md)
FACTS = {
    "labels_per_class": "labelled training frames per class of the head's softmax (the "
                        "config's; None without a config)",
    "diverged": "why the run diverged (status diverged)",
    "iterations": "training iterations done",
    "stopped_early": "whether early stopping ended training",
    "best_val_iteration": "the iteration of the best validation score (early stopping)",
    "measured_iteration": "the iterate that was measured (the best one under early "
                          "stopping)",
    "iteration": "the checkpoint's iteration (eval)",
    "checkpoint": "the checkpoint measured (eval)",
    "features": "the features file measured (probe)",
    "notes": "what of the model could not be used on this data (eval)",
    "feature_dim": "width of the features measured",
    "num_classes": "classes of the task",
    "pattern_labels": "each motion pattern's centre, in the motor's units",
    "num_test_pairs": "test pairs with a motion pattern",
    "motion_patterns": "the motion patterns' summary (centres, counts, purity)",
    "num_pairs": "training pairs",
    "num_labelled": "labelled training frames",
    "train_seconds": "seconds spent in training steps",
    "total_seconds": "seconds from set-up to the record",
    "history": "the training log's monitored rows (validation and held-out curves)",
    "run_id": "the training run's id, the same in its checkpoint: a folder holds one run",
    "pretrained": "what finetune started from: kind (checkpoint or export), path, method, "
                  "dataset, iteration, model, image_size, channels (finetune)",
    "finetune": "test top-1 per initialisation, layer and labels per class: mean ± sample "
                "std over label splits (top1), each split's value, lr chosen on "
                "validation, validation top-1 and best iteration (finetune)",
    "finetune_gaps": "pretrained minus random top-1 per layer and labels per class, the "
                     "larger std over splits, and whether the gap exceeds twice it "
                     "(finetune)",
}
KEYS = (*IDENTITY, "provenance", "status", "config", *SUITE_KEYS, *NBV_FLAT, *SUITE_EXTRA,
        *FACTS)


class RecordError(EgoequivError):
    """A file that is not a run record (unreadable JSON, no method)."""


def make(provenance: str, *, method: str, dataset: str | None, measurements: dict | None = None,
         config: dict | None = None, status: str = "finished", **fields) -> dict:
    """A record: identity and facts from ``fields`` (unknown keys are a programming error),
    the suite's ``measurements`` (every suite key present, None where not measured)."""
    if provenance not in PROVENANCES or status not in STATUSES:
        raise ValueError(f"record: provenance {provenance!r} / status {status!r}")
    measurements = dict(measurements or {})
    unknown = sorted(set(fields) - set(KEYS)) + sorted(set(measurements) - set(KEYS))
    if unknown:
        raise ValueError(f"record: unknown keys {unknown}")
    nbv = measurements.get("next_best_view") or {}
    record = {key: None for key in (*IDENTITY, *SUITE_KEYS, *NBV_FLAT)}
    record.update(method=method, dataset=dataset, provenance=provenance, status=status,
                  config=config, warnings=[], skipped={}, measured=[])
    record.update(measurements)
    record.update({key: nbv.get(inner) for key, inner in NBV_FLAT.items()})
    if config is not None:
        for key in ("seed", "label_split", "labels_per_class"):  # what the config says
            if record.get(key) is None:
                record[key] = config.get(key)
    record.update(fields)
    return record


def write(out_dir: str | Path, record: dict) -> Path:
    """OUT/metrics.json, written atomically."""
    unknown = sorted(set(record) - set(KEYS))
    if unknown or record.get("provenance") not in PROVENANCES:
        raise ValueError(f"record: unknown keys {unknown} or no provenance")
    path = Path(out_dir) / FILE
    atomic_write_json(path, record)
    return path


def read(path: str | Path) -> dict:
    """The record in ``path`` (a metrics.json), flat; ``_path`` names the file. A file that
    is not a record is one RecordError naming it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise RecordError(f"{path}: not readable JSON ({e.__class__.__name__})") from None
    if not isinstance(raw, dict) or "method" not in raw:
        raise RecordError(f"{path}: not a run's metrics (no \"method\")")
    nbv = raw.get("next_best_view") or {}
    flat = {key: raw.get(key, nbv.get(inner)) for key, inner in NBV_FLAT.items()}
    return {**raw, **flat, "_path": str(path)}


def reusable(run_dir: str | Path, config: dict, metrics) -> dict | None:
    """The finished record in ``run_dir`` when it has ``config`` and measured ``metrics``
    (every name; None: all) or diverged with it (a result too, not retried); else None."""
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    try:
        done = read(path)
    except RecordError:
        return None
    if done.get("config") != config:
        return None
    if done.get("status") == "diverged":
        return done
    wanted = set(METRICS if metrics is None else metrics)
    return done if wanted <= set(done.get("measured") or ()) else None
