"""The training loop: softmax on the labelled stream + lam * the method's unsupervised loss,
Nesterov SGD, atomic checkpoints, exact resume, progress bar; then the first measurements."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from egoequiv.config import NEUTRAL_KEYS, Config, to_dict
from egoequiv.data.cache import Frames
from egoequiv.data.spec import resolve_spec, short_spec
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.evaluation import record
from egoequiv.evaluation.context import probe_labels
from egoequiv.evaluation.model import evaluate_model
from egoequiv.evaluation.plots import plot_curves
from egoequiv.evaluation.suite import metrics_for, print_outcome
from egoequiv.methods import method_needs, resolve_config
from egoequiv.motion.plot import plot_motion_patterns
from egoequiv.task.build import Task, pattern_summary, split_note
from egoequiv.task.load import prepare
from egoequiv.training.checkpoint import build_method, read_checkpoint
from egoequiv.training.loader import BatchLoader
from egoequiv.training.loop import Session, TrainingInterrupted, loop, step
from egoequiv.training.loss_log import TrainingDiverged  # noqa: F401 (re-exported)
from egoequiv.training.monitor import CURVES, monitor_curves
from egoequiv.training.run_lock import LOCK_FILE, RunLock
from egoequiv.training.sampler import BatchSampler
from egoequiv.utils.atomic import atomic_write_json
from egoequiv.utils.device import distributed_world, resolve_device

#: config keys that may differ when resuming (they do not change the result)
RESUMABLE_CHANGES = NEUTRAL_KEYS | {"iters", "monitor_every"}
#: the measurements every run writes into metrics.json (``egoequiv eval`` runs the same
#: code, so a checkpoint gets the same numbers from both)
TRAIN_METRICS = metrics_for("train")


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise EgoequivError(f"output folder {out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EgoequivError(f"output folder {out_dir}: cannot create it ({e.strerror})") \
            from None
    if not os.access(out_dir, os.W_OK):
        raise EgoequivError(f"output folder {out_dir}: not writable")


def _check_method_fits(cfg: Config, task: Task) -> None:
    if method_needs(cfg).labels and not len(task.labelled):
        why = "this dataset has none" if not task.table.is_labelled else \
            "labels_per_class is 0"
        raise EgoequivError(f"method {cfg.method!r} needs labelled frames; {why} (use an "
                            "unsupervised method such as equiv+drlim)")


def short_classes(cfg: Config, task: Task) -> list[str]:
    """A warning when some classes have fewer labelled training frames than
    ``labels_per_class`` (their head sees fewer examples than the config says)."""
    labels = task.table.labels
    if labels is None or not cfg.labels_per_class or not len(task.labelled):
        return []
    counts = np.bincount(labels[task.labelled], minlength=task.num_classes)
    short = [c for c in range(task.num_classes) if counts[c] < cfg.labels_per_class]
    if not short:
        return []
    names = task.table.class_names or [str(c) for c in range(task.num_classes)]
    listed = ", ".join(f"{names[c]} {counts[c]}" for c in short[:5])
    return [f"{len(short)} of {task.num_classes} class(es) have fewer labelled training "
            f"frames than labels_per_class={cfg.labels_per_class} ({listed}"
            f"{', ...' if len(short) > 5 else ''}): they train on what they have"]


def labels_only(cfg: Config) -> bool:
    """Whether the method learns from labelled frames alone (clsnet): it needs no pairs."""
    needs = method_needs(cfg)
    return needs.labels and needs.pairs is None and not needs.negatives


def prepare_run(cfg: Config, dataset: str, quiet: bool = False,
                labelled_dataset: str | None = None) -> tuple[Frames, Task]:
    """``task.load.prepare`` for ``cfg``'s method: a method of labels alone needs no
    pairs."""
    return prepare(cfg, dataset, quiet=quiet, labelled_dataset=labelled_dataset,
                   needs_pairs=not labels_only(cfg))


def _resume_state(ckpt_path: Path, cfg: Config, dataset: str, labelled_dataset: str | None,
                  resume: bool) -> dict | None:
    """The checkpoint to continue from (None: start afresh)."""
    if not ckpt_path.exists():
        return None
    if not resume:
        raise EgoequivError(f"{ckpt_path} exists: resume it (resume=True; on the command line "
                            "--resume), or choose another output folder")
    state = read_checkpoint(ckpt_path)
    old, new = state["config"], to_dict(cfg)
    changed = sorted(k for k in new if old.get(k) != new[k] and k not in RESUMABLE_CHANGES)
    if changed or (state["dataset"], state.get("labelled_dataset")) != (dataset,
                                                                          labelled_dataset):
        what = ", ".join(changed) or f"dataset {state['dataset']!r}"
        raise EgoequivError(f"{ckpt_path}: cannot resume with different settings ({what})")
    return state


def train(cfg: Config, dataset: str, out_dir: str | Path, resume: bool = False,
          quiet: bool = False, callback=None, labelled_dataset: str | None = None,
          prepared: tuple[Frames, Task] | None = None, metrics=TRAIN_METRICS,
          plots_dir: str | Path | None = None) -> dict:
    """Train ``cfg.method`` on ``dataset``; writes checkpoint.pt and metrics.json in out_dir.

    ``labelled_dataset``: take the labelled images from this source (KITTI -> SUN style).
    ``prepared``: the (frames, task) of ``prepare`` for these settings, if the caller has them.
    ``callback(iteration)`` runs after every step (tests use it to interrupt a run).
    ``metrics``: the suite's measurements of the trained model (default ``TRAIN_METRICS``;
    None: all), with their plots in ``plots_dir`` when given. Three stages: ``setup`` (data,
    model, optimiser, resume state), ``loop`` (the steps, logs, checkpoints), ``finish``
    (measure the model, write metrics.json).
    """
    session = setup(cfg, dataset, out_dir, resume, quiet, labelled_dataset, prepared)
    failed = True
    try:
        loop(session, callback)
        result = finish(session, metrics, plots_dir) if session.rank == 0 else {}
        failed = False
        return result
    except TrainingInterrupted:  # its checkpoint is in the folder, to resume
        failed = False
        raise
    finally:
        release(session, failed)


#: what a run writes before its checkpoint: a folder holding only these is no run
EARLY_FILES = {LOCK_FILE, "motion_patterns.png", "metrics.csv", "tensorboard", "wandb"}


def release(session: Session, failed: bool = False) -> None:
    """Give back the run folder's lock (``run_lock``). A failed run removes the folder it
    created when nothing but ``EARLY_FILES`` is in it (it failed before its first
    checkpoint), so no empty or half-filled folder is left that looks like a run."""
    _close(session.lock, session.out_dir, failed and session.created)


def _close(lock: RunLock | None, out_dir: Path, remove: bool) -> None:
    # the early files go while the lock is held: no other run can be writing them
    remove = remove and lock is not None and _remove_early_files(out_dir)
    if lock is not None:
        lock.release()
    if remove:
        try:
            out_dir.rmdir()
        except OSError:  # another run took the folder as we let it go: it is theirs
            pass


def _remove_early_files(out_dir: Path) -> bool:
    """Remove ``EARLY_FILES`` (but the lock) when the folder holds nothing else."""
    try:
        entries = list(out_dir.iterdir())
    except OSError:
        return False
    if any(e.name not in EARLY_FILES for e in entries):
        return False
    for e in entries:
        if e.name == LOCK_FILE:
            continue
        if e.is_dir() and not e.is_symlink():
            shutil.rmtree(e, ignore_errors=True)
        else:
            e.unlink(missing_ok=True)
    return True


def setup(cfg: Config, dataset: str, out_dir: str | Path, resume: bool = False,
          quiet: bool = False, labelled_dataset: str | None = None,
          prepared: tuple[Frames, Task] | None = None, shared_images=None,
          warn: bool = True, check_values: bool | None = None) -> Session:
    """Check the output folder, prepare the data, build the model and optimiser, and load
    the checkpoint to resume from (see ``train``). ``shared_images``: the frames already on
    the device (a batch's members hold one copy); ``warn=False``: the task's warnings are not
    printed (a batch prints them once); ``check_values``: whether the losses check tensor
    values (None: on the CPU only)."""
    cfg = resolve_config(cfg)  # the method's keys checked before any decoding
    out_dir = Path(out_dir)
    dataset = resolve_spec(dataset)  # stored in the checkpoint: opens from anywhere
    labelled_dataset = resolve_spec(labelled_dataset) if labelled_dataset else None
    rank, world = distributed_world()
    device = resolve_device(cfg.device)
    start_time = time.perf_counter()
    created = not out_dir.exists()
    check_out_dir(out_dir)  # before any decoding: a bad --out must fail at once
    lock = RunLock(out_dir) if rank == 0 else None  # one writer per folder, for its life
    try:
        session = _setup(cfg, dataset, out_dir, resume, quiet, labelled_dataset, prepared,
                         shared_images, warn, check_values, rank, world, device, start_time)
    except BaseException:
        _close(lock, out_dir, remove=created)
        raise
    session.lock, session.created = lock, created
    return session


def _setup(cfg, dataset, out_dir, resume, quiet, labelled_dataset, prepared, shared_images,
           warn, check_values, rank, world, device, start_time) -> Session:
    """``setup`` once the folder is checked and locked."""
    state = _resume_state(out_dir / "checkpoint.pt", cfg, dataset, labelled_dataset, resume)
    frames, task = prepared or prepare_run(cfg, dataset, quiet=quiet or rank > 0,
                                           labelled_dataset=labelled_dataset)
    _check_method_fits(cfg, task)
    summary = pattern_summary(task.table, task.pairs, task.patterns)
    summary["warnings"] = summary["warnings"] + short_classes(cfg, task)
    if rank == 0 and warn:
        for w in summary["warnings"] + task.warnings:
            print(f"egoequiv: warning: {w}", file=sys.stderr)
        plot_motion_patterns(task.pairs, task.patterns, task.table.motor_spec,
                             out_dir / "motion_patterns.png")

    torch.manual_seed(cfg.seed)
    # a head only where labels train it (an unused head would break DDP and report a
    # top-1 that no label supports)
    num_classes = task.num_classes if len(task.labelled) else 0
    spec = task.table.motor_spec
    shape = {"in_channels": frames.images.shape[3], "num_classes": num_classes,
             "num_patterns": task.patterns.num_patterns, "motion_dim": task.pairs.motion.shape[1],
             "image_size": cfg.image_size,
             "motor": [{"name": n, "unit": u} for n, u in zip(spec.names, spec.units)]}
    method = build_method(cfg, shape["in_channels"], shape["num_classes"],
                          shape["num_patterns"], shape["motion_dim"], check_values)
    method = method.to(device=device, memory_format=torch.channels_last)
    lr = cfg.lr * (world if cfg.lr_scaling == "linear" else 1)
    optimizer = torch.optim.SGD(method.parameters(), lr=lr, momentum=cfg.momentum,
                                nesterov=True, weight_decay=cfg.weight_decay)
    normalizer = Normalizer.fit(frames.images, task.train)
    history, start, elapsed_before, best_model = [], 0, 0.0, None
    if state is not None:
        method.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        start, history = state["iteration"], state["extra"].get("history", [])
        elapsed_before = state["extra"].get("train_seconds", 0.0)
        best_model = state["extra"].get("best_model")
    # a resumed run keeps its id: its checkpoint and its metrics.json say the same
    run_id = (state or {}).get("run_id") or uuid.uuid4().hex[:12]
    model = method
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            method, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        model = torch.compile(model)
    sampler = BatchSampler(task, method.needs(method.hp), cfg.batch_size, cfg.seed, rank,
                           cfg.augment_shift)
    loader = BatchLoader(sampler, frames.images, task.table.labels, normalizer, device,
                         cfg.device_cache_mb, cfg.prefetch, shared=shared_images)
    if rank == 0 and not quiet:
        scale = f", lr {cfg.lr:g} x {world} = {lr:g} (lr_scaling=linear)" \
            if lr != cfg.lr else ""
        if warn:
            print(f"egoequiv: {split_note(task, cfg.split)}", file=sys.stderr)
        print(f"egoequiv: {loader.placement}; {world} process(es){scale}", file=sys.stderr)
    return Session(cfg, dataset, labelled_dataset, out_dir, quiet, rank, device, task,
                   summary, shape, method, model, optimizer, normalizer, sampler, loader,
                   history, start, elapsed_before, best_model, start_time, done=start,
                   run_id=run_id)


def finish(s: Session, metrics=TRAIN_METRICS, plots_dir: str | Path | None = None,
           extra: dict | None = None) -> dict:
    """Measure the trained model (its best iterate under early stopping) with the suite,
    plot the monitors' curves, write the run record (with ``extra`` added) and config.json;
    returns the record."""
    cfg, task = s.cfg, s.task
    if s.best_model is not None:  # early stopping: measure the best validation iterate
        s.method.load_state_dict(s.best_model)
    measured = _measure(s.method, task, s.normalizer, s.device, cfg, metrics, plots_dir,
                        f"{cfg.method} on {short_spec(s.dataset)}")
    drawn = s.sampler.warnings()  # raised while the batches were drawn
    # the task's warnings were shown by setup
    # warnings always; what was skipped (kept in the record) unless quiet, as eval does
    print_outcome(cfg.method, drawn + measured["warnings"],
                  None if s.quiet else measured.get("skipped"))
    measured["warnings"] = s.summary["warnings"] + task.warnings + drawn + measured["warnings"]
    result = record.make(
        "train", method=cfg.method, dataset=s.dataset, config=to_dict(cfg),
        measurements=measured, labelled_dataset=s.labelled_dataset,
        iterations=s.done, stopped_early=s.stopped, best_val_iteration=s.best_iteration,
        measured_iteration=s.best_iteration if s.best_model is not None else s.done,
        feature_dim=int(s.method.feature_dim), num_classes=task.num_classes,
        pattern_labels=task.pattern_labels,
        num_test_pairs=int((task.test_pairs.pattern >= 0).sum()),
        motion_patterns=s.summary["patterns"], train_seconds=round(s.train_seconds, 2),
        total_seconds=round(time.perf_counter() - s.start_time, 2),
        num_pairs=int(len(s.sampler.pairs)) if s.sampler.pairs is not None else 0,
        num_labelled=int(len(task.labelled)), history=s.history, run_id=s.run_id,
        **(extra or {}))
    for key, curve in monitor_curves(s.history).items():
        if curve:
            plot_curves({cfg.method: curve}, s.out_dir / f"{key}_curve.png",
                        f"{cfg.method}: {CURVES[key]} during training", ylabel=key)
    record.write(s.out_dir, result)
    atomic_write_json(s.out_dir / "config.json", to_dict(cfg))
    return result


def _measure(method, task: Task, normalizer: Normalizer, device, cfg: Config, metrics,
             plots_dir, title: str = "") -> dict:
    """The suite's ``metrics`` on the trained model (the path ``egoequiv eval`` takes), its
    probes on the run's own labels per class."""
    try:
        return evaluate_model(method, task, normalizer, device,
                              metrics=None if metrics is None else list(metrics),
                              seed=cfg.seed, out_dir=plots_dir, title=title,
                              labels_per_class=probe_labels(cfg.labels_per_class))
    except ValueError as e:  # non-finite features after training, or a bad metric name
        kind = NonFiniteFeatures if "NaN or infinity" in str(e) else EgoequivError
        raise kind(f"measuring the trained model: {e}") from None


def time_steps(cfg: Config, dataset: str, frames: Frames, task: Task, steps: int = 20) -> float:
    """Seconds per training step of ``cfg`` on this task, timed over ``steps`` steps after
    3 warm-up steps (for time estimates): the run's own set-up and step, in a scratch folder
    that is removed afterwards."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        s = setup(replace(cfg, iters=steps + 3), dataset, scratch, quiet=True,
                  prepared=(frames, task), warn=False)
        try:
            autocast = torch.autocast(s.device.type, dtype=torch.bfloat16,
                                      enabled=cfg.precision == "bf16")
            s.method.train()
            start = 0.0
            for it, batch in enumerate(s.loader.batches(0, steps + 3)):
                if it == 3:
                    start = time.perf_counter()
                loss, _ = step(s, batch, autocast)
            float(loss.detach())  # waits for the device
        finally:
            release(s)
    return (time.perf_counter() - start) / steps


class NonFiniteFeatures(TrainingDiverged):
    """The trained model's features are NaN or infinite (it diverged after its last loss
    check)."""


def diverged_result(cfg: Config, dataset: str, why: str, **fields) -> dict:
    """The record of a run whose loss turned non-finite (an lr or lam too high): a result
    too, recorded rather than retried."""
    return record.make("train", method=cfg.method, dataset=dataset, config=to_dict(cfg),
                       status="diverged", diverged=why, measurements={"warnings": [why]},
                       **fields)


def load_metrics(out_dir: str | Path) -> dict:
    return record.read(Path(out_dir) / record.FILE)
