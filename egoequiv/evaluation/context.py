"""What every suite measurement needs from a task, computed once and shared (``Context``).

The measurement modules are pure functions on arrays; their ``suite_metric(ctx)`` adapters read
the task through this object: pairs with a defined pattern, the maps M'_g refitted on the
training pairs, a linear probe on the labelled training frames, non-neighbour pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from egoequiv.evaluation import equivariance
from egoequiv.motion.pairs import Pairs, negatives_warning, sample_negatives

#: labelled frames per class of the probes when the run has no labels of its own
PROBE_LABELS_PER_CLASS = 10


def probe_labels(run_labels_per_class: int | None) -> int:
    """The probes' labels per class for a run: the run's own (its head's), so the probe's
    top-1 compares with the head's; ``PROBE_LABELS_PER_CLASS`` for a run without labels."""
    return int(run_labels_per_class) if run_labels_per_class else PROBE_LABELS_PER_CLASS


class Skip(Exception):
    """A measurement does not apply to this task (no labels, no pairs, ...): the reason."""


@dataclass
class Context:
    z: np.ndarray  # (N, D) features of every frame of the task's table
    task: object  # egoequiv.task.build.Task
    classifier_logits: np.ndarray | None = None  # (N, C) from the jointly trained head
    classifier: Callable[[np.ndarray], np.ndarray] | None = None  # features -> logits
    learned_maps: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    seed: int = 0
    out_dir: Path | None = None
    labels_per_class: int = PROBE_LABELS_PER_CLASS
    splits: int = 5
    max_pairs: int = 50_000  # pairs per measurement (a seeded sample beyond this)
    ridge: float | str = equivariance.RIDGE
    title: str = ""  # what the plots' titles name: the method and the data ("equiv on ...")
    warnings: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict)

    def titled(self, what: str) -> str:
        """A plot title naming the measurement, and the method and data when known."""
        return f"{self.title}: {what}" if self.title else what

    @property
    def num_patterns(self) -> int:
        return self.task.patterns.num_patterns

    @property
    def labels(self) -> np.ndarray | None:
        table = self.task.table
        return table.labels if table.is_labelled and self.task.num_classes else None

    def need_labels(self) -> np.ndarray:
        if self.labels is None:
            raise Skip("the source has no labels")
        return self.labels

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, sum(map(ord, name))])

    def cap(self, pairs: Pairs, name: str, limit: int | None = None) -> Pairs:
        """At most ``limit`` (default ``max_pairs``) pairs: a seeded sample beyond it."""
        limit = min(limit or self.max_pairs, self.max_pairs)
        if len(pairs) <= limit:
            return pairs
        return pairs.select(np.sort(self.rng(name).choice(len(pairs), limit, False)))

    def patterned(self, which: str) -> Pairs:
        """Training ("train") or test ("test") pairs with a defined pattern, capped."""
        pairs = self.task.pairs if which == "train" else self.task.test_pairs
        pairs = pairs.select(pairs.pattern >= 0)
        if len(pairs) == 0:
            raise Skip(f"no {which} pairs with a motion pattern")
        return self.cap(pairs, f"patterned-{which}")

    @property
    def maps(self) -> np.ndarray:
        """M'_g refitted on the training pairs (every one, not capped), (G, D+1, D)."""
        if "maps" not in self._cache:
            from egoequiv.evaluation.equivariance import fit_maps

            p = self.task.pairs
            self._cache["maps"] = fit_maps(self.z[p.i], self.z[p.j], p.pattern,
                                           self.num_patterns, self.ridge,
                                           groups=self.task.table.sequence[p.i])
        return self._cache["maps"]

    def negatives(self, which: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        pool = self.task.unlabelled if which == "train" else self.task.test
        key = f"neg-{which}-{count}"
        if key not in self._cache:
            neg = sample_negatives(self.task.table, pool, count, self.rng(key))
            if neg.neighbours:
                self.warnings.append(negatives_warning(neg.neighbours, count,
                                                       f"slowness ({which} frames)"))
            self._cache[key] = neg.i, neg.j
        return self._cache[key]

    def labelled_subset(self) -> np.ndarray:
        """The task's labelled training frames, else ``labels_per_class`` random ones per class."""
        if len(self.task.labelled):
            return self.task.labelled
        from egoequiv.task.subset import choose_subset

        return choose_subset(self.need_labels(), self.task.train, self.labels_per_class,
                             self.rng("labelled"))

    def classify_fn(self) -> Callable[[np.ndarray], np.ndarray]:
        """The given classifier, else a linear probe fitted on ``labelled_subset``."""
        if self.classifier is not None:
            return self.classifier
        if "probe" not in self._cache:
            from egoequiv.evaluation.recognition import fit_linear_probe

            labels, sub = self.need_labels(), self.labelled_subset()
            self._cache["probe"] = fit_linear_probe(self.z[sub], labels[sub],
                                                    self.task.num_classes)
        return self._cache["probe"].logits

    def plot_path(self, name: str) -> Path | None:
        if self.out_dir is None:
            return None
        self.plots.append(name)
        return Path(self.out_dir) / name
