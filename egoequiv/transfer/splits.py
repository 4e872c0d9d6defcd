"""The images of a finetuning run: the test split (the source's own, else held-out
sequences), a validation split carved out of the labelled training images, and the labelled
subsets drawn from the rest.

Validation and test never meet: every choice (lr, the early-stopping iterate) is made on the
validation images, which are training images; the test images are scored once, at the end.
The subsets are nested across label counts (split k's 5 images of a class are among its 10),
so a curve over label counts compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from egoequiv.data.cache import Frames
from egoequiv.errors import EgoequivError
from egoequiv.task.build import split_frames, validation_split


@dataclass(frozen=True)
class Splits:
    pool: np.ndarray  # labelled training images the subsets are drawn from
    val: np.ndarray  # labelled training images that choose the lr and the iterate
    test: np.ndarray  # labelled test images, scored once per run
    how: str  # how the test split was made, in words

    def sizes(self) -> dict:
        return {"pool": int(len(self.pool)), "validation": int(len(self.val)),
                "test": int(len(self.test))}


def check_labelled(table, spec: str) -> None:
    """One line when the source has no class labels (finetune trains a classifier)."""
    if table.labels is None or not (table.labels >= 0).any():
        raise EgoequivError(f"finetune: {spec} has no class labels; finetune needs a "
                            "labelled source (imagefolder, sun397, eth80, frames-csv with a "
                            "label column, ...)")


def make_splits(frames: Frames, test_fraction: float, val_fraction: float) -> Splits:
    """Test, validation and pool (see the module doc); unlabelled frames are left out."""
    table = frames.table
    train, test = split_frames(table, test_fraction)
    own = table.split is not None and all((table.split == s).any() for s in ("train", "test"))
    how = "the source's own split" if own else f"{test_fraction:g} of the sequences held out"
    labelled = table.labels >= 0
    train, test = train[labelled[train]], test[labelled[test]]
    pool, val = validation_split(table, train, val_fraction)
    if not len(test):
        raise EgoequivError("finetune: the test split holds no labelled image")
    return Splits(pool, val, test, how)


def nested_subsets(labels: np.ndarray, pool: np.ndarray, counts: list[int], seed: int,
                   split: int) -> dict[int, np.ndarray]:
    """{count: sorted indices}: the first ``count`` of one random order per class (seeded
    by [seed, split]); a class with fewer images in the pool gives all it has."""
    rng = np.random.default_rng([seed, split])
    orders = [rng.permutation(pool[labels[pool] == c]) for c in np.unique(labels[pool])]
    return {n: np.sort(np.concatenate([o[:n] for o in orders])) for n in counts}


def short_classes(labels: np.ndarray, pool: np.ndarray, counts: list[int],
                  class_names: list[str] | None) -> list[str]:
    """Warnings for classes whose pool holds fewer images than a label count asks."""
    have = np.bincount(labels[pool], minlength=int(labels.max()) + 1)
    out = []
    for n in counts:
        short = [c for c in range(len(have)) if have[c] < n]
        if short:
            names = [class_names[c] if class_names else str(c) for c in short]
            out.append(f"{n} labels per class: {len(short)} class(es) have fewer training "
                       f"images outside validation ({', '.join(names[:5])}); they use all "
                       "they have")
    return out
