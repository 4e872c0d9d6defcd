"""One finetuning run: a new softmax head on one layer of a backbone, trained by Nesterov
SGD (as ``egoequiv train``) on a labelled subset, measured on validation every
``eval_every`` iterations; the best validation iterate is kept and training stops early
after ``patience`` measurements without improvement. ``choose_lr`` runs one per lr and keeps
the lr whose best validation score is highest; only then is the test split scored, once.

The head reads ``relu`` of the layer's features, as every method's softmax head does
(``Method._logits``), so a finetuned top layer is the head a checkpoint holds.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from egoequiv.data.tensors import Normalizer
from egoequiv.evaluation.recognition import topk_accuracy

#: images per forward pass when measuring (no gradients kept)
EVAL_BATCH = 512


@dataclass(frozen=True)
class Schedule:
    iters: int = 300
    batch_size: int = 32
    weight_decay: float = 5e-4
    momentum: float = 0.9
    eval_every: int = 25
    patience: int = 4  # measurements without improvement before stopping; 0: never stop


class Classifier(nn.Module):
    """logits = head((relu(backbone(x)[layer]) - mean) / std); with no backbone, x are that
    layer's features already (a frozen backbone's, computed once). ``mean`` and ``std`` are
    fixed before training, from the labelled subset (``standardise``): the lr grid then means
    the same for features of any scale, as the linear probe standardises its inputs."""

    def __init__(self, backbone: nn.Module | None, layer: str, width: int, num_classes: int,
                 seed: int):
        super().__init__()
        self.backbone, self.layer = backbone, layer
        self.head = nn.Linear(width, num_classes)
        gen = torch.Generator().manual_seed(seed)  # the head's draw, apart from the global RNG
        nn.init.xavier_uniform_(self.head.weight, generator=gen)
        nn.init.zeros_(self.head.bias)
        self.register_buffer("mean", torch.zeros(width))
        self.register_buffer("std", torch.ones(width))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x if self.backbone is None else self.backbone(x)[self.layer])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head((self.features(x) - self.mean) / self.std)

    @torch.no_grad()
    def standardise(self, inputs: Inputs, idx: np.ndarray) -> Classifier:
        """Fix mean and std to those of the features of frames ``idx`` (eval mode); a
        feature constant over them keeps std 1."""
        was = self.training
        self.eval()
        f = torch.cat([self.features(inputs(idx[s:s + EVAL_BATCH])).float()
                       for s in range(0, len(idx), EVAL_BATCH)])
        self.train(was)
        std = f.std(dim=0, unbiased=False) if len(f) > 1 else torch.ones_like(f[0])
        self.mean.copy_(f.mean(dim=0))
        self.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
        return self

    def folded_head(self) -> nn.Linear:
        """The head with the standardisation folded in: head(relu(f)) alone gives the same
        logits (for a checkpoint, whose head reads relu of the top layer)."""
        head = nn.Linear(self.head.in_features, self.head.out_features)
        with torch.no_grad():
            weight = self.head.weight / self.std
            head.weight.copy_(weight)
            head.bias.copy_(self.head.bias - weight @ self.mean)
        return head


class Inputs:
    """What a Classifier reads for frame indices: normalised images, or cached features."""

    def __init__(self, images=None, normalizer: Normalizer | None = None,
                 features: torch.Tensor | None = None, rows: np.ndarray | None = None,
                 device: torch.device | str = "cpu"):
        """``features[i]`` belongs to frame ``rows[i]`` (only the frames a run reads)."""
        self.images, self.normalizer, self.features = images, normalizer, features
        self.device = torch.device(device)
        if features is not None:
            self.row_of = np.full(int(rows.max()) + 1, -1, np.int64)
            self.row_of[rows] = np.arange(len(rows))

    def __call__(self, idx: np.ndarray) -> torch.Tensor:
        if self.features is not None:
            return self.features[torch.as_tensor(self.row_of[idx], device=self.device)]
        batch = torch.from_numpy(np.ascontiguousarray(self.images[np.asarray(idx)]))
        return self.normalizer(batch.to(self.device))


@dataclass
class Fitted:
    lr: float
    val_top1: float
    val_loss: float
    best_iteration: int
    iterations: int
    stopped_early: bool
    curve: list = field(default_factory=list)  # (iteration, val top-1)
    state: dict | None = None  # the Classifier's weights at the best iterate
    waited: int = 0  # measurements since the best one

    @property
    def key(self) -> tuple[float, float]:
        """What "better on validation" means: higher top-1, then lower loss (small
        validation sets tie on top-1 often)."""
        return self.val_top1, -self.val_loss


@torch.no_grad()
def measure(model: Classifier, inputs: Inputs, idx: np.ndarray, labels: np.ndarray
            ) -> tuple[float, float]:
    """(top-1, mean cross-entropy) of ``model`` on frames ``idx``, in eval mode."""
    was = model.training
    model.eval()
    logits = torch.cat([model(inputs(idx[s:s + EVAL_BATCH])).float().cpu()
                        for s in range(0, len(idx), EVAL_BATCH)])
    model.train(was)
    if not bool(torch.isfinite(logits).all()):  # diverged: no score, no tie to break
        return 0.0, float("inf")
    y = torch.as_tensor(labels[idx])
    loss = float(nn.functional.cross_entropy(logits, y))
    return topk_accuracy(logits.numpy(), labels[idx], 1), loss


def _frozen_modules_to_eval(model: Classifier) -> None:
    """Modules whose parameters are all frozen keep their BatchNorm statistics."""
    for m in model.modules():
        params = list(m.parameters(recurse=False))
        if params and not any(p.requires_grad for p in params):
            m.eval()


def fit(model: Classifier, inputs: Inputs, labels: np.ndarray, train_idx: np.ndarray,
        val_idx: np.ndarray, lr: float, schedule: Schedule, seed: int) -> Fitted:
    """Train ``model``'s trainable parameters (see the module doc). Batches are drawn from
    ``seed`` alone, so every lr and initialisation sees the same batches."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr, momentum=schedule.momentum, nesterov=True,
                          weight_decay=schedule.weight_decay)
    rng = np.random.default_rng([seed, 1])
    size = min(schedule.batch_size, len(train_idx))
    best = Fitted(lr, -1.0, float("inf"), 0, 0, False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout draws
        for it in range(1, schedule.iters + 1):
            _step(model, opt, inputs, labels, rng.choice(train_idx, size, replace=False))
            best.iterations = it
            if (it % schedule.eval_every == 0 or it == schedule.iters) and \
                    _validate(model, inputs, labels, val_idx, best, it, schedule):
                break
    if best.state is not None:
        model.load_state_dict(best.state)
    return best


def _step(model: Classifier, opt, inputs: Inputs, labels: np.ndarray, idx: np.ndarray) -> None:
    model.train()
    _frozen_modules_to_eval(model)  # again after each measurement's eval()/train()
    y = torch.as_tensor(labels[idx], device=inputs.device)
    loss = nn.functional.cross_entropy(model(inputs(idx)), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _validate(model: Classifier, inputs: Inputs, labels: np.ndarray, val_idx: np.ndarray,
              best: Fitted, it: int, schedule: Schedule) -> bool:
    """Measure on validation and keep the iterate if it is the best so far; whether to
    stop (diverged, or ``patience`` measurements without improvement)."""
    top1, val_loss = measure(model, inputs, val_idx, labels)
    best.curve.append((it, top1))
    if not np.isfinite(val_loss):
        return True  # diverged at this lr: the best iterate so far stands
    if (top1, -val_loss) > best.key:
        best.val_top1, best.val_loss, best.best_iteration = top1, val_loss, it
        best.state = copy.deepcopy(model.state_dict())
        best.waited = 0
        return False
    best.waited += 1
    stop = bool(schedule.patience) and best.waited >= schedule.patience
    best.stopped_early = stop and it < schedule.iters
    return stop


def choose_lr(make_model, inputs: Inputs, labels: np.ndarray, train_idx: np.ndarray,
              val_idx: np.ndarray, lr_grid: list[float], schedule: Schedule, seed: int,
              tick=lambda: None) -> tuple[Classifier, Fitted, list[Fitted]]:
    """One run per lr from a fresh ``make_model()``; the model and fit of the lr best on
    validation (the first of equals), and every lr's fit. No test image is read here."""
    fits, chosen = [], None
    for lr in lr_grid:
        model = make_model()
        result = fit(model, inputs, labels, train_idx, val_idx, lr, schedule, seed)
        fits.append(result)
        if chosen is None or result.key > chosen[1].key:
            chosen = (model, result)
        tick()
    return chosen[0], chosen[1], fits
