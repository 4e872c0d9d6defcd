"""Measurements logged during training: slowness AUROC on a fixed sample of training pairs
(the paper's appendix tracks it over iterations), as a curve."""

from __future__ import annotations

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.evaluate.slowness import slowness_auroc
from egoequiv.motion.pairs import sample_negatives
from egoequiv.train.task import Task


class SlownessMonitor:
    """AUROC of feature distance separating neighbour from non-neighbour training pairs,
    on ``pairs`` fixed positives and as many fixed negatives (drawn once, seeded)."""

    def __init__(self, task: Task, pairs: int = 1000, seed: int = 0):
        rng = np.random.default_rng([seed, 7919])
        k = rng.choice(len(task.pairs), min(pairs, len(task.pairs)), replace=False)
        self.pos = task.pairs.i[k], task.pairs.j[k]
        self.neg = sample_negatives(task.table, task.unlabelled, len(k), rng)
        self.frames, inverse = np.unique(np.concatenate([*self.pos, *self.neg]),
                                         return_inverse=True)
        self.local = inverse.reshape(4, -1)

    @torch.no_grad()
    def __call__(self, method, images: torch.Tensor, normalizer: Normalizer) -> float | None:
        was_training = method.training
        method.eval()
        idx = torch.from_numpy(self.frames).to(images.device)
        z = torch.cat([method.embed(normalizer(images[idx[s:s + 512]]))
                       for s in range(0, len(idx), 512)]).float().cpu().numpy()
        method.train(was_training)
        a, b, c, d = self.local
        return slowness_auroc(z, a, b, c, d)


def slowness_curve(history: list[dict]) -> list[tuple[int, float]]:
    """The (iteration, AUROC) points logged in a run's history."""
    return [(h["iteration"], h["slowness_auroc_train"]) for h in history
            if h.get("slowness_auroc_train") is not None]
