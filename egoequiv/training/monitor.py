"""Measurements logged during training (every ``monitor_every`` iterations), as curves:

- ``slowness_auroc_train``: AUROC of feature distance separating neighbour from non-neighbour
  training pairs (the paper's appendix tracks it over iterations);
- ``equivariance_heldout``: the refitted-map equivariance error (``evaluate.equivariance``),
  maps fitted on training pairs of some sequences, scored on pairs of held-out training
  sequences (never test pairs);
- ``learned_map_heldout``: the model's own maps M_g scored on the same held-out pairs
  (below 1.0 = better than "no change");
- ``val_softmax_loss`` and ``val_top1`` (only when the task measures on a validation split,
  ``validation_fraction > 0``): the head's softmax loss and top-1 accuracy on up to 2000
  labelled validation frames;
- ``val_equivariance`` (also only with a validation split): the refitted-map error on pairs
  of the validation instances, which the network never trains on, with the maps fitted on
  training pairs: how well the equivariance carries to unseen objects or sequences.

Early stopping reads one of the ``val_`` curves (``stop_metric``, ``stop_iteration``).

The samples are drawn once (seeded), so the curves compare like with like.
"""

from __future__ import annotations

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.evaluation.equivariance import error_with_maps, fit_maps, learned_map_error
from egoequiv.evaluation.slowness import slowness_auroc
from egoequiv.motion.pairs import Pairs, sample_negatives
from egoequiv.task.build import Task

CURVES = {"slowness_auroc_train": "slowness AUROC (training pairs)",
          "val_softmax_loss": "softmax loss (validation frames)",
          "val_top1": "top-1 accuracy (validation frames)",
          "equivariance_heldout": "refitted equivariance error (held-out training sequences)",
          "val_equivariance": "refitted equivariance error (validation instances)",
          "learned_map_heldout": "learned-map error (held-out training sequences)"}


class TrainingMonitor:
    """Fixed samples of training pairs; ``__call__(method, images, normalizer)`` -> dict."""

    def __init__(self, task: Task, pairs: int = 1000, fit_pairs: int = 3000, seed: int = 0,
                 validation: bool = False, val_frames: int = 2000):
        rng = np.random.default_rng([seed, 7919])
        self.val = np.zeros(0, dtype=np.int64)
        if validation and task.table.is_labelled and task.num_classes:
            val = task.test[task.table.labels[task.test] >= 0]
            self.val = np.sort(rng.choice(val, min(val_frames, len(val)), replace=False))
        self.val_labels = torch.from_numpy(task.table.labels[self.val]) if len(self.val) else None
        k = rng.choice(len(task.pairs), min(pairs, len(task.pairs)), replace=False)
        self.pos = task.pairs.i[k], task.pairs.j[k]
        neg = sample_negatives(task.table, task.unlabelled, len(k), rng)
        self.neg = neg.i, neg.j
        self.fit, self.held = _heldout_pairs(task, fit_pairs, pairs, rng)
        # the validation instances' pairs, scored by maps fitted on all training sequences
        patterned = task.pairs.select(task.pairs.pattern >= 0)
        none = patterned.select(np.zeros(0, dtype=np.int64))
        self.val_fit, self.val_pairs = none, none
        if validation:
            self.val_pairs = _sample(task.test_pairs.select(task.test_pairs.pattern >= 0),
                                     pairs, rng)
            self.val_fit = _sample(patterned, fit_pairs, rng) if len(self.val_pairs) else none
        self.num_patterns = task.patterns.num_patterns
        parts = [*self.pos, *self.neg, self.fit.i, self.fit.j, self.held.i, self.held.j,
                 self.val, self.val_fit.i, self.val_fit.j, self.val_pairs.i, self.val_pairs.j]
        self.frames, inverse = np.unique(np.concatenate(parts), return_inverse=True)
        self.local = np.split(inverse, np.cumsum([len(p) for p in parts])[:-1])

    @torch.no_grad()
    def __call__(self, method, images, normalizer: Normalizer) -> dict:
        """``images``: the frames on the device (a tensor) or on disk (a FrameStore)."""
        was_training = method.training
        method.eval()
        device = next(method.parameters()).device

        def frames(rows: np.ndarray) -> torch.Tensor:
            if isinstance(images, torch.Tensor):
                return images[torch.from_numpy(rows).to(device)]
            return torch.from_numpy(images[rows]).to(device)

        feats = [method.backbone(normalizer(frames(self.frames[s:s + 512])))
                 for s in range(0, len(self.frames), 512)]
        zt = torch.cat([f[method.feature_layer] for f in feats]).float()
        z = zt.cpu().numpy().astype(np.float64)
        a, b, c, d, fi, fj, hi, hj, val, vfi, vfj, vi, vj = self.local
        out = {"slowness_auroc_train": slowness_auroc(z, a, b, c, d),
               "equivariance_heldout": None, "learned_map_heldout": None}
        if len(self.val) and method.head is not None:
            logits = torch.cat([method._logits(f) for f in feats])[torch.from_numpy(val)]
            labels = self.val_labels.to(logits.device)
            out["val_softmax_loss"] = float(torch.nn.functional.cross_entropy(logits.float(),
                                                                              labels))
            out["val_top1"] = float((logits.argmax(dim=1) == labels).float().mean())
        finite = bool(np.isfinite(z).all())
        if len(self.val_pairs) and finite:
            maps = fit_maps(z[vfi], z[vfj], self.val_fit.pattern, self.num_patterns)
            out["val_equivariance"] = error_with_maps(maps, z[vi], z[vj],
                                                      self.val_pairs.pattern)["mean"]
        if len(self.held) and finite:
            maps = fit_maps(z[fi], z[fj], self.fit.pattern, self.num_patterns)
            out["equivariance_heldout"] = error_with_maps(maps, z[hi], z[hj],
                                                          self.held.pattern)["mean"]
            pattern = torch.from_numpy(self.held.pattern).to(device)
            mapped = method.map_features(zt[torch.from_numpy(hi).to(device)], pattern)
            if mapped is not None:
                out["learned_map_heldout"] = learned_map_error(
                    mapped.float().cpu().numpy(), z[hj], z[hi], self.held.pattern,
                    self.num_patterns)["mean"]
        method.train(was_training)
        return out


def _heldout_pairs(task: Task, fit: int, held: int, rng) -> tuple[Pairs, Pairs]:
    """Patterned training pairs of ~4/5 of the sequences (to fit) and of the rest (to score)."""
    pairs = task.pairs.select(task.pairs.pattern >= 0)
    seqs = np.unique(task.table.sequence[pairs.i])
    if len(seqs) < 2:
        empty = pairs.select(np.zeros(0, dtype=np.int64))
        return empty, empty
    chosen = rng.choice(seqs, max(1, len(seqs) // 5), replace=False)
    is_held = np.isin(task.table.sequence[pairs.i], chosen)
    return (_sample(pairs.select(~is_held), fit, rng), _sample(pairs.select(is_held), held, rng))


def _sample(pairs: Pairs, count: int, rng) -> Pairs:
    if len(pairs) <= count:
        return pairs
    return pairs.select(np.sort(rng.choice(len(pairs), count, replace=False)))


def monitor_curves(history: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """{key: [(iteration, value), ...]} for every monitored key logged in a run's history."""
    return {key: [(h["iteration"], h[key]) for h in history if h.get(key) is not None]
            for key in CURVES}


def slowness_curve(history: list[dict]) -> list[tuple[int, float]]:
    """The (iteration, AUROC) points logged in a run's history."""
    return monitor_curves(history)["slowness_auroc_train"]


#: what early stopping may watch, and whether lower is better
STOP_METRICS = {"val_softmax_loss": True, "val_top1": False, "val_equivariance": True}


def stop_iteration(history: list[dict], patience: int, metric: str = "val_softmax_loss"
                   ) -> tuple[int | None, bool]:
    """Early stopping on ``metric`` (``STOP_METRICS``): (iteration of its best value so far,
    the earliest on ties; whether it has not improved in the last ``patience`` evaluations).
    (None, False) when the history has no such value."""
    points = [(h["iteration"], h[metric]) for h in history if h.get(metric) is not None]
    if not points:
        return None, False
    sign = 1.0 if STOP_METRICS[metric] else -1.0
    best = min(range(len(points)), key=lambda k: (sign * points[k][1], k))
    return points[best][0], patience > 0 and len(points) - 1 - best >= patience
