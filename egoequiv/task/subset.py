"""The labelled subset: ``per_class`` random members of each class of a pool of frames. Used
to pick a run's labelled training frames and the probes' labelled subsets alike."""

from __future__ import annotations

import numpy as np


def choose_subset(labels: np.ndarray, pool: np.ndarray, per_class: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random members of each class (label >= 0) of ``pool``, sorted."""
    chosen = []
    for c in np.unique(labels[pool]):
        if c < 0:
            continue
        members = pool[labels[pool] == c]
        chosen.append(rng.choice(members, min(per_class, len(members)), replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
