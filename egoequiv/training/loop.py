"""One run's training steps and their book-keeping, for one run or several in lockstep.

``Session`` holds a run between the trainer's stages; ``RunSteps`` logs, monitors (with early
stopping) and checkpoints around its steps; ``run_steps`` drives one session or a batch of
them (``training.batched``) to their iteration budget; ``loop`` is one run alone.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from egoequiv.config import Config, to_dict
from egoequiv.data.tensors import Normalizer
from egoequiv.task.build import Task
from egoequiv.training.checkpoint import save_checkpoint
from egoequiv.training.loader import BatchLoader
from egoequiv.training.logger import RunLogger
from egoequiv.training.loss_log import LossLog, TrainingDiverged
from egoequiv.training.monitor import TrainingMonitor, stop_iteration
from egoequiv.training.sampler import BatchSampler
from egoequiv.utils.progress import progress


@dataclass
class Session:
    """Everything one training run holds between its stages."""

    cfg: Config
    dataset: str
    labelled_dataset: str | None
    out_dir: Path
    quiet: bool
    rank: int
    device: torch.device
    task: Task
    summary: dict
    shape: dict
    method: torch.nn.Module
    model: torch.nn.Module  # the method, wrapped by DDP / torch.compile when asked
    optimizer: torch.optim.Optimizer
    normalizer: Normalizer
    sampler: BatchSampler
    loader: BatchLoader
    history: list
    start: int
    elapsed_before: float
    best_model: dict | None
    start_time: float
    done: int = 0
    stopped: bool = False
    best_iteration: int | None = None
    train_seconds: float = 0.0
    run_id: str = ""  # carried by its checkpoint and its metrics.json alike
    lock: object = None  # the run folder's ``run_lock.RunLock``, held from setup to the end
    created: bool = False  # whether setup created the run folder (a failed run removes it)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training: each run's checkpoint was saved at its last finished
    iteration, and the message says how to continue."""


def _save(s: Session, iteration: int, seconds: float) -> None:
    if s.rank == 0:
        save_checkpoint(s.out_dir / "checkpoint.pt", method=s.method, optimizer=s.optimizer,
                        iteration=iteration, cfg=s.cfg, dataset=s.dataset,
                        labelled_dataset=s.labelled_dataset, normalizer=s.normalizer,
                        patterns=s.task.patterns, shape=s.shape, run_id=s.run_id,
                        extra={"history": s.history, "train_seconds": seconds,
                               "best_model": s.best_model})


@contextmanager
def deferred_interrupt():
    """Ctrl-C (SIGINT) is noted rather than raised, so the loop stops between two steps
    (a step cut half-way would leave weights that match no iteration); yields a function
    that says whether it was asked. A second Ctrl-C stops at once. Off the main thread or
    under torchrun (each rank would stop at its own step) SIGINT acts as usual."""
    asked: list[bool] = []
    if threading.current_thread() is not threading.main_thread() or (
            torch.distributed.is_available() and torch.distributed.is_initialized()):
        yield lambda: False
        return

    def note(signum, frame):
        if asked:
            raise KeyboardInterrupt
        asked.append(True)

    before = signal.signal(signal.SIGINT, note)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, before)


def _interrupted(sessions: list[Session], steps: list[RunSteps],
                 diverged: list[str | None]) -> TrainingInterrupted:
    """Save every running session at its last finished iteration; the exception to raise."""
    saved = []
    for s, st, why in zip(sessions, steps, diverged):
        if why is not None or s.stopped or s.done <= s.start:
            continue  # diverged (nothing to keep), stopped (saved then), or not yet begun
        try:
            st.log.read(s.done)  # never save a diverged model
        except TrainingDiverged:
            continue
        _save(s, s.done, st.seconds())
        saved.append(s)
    if not saved:
        return TrainingInterrupted("interrupted before a step was finished; nothing saved")
    where = saved[0].out_dir / "checkpoint.pt" if len(saved) == 1 else \
        f"{len(saved)} runs' folders"
    return TrainingInterrupted(f"interrupted: checkpoint saved at iteration {saved[0].done} "
                               f"in {where}; continue with the same command and --resume")


class RunSteps:
    """What happens around one run's training steps: logs every ``log_every``, monitors
    every ``monitor_every`` (with early stopping), checkpoints every ``checkpoint_every``.
    ``loop`` drives one run with it; ``training.batched`` drives several in lockstep."""

    def __init__(self, s: Session):
        cfg = s.cfg
        self.s = s
        self.monitor = TrainingMonitor(s.task, seed=cfg.seed,
                                       validation=cfg.validation_fraction > 0) \
            if cfg.monitor_every and s.rank == 0 else None
        self.logger = RunLogger(s.out_dir, s.history, cfg.logger, config=to_dict(cfg)) \
            if s.rank == 0 else None
        self.log = LossLog(s.device)
        self.autocast = torch.autocast(s.device.type, dtype=torch.bfloat16,
                                       enabled=cfg.precision == "bf16")
        s.best_iteration, s.stopped = stop_iteration(s.history, cfg.patience, cfg.stop_metric)
        self.loop_start = time.perf_counter()
        s.method.train()

    def after_step(self, it: int, loss: torch.Tensor, parts: dict) -> dict | None:
        """Book-keeping after step ``it`` (0-based): raises TrainingDiverged at a log or
        checkpoint that finds a non-finite loss since the last; returns the logged values."""
        s, cfg = self.s, self.s.cfg
        s.done = it + 1
        self.log.add(it + 1, loss, parts)  # on the device: no host sync in the step
        values = None
        if (it + 1) % cfg.log_every == 0 or it + 1 == cfg.iters:
            values = self.log.read(it + 1)  # one sync per log_every steps; raises on NaN
            s.history.append({"iteration": it + 1, **values,
                              "lr": s.optimizer.param_groups[0]["lr"]})
            if self.logger is not None:
                self.logger.log(s.history[-1])
        if self.monitor is not None and (it + 1) % cfg.monitor_every == 0:
            s.history.append({"iteration": it + 1,
                              **self.monitor(s.method, s.loader.images, s.normalizer)})
            if self.logger is not None:
                self.logger.log(s.history[-1])
            s.best_iteration, s.stopped = stop_iteration(s.history, cfg.patience,
                                                         cfg.stop_metric)
            if cfg.patience and s.best_iteration == it + 1:  # keep the best iterate
                s.best_model = {k: v.detach().cpu().clone()
                                for k, v in s.method.state_dict().items()}
        if (it + 1) % cfg.checkpoint_every == 0 or it + 1 == cfg.iters or s.stopped:
            self.log.read(it + 1)  # never save a diverged model
            _save(s, it + 1, self.seconds())
        return values

    def seconds(self) -> float:
        return self.s.elapsed_before + time.perf_counter() - self.loop_start

    def close(self) -> None:
        if self.logger is not None:
            self.logger.close()
        self.s.train_seconds = self.seconds()


def step(s: Session, batch: dict, autocast) -> tuple[torch.Tensor, dict]:
    """One optimiser step of ``s`` on ``batch``: (loss, its parts), on the device."""
    with autocast:
        loss, parts = s.model(batch)
    s.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    s.optimizer.step()
    return loss, parts


def run_steps(sessions: list[Session], quiet: bool = False, callback=None,
              stacked=None) -> list[str | None]:
    """The sessions' steps in lockstep up to their (shared) ``iters``, or until each has
    stopped early or diverged; returns each one's divergence (None: it did not diverge).

    ``stacked(sessions, batches, autocast)``: one step of several sessions at once
    (``batched.vmap_step``); None: each session's own ``step`` in turn. A session resumed
    from a later checkpoint waits for the others to reach it. ``callback(iteration)`` runs
    after every iteration."""
    iters = sessions[0].cfg.iters
    first = min(s.start for s in sessions)
    steps = [RunSteps(s) for s in sessions]
    gens = [s.loader.batches(s.start, iters) for s in sessions]
    diverged: list[str | None] = [None] * len(sessions)
    name = sessions[0].cfg.method + (f" x{len(sessions)}" if len(sessions) > 1 else "")
    bar = progress(total=iters, desc=f"train {name}", unit="it",
                   disable=quiet or sessions[0].rank > 0, initial=first)
    with deferred_interrupt() as asked:
        try:
            _steps(sessions, steps, gens, diverged, range(first, iters), bar, callback,
                   stacked, asked)
        finally:
            bar.close()
            for g in gens:
                g.close()
            for s in steps:
                s.close()
    return diverged


def _steps(sessions, steps, gens, diverged, iterations, bar, callback, stacked,
           asked) -> None:
    """The iterations of ``run_steps`` (which see); ``asked()``: Ctrl-C was pressed."""
    for it in iterations:
        going = [r for r, s in enumerate(sessions) if not s.stopped and diverged[r] is None]
        if not going:
            break
        active = [r for r in going if sessions[r].start <= it]
        if not active:
            bar.update(1)
            continue
        batches = [next(gens[r]) for r in active]
        if stacked is not None and len(active) > 1:
            out = stacked([sessions[r] for r in active], batches, steps[0].autocast)
        else:
            out = [step(sessions[r], b, steps[r].autocast) for r, b in zip(active, batches)]
        values, fresh = None, False
        for r, (loss, parts) in zip(active, out):
            try:
                values = steps[r].after_step(it, loss, parts)
            except TrainingDiverged as e:  # recorded; the others go on
                diverged[r], fresh = str(e), True
        if fresh and all(diverged[r] is not None or sessions[r].stopped for r in going):
            break  # the last runs diverged at this step: nothing of it is finished
        if len(sessions) > 1:
            bar.set_postfix(running=f"{len(active)}/{len(sessions)}")
        elif values:
            bar.set_postfix(loss=f"{values['loss']:.4f}")
        bar.update(1)
        if callback is not None:
            callback(it + 1)
        if asked():
            raise _interrupted(sessions, steps, diverged)


def loop(s: Session, callback=None) -> None:
    """One run's steps from ``s.start`` to ``cfg.iters`` (or early stopping); raises
    TrainingDiverged when its loss turns non-finite."""
    why, = run_steps([s], s.quiet, callback)
    if why is not None:
        raise TrainingDiverged(why)
