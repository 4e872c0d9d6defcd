"""Draws the frame indices of one training batch; a pure function of (seed, iteration), so
a resumed run draws exactly the batches the uninterrupted run would have."""

from __future__ import annotations

import numpy as np

from egoequiv.errors import EgoequivError
from egoequiv.methods.base import Needs
from egoequiv.methods.batch import STREAMS
from egoequiv.motion.pairs import negatives_warning, sample_negatives
from egoequiv.task.build import Task
from egoequiv.training.augment import draw_shifts


class BatchSampler:
    def __init__(self, task: Task, needs: Needs, batch_size: int, seed: int, rank: int = 0,
                 max_shift: int = 0):
        """``needs``: the method's (``Method.needs``): which pairs and whether negatives.
        ``max_shift`` > 0: each batch also holds ``shift``, the frames' random translations
        (``training.augment``)."""
        self.task, self.batch_size, self.seed, self.rank = task, batch_size, seed, rank
        self.max_shift = max_shift
        self.needs = needs
        self.pairs = None
        if needs.pairs is not None:
            chosen = task.pairs if needs.pairs == "all" else \
                task.pairs.select(task.pairs.pattern >= 0)
            if len(chosen) == 0:
                raise EgoequivError(f"no training pairs of kind {needs.pairs!r} for this method")
            self.pairs = chosen
            self.motion_z = task.zscore(chosen.motion).astype(np.float32)
        self.labelled = task.labelled if task.table.is_labelled else np.zeros(0, np.int64)
        # counts only: the draws stay a pure function of (seed, iteration)
        self.negatives_drawn = self.neighbour_negatives = 0

    def rng(self, iteration: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, iteration, self.rank])

    def sample(self, iteration: int) -> dict[str, np.ndarray]:
        """Frame indices per stream, plus ``y``, ``pattern`` and ``motion`` arrays."""
        rng, b = self.rng(iteration), self.batch_size
        out = {}
        if len(self.labelled):
            x = rng.choice(self.labelled, b)
            out.update(x=x, y=self.task.table.labels[x])
        if self.pairs is not None:
            k = rng.integers(len(self.pairs), size=b)
            out.update(pos_i=self.pairs.i[k], pos_j=self.pairs.j[k],
                       pattern=self.pairs.pattern[k], motion=self.motion_z[k])
        if self.needs.negatives:
            neg = sample_negatives(self.task.table, self.task.unlabelled, b, rng)
            out["neg_i"], out["neg_j"] = neg.i, neg.j
            self.negatives_drawn += b
            self.neighbour_negatives += neg.neighbours
        if self.max_shift:
            out["shift"] = draw_shifts(rng, [k for k in STREAMS if k in out], b,
                                       self.max_shift)
        return out

    def warnings(self) -> list[str]:
        """The batches drawn so far that held neighbours as negatives, as a warning."""
        if not self.neighbour_negatives:
            return []
        return [negatives_warning(self.neighbour_negatives, self.negatives_drawn,
                                  "training batches")]
