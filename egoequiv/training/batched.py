"""Batched runs: R runs of one method that differ only in numbers train in lockstep.

The members share the decoded frames, the network's shape and the loss; each keeps its own
lr, lam, momentum, weight decay and numeric method keys (``MEMBER_KEYS``, ``margin``, ...),
seed and sampler stream, labelled subset (label split), optimiser state, early stopping
(with its best iterate) and run folder. A member is a ``loop.Session`` like any run: its
folder holds what ``egoequiv train`` writes for that run alone (checkpoint.pt, config.json,
metrics.json, metrics.csv, plots), and its checkpoint resumes alone or in a batch.

Two ways to compute the members' steps (``stack``):

- ``loop``: each member's step in turn, exactly the lone run's operations, so a member's
  numbers are bit-identical to its run trained alone. On a CPU the small network's step is
  compute-bound (convolutions at 0.6-0.9 of the matrix product's FLOP/s; docs/scale.md), so
  stacking gains nothing there.
- ``vmap``: the members' parameters stacked and one step for all of them
  (``torch.func.vmap`` over ``functional_call``: grouped convolutions, batched matrix
  products), for accelerators where a small network's step is bound by kernel launches. Equal
  to the lone runs to float tolerance. Needs a backbone without running statistics or
  dropout.
- ``auto``: vmap on an accelerator, loop on a CPU.

A member whose loss turns non-finite is recorded as diverged and leaves the batch; one that
early-stops leaves it too; the others go on. A killed batch resumes exactly: each member
continues from its own checkpoint (members at different iterations wait for the batch to
reach them).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from egoequiv.config import Config, to_dict
from egoequiv.data.spec import resolve_spec
from egoequiv.errors import EgoequivError
from egoequiv.evaluation import record
from egoequiv.methods import method_class, resolve_config
from egoequiv.methods.hyperparameter import declared
from egoequiv.task.build import build_task
from egoequiv.task.load import load_task_frames
from egoequiv.training.loop import Session, TrainingInterrupted, run_steps
from egoequiv.training.trainer import (
    RESUMABLE_CHANGES,
    TRAIN_METRICS,
    NonFiniteFeatures,
    diverged_result,
    finish,
    labels_only,
    release,
    setup,
)
from egoequiv.utils.device import distributed_world

#: the config keys in which the members of one batch may differ
MEMBER_KEYS = ("lr", "lam", "momentum", "weight_decay", "seed", "label_split",
               "labels_per_class")
STACKS = ("auto", "vmap", "loop")


def numeric_method_keys(cfg: Config) -> set[str]:
    """The method's own keys that are numbers (``margin``, ``drlim_weight``, ...)."""
    return {k for k, hp in declared(method_class(cfg.method)).items()
            if isinstance(hp.default, (int, float)) and not isinstance(hp.default, bool)
            and not hp.choices}


def batch_key(cfg: Config) -> tuple:
    """What the members of one batch share: every key but ``MEMBER_KEYS``, the method's
    numeric keys and those that do not change a result, and whether labels train a head."""
    cfg = resolve_config(cfg)
    # iters and device may change on resume, but the members of a batch share them
    free = set(MEMBER_KEYS) | numeric_method_keys(cfg) | (RESUMABLE_CHANGES - {"iters",
                                                                               "device"})
    shared = sorted((k, repr(v)) for k, v in to_dict(cfg).items() if k not in free)
    return (*shared, ("labelled", cfg.labels_per_class > 0))


def stackable(method: nn.Module) -> str | None:
    """Why ``method`` cannot be stacked by vmap (None: it can)."""
    if any(True for _ in method.buffers()):
        return "its backbone keeps running statistics (buffers)"
    if any(isinstance(m, nn.Dropout) and m.p > 0 for m in method.modules()):
        return "its backbone uses dropout (random in the step)"
    return None


def _stack_mode(stack: str, sessions: list[Session]) -> str:
    if stack not in STACKS:
        raise EgoequivError(f"stack must be one of {', '.join(STACKS)}, got {stack!r}")
    why = stackable(sessions[0].method)
    if why is None and any(s.method.hp != sessions[0].method.hp for s in sessions):
        why = "the members differ in a key of the method (vmap shares one module's code; " \
              "only lam is passed per member)"
    if stack == "vmap" and why:
        raise EgoequivError(f"stack=vmap: method {sessions[0].cfg.method} cannot be stacked: "
                            f"{why}; use stack=loop")
    if stack == "auto":  # one member alone takes the lone run's own step
        return "vmap" if sessions[0].device.type != "cpu" and not why and len(sessions) > 1 \
            else "loop"
    return stack


def vmap_step(members: list[Session], batches: list[dict], autocast):
    """One step of every member at once: their parameters stacked, one vmapped forward and
    backward, then each member's own optimiser."""
    base = members[0].method
    names = [n for n, _ in base.named_parameters()]
    per_member = [dict(s.method.named_parameters()) for s in members]
    params = {n: torch.stack([p[n] for p in per_member]) for n in names}
    layout = batches[0]["layout"]  # the members share batch size and method: one layout
    batch = {k: torch.stack([b[k] for b in batches]) for k in batches[0] if k != "layout"}
    lams = torch.tensor([s.method.lam for s in members], device=members[0].device)

    def member_loss(p, b, lam):
        return torch.func.functional_call(base, p, ({**b, "layout": layout},), {"lam": lam})

    with autocast:
        losses, parts = torch.func.vmap(member_loss)(params, batch, lams)
    for s in members:
        s.optimizer.zero_grad(set_to_none=True)
    losses.sum().backward()  # members are independent: each gets its own gradient
    for s in members:
        s.optimizer.step()
    return [(losses[r].detach(), {k: v[r] for k, v in parts.items()})
            for r in range(len(members))]


def train_batched(cfgs: list[Config], dataset: str, out_dirs: list[str | Path],
                  resume: bool = False, quiet: bool = False,
                  labelled_dataset: str | None = None, metrics=TRAIN_METRICS,
                  plots_dirs: list[str | Path | None] | None = None, stack: str = "auto",
                  callback=None, extras: list[dict] | None = None) -> list[dict]:
    """Train the runs ``cfgs`` (one method; they may differ in ``MEMBER_KEYS`` only) as one
    batch, each into its folder of ``out_dirs``. Returns each member's metrics as
    ``trainer.train`` would, or ``diverged_result`` for a member that diverged.
    ``callback(iteration)`` runs after every step of the batch; ``extras[k]`` is added to
    member k's metrics (a grid's values)."""
    if not cfgs or len(cfgs) != len(out_dirs):
        raise EgoequivError("a batch needs one output folder per member")
    if len({str(Path(d).resolve()) for d in out_dirs}) != len(out_dirs):
        raise EgoequivError("two members of a batch share an output folder")
    keys = [batch_key(c) for c in cfgs]
    if any(k != keys[0] for k in keys):
        diff = sorted({a for k in keys for a in k} ^ set(keys[0]))
        raise EgoequivError(f"members of a batch may differ only in {', '.join(MEMBER_KEYS)}; "
                            f"these differ: {', '.join(sorted({a[0] for a in diff}))}")
    if distributed_world()[1] > 1:
        raise EgoequivError("batched runs train in one process; under torchrun train each "
                            "run alone")
    plots_dirs = plots_dirs or [None] * len(cfgs)
    cfgs = [resolve_config(c) for c in cfgs]
    frames = load_task_frames(cfgs[0], resolve_spec(dataset), quiet=quiet,
                              labelled_dataset=labelled_dataset)
    sessions: list[Session] = []
    failed = True
    try:  # every member's folder stays locked until the batch ends
        for c, d in zip(cfgs, out_dirs):  # one copy of the frames on the device, warnings once
            shared = sessions[0].loader.images if sessions and sessions[0].loader.on_device \
                else None
            sessions.append(setup(c, dataset, d, resume, quiet=True,
                                  labelled_dataset=labelled_dataset,
                                  prepared=(frames, build_task(frames, c, not labels_only(c))),
                                  shared_images=shared, warn=not sessions))
        results = _train(sessions, quiet, callback, stack, metrics, plots_dirs,
                         extras or [{}] * len(cfgs))
        failed = False
        return results
    except TrainingInterrupted:  # the members' checkpoints are in their folders
        failed = False
        raise
    finally:
        for s in sessions:
            release(s, failed)


def _train(sessions: list[Session], quiet, callback, stack, metrics, plots_dirs,
           extras) -> list[dict]:
    """The steps of a batch set up by ``train_batched``, then each member's record."""
    mode = _stack_mode(stack, sessions)
    diverged = run_steps(sessions, quiet, callback,
                         stacked=vmap_step if mode == "vmap" else None)
    results = []
    for s, plots, why, extra in zip(sessions, plots_dirs, diverged, extras):
        if why is None:
            try:
                results.append(finish(s, metrics, plots, extra))
            except NonFiniteFeatures as e:  # it diverged after its last loss check
                why = f"{e} after {s.done} iterations"
        if why is not None:
            result = diverged_result(s.cfg, s.dataset, why, run_id=s.run_id, **extra)
            record.write(s.out_dir, result)
            results.append(result)
    return results
