"""``finetune``: every (initialisation, label split, layer, label count) of one call, each
with its lr chosen on validation, scored once on the test split.

A run's seeds come from (seed, split, label count, layer) alone: the pretrained and the
random initialisation of one cell get the same head draw and the same batches, so their
difference is the initialisation's. A random backbone is drawn per split, so its spread
includes the draw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from egoequiv.config import LR_GRID
from egoequiv.data.cache import Frames, load_frames
from egoequiv.data.registry import open_source
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.transfer.fit import Classifier, Inputs, Schedule, choose_lr, measure
from egoequiv.transfer.splits import (
    Splits,
    check_labelled,
    make_splits,
    nested_subsets,
    short_classes,
)
from egoequiv.transfer.start import INITS, Start, depends_on
from egoequiv.utils.progress import progress

FREEZE_WORDS = ("none", "all")


@dataclass(frozen=True)
class Settings:
    inits: list[str] = field(default_factory=lambda: list(INITS))
    labels_per_class: list[int] = field(default_factory=lambda: [5, 10, 20])
    splits: int = 3
    freeze: str = "none"
    layers: list[str] | None = None  # None: the backbone's top layer
    lr_grid: list[float] = field(default_factory=lambda: list(LR_GRID))
    schedule: Schedule = field(default_factory=Schedule)
    val_fraction: float = 0.2
    test_fraction: float = 0.5
    seed: int = 0

    def as_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "schedule"},
                **asdict(self.schedule)}


def check_settings(s: Settings, start: Start) -> Settings:
    """``s`` with its layers filled in (default: the top one), duplicates dropped, or one
    line naming the first bad value; checked before any image is decoded."""
    _check_names(s, start)
    _check_numbers(s)
    return Settings(**{**s.__dict__, "inits": list(dict.fromkeys(s.inits)),
                       "layers": list(dict.fromkeys(s.layers or [start.layers[-1]])),
                       "labels_per_class": sorted(set(s.labels_per_class))})


def _check_names(s: Settings, start: Start) -> None:
    names = ", ".join(start.layers)
    bad = [x for x in s.inits if x not in INITS]
    if bad or not s.inits:
        raise EgoequivError(f"finetune: --init must be among {', '.join(INITS)}, got "
                            f"{bad[0] if bad else 'nothing'!r}")
    for layer in s.layers or []:
        if layer not in start.layers:
            raise EgoequivError(f"finetune: --layers {layer!r} is not a layer of "
                                f"{start.model}; its layers: {names}")
    if s.freeze not in FREEZE_WORDS and s.freeze not in start.layers:
        raise EgoequivError(f"finetune: --freeze {s.freeze!r} is not a layer of "
                            f"{start.model}; use all, none or one of {names}")


def _check_numbers(s: Settings) -> None:
    least = [("--labels-per-class", min(s.labels_per_class, default=0), 1),
             ("--splits", s.splits, 1), ("--iters", s.schedule.iters, 1),
             ("--batch-size", s.schedule.batch_size, 1),
             ("--eval-every", s.schedule.eval_every, 1), ("--patience", s.schedule.patience, 0)]
    for flag, value, bound in least:
        if value < bound:
            raise EgoequivError(f"finetune: {flag} must be >= {bound}, got {value}")
    if not s.lr_grid or min(s.lr_grid) <= 0 or s.schedule.weight_decay < 0:
        raise EgoequivError("finetune: every lr must be > 0 and the weight decay >= 0")
    for flag, value in (("--val-fraction", s.val_fraction), ("--test-fraction", s.test_fraction)):
        if not 0 < value < 1:
            raise EgoequivError(f"finetune: {flag} must lie in (0, 1), got {value}")


def derive(*keys: int) -> int:
    """A seed for torch and numpy from several integers."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0])


@dataclass
class Cell:
    """One initialisation x layer x label count x split: its choice and its test score."""

    init: str
    layer: str
    labels_per_class: int
    split: int
    test_top1: float
    lr: float
    val_top1: float | None
    best_iteration: int
    stopped_early: bool
    val_by_lr: list[float]


@dataclass
class Data:
    frames: Frames
    labels: np.ndarray
    splits: Splits
    num_classes: int
    class_names: list[str] | None
    warnings: list[str]


def load_data(start: Start, dataset: str, s: Settings, quiet: bool) -> Data:
    """The labelled source at the backbone's size and channels, and its splits."""
    source = open_source(dataset)
    check_labelled(source.table(), dataset)  # before decoding anything
    frames = load_frames(source, start.image_size, start.channels, quiet=quiet)
    table = frames.table
    splits = make_splits(frames, s.test_fraction, s.val_fraction)
    warnings = short_classes(table.labels, splits.pool, s.labels_per_class, table.class_names)
    unseen = np.setdiff1d(table.labels[splits.test], table.labels[splits.pool])
    if len(unseen):
        warnings.append(f"{len(unseen)} test class(es) have no training image outside "
                        "validation: top-1 cannot be earned on them")
    return Data(frames, table.labels, splits, int(table.num_classes or table.labels.max() + 1),
                table.class_names, warnings)


class Runner:
    """Runs the cells of one call; keeps the model of the cell the checkpoint holds."""

    def __init__(self, start: Start, data: Data, s: Settings, device: torch.device,
                 quiet: bool):
        self.start, self.data, self.s, self.device = start, data, s, device
        self.normalizer = Normalizer(start.mean, start.std)
        self.images = Inputs(data.frames.images, self.normalizer, device=device)
        self.kept: tuple | None = None  # (Classifier, backbone, Cell) for the checkpoint
        self.dims = start.build("random", 0).dims
        total = len(s.inits) * s.splits * len(s.layers) * len(s.labels_per_class) * len(s.lr_grid)
        self.bar = progress(total, "finetune", unit="run", disable=quiet)

    def frozen(self, backbone) -> set[str]:
        if self.s.freeze == "none":
            return set()
        if self.s.freeze == "all":
            return {n for n, _ in backbone.named_parameters()}
        return depends_on(backbone, self.s.freeze, self.start.image_size, self.start.channels)

    def trains_backbone(self, backbone, layer: str) -> bool:
        """Whether any parameter below ``layer``'s head is left to train."""
        below = depends_on(backbone, layer, self.start.image_size, self.start.channels)
        return bool(below - self.frozen(backbone))

    def features(self, backbone) -> dict[str, Inputs]:
        """{layer: Inputs of cached features}: a frozen backbone's, computed once."""
        d = self.data
        rows = np.unique(np.concatenate([d.splits.pool, d.splits.val, d.splits.test]))
        backbone = backbone.to(self.device).eval()
        parts: dict[str, list] = {layer: [] for layer in self.s.layers}
        with torch.no_grad():
            for a in range(0, len(rows), 512):
                out = backbone(self.images(rows[a:a + 512]))
                for layer in parts:
                    parts[layer].append(out[layer].float())
        return {layer: Inputs(features=torch.cat(p), rows=rows, device=self.device)
                for layer, p in parts.items()}

    def run(self) -> list[Cell]:
        cells = []
        for init in self.s.inits:
            for split in range(self.s.splits):
                cells += self.run_split(init, split)
        self.bar.close()
        return cells

    def run_split(self, init: str, split: int) -> list[Cell]:
        """Every layer and label count of one split of one initialisation."""
        s = self.s
        subsets = nested_subsets(self.data.labels, self.data.splits.pool, s.labels_per_class,
                                 s.seed, split)
        bseed = derive(s.seed, split, 7)  # a random backbone's draw (unused by pretrained)
        initial = self.start.build(init, bseed)  # frozen parts and cached features
        cached, cells = None, []
        for li, layer in enumerate(s.layers):
            frozen_all = not self.trains_backbone(initial, layer)
            if frozen_all and cached is None:
                cached = self.features(initial)
            inputs = cached[layer] if frozen_all else self.images
            for n in s.labels_per_class:
                seed = derive(s.seed, split, n, li)

                def make(layer=layer, frozen_all=frozen_all, seed=seed, subset=subsets[n],
                         inputs=inputs):
                    return self.new_model(init, bseed, layer, frozen_all, seed) \
                        .standardise(inputs, subset)

                cell, model = self.cell(make, inputs, subsets[n], (init, layer, n, split),
                                        seed)
                cells.append(cell)
                self.keep(model, initial if frozen_all else model.backbone, cell)
        return cells

    def new_model(self, init: str, bseed: int, layer: str, frozen_all: bool, seed: int
                  ) -> Classifier:
        """A fresh head on ``layer``; on a fresh backbone with its frozen part fixed, or on
        the cached features when nothing below the head trains."""
        if frozen_all:
            return Classifier(None, layer, self.dims[layer], self.data.num_classes,
                              seed).to(self.device)
        backbone = self.start.build(init, bseed)
        frozen = self.frozen(backbone)
        for name, p in backbone.named_parameters():
            p.requires_grad_(name not in frozen)
        return Classifier(backbone, layer, backbone.dims[layer], self.data.num_classes,
                          seed).to(self.device)

    def cell(self, make, inputs: Inputs, subset: np.ndarray, key: tuple, seed: int
             ) -> tuple[Cell, Classifier]:
        """The lr chosen on validation, then the one read of the test split."""
        d, (init, layer, n, split) = self.data, key
        model, best, fits = choose_lr(make, inputs, d.labels, subset, d.splits.val,
                                      self.s.lr_grid, self.s.schedule, seed,
                                      tick=self.bar.update)
        top1, _ = measure(model, inputs, d.splits.test, d.labels)
        return Cell(init, layer, n, split, top1, best.lr, _measured(best),
                    best.best_iteration, best.stopped_early,
                    [_measured(f) for f in fits]), model

    def keep(self, model: Classifier, backbone, cell: Cell) -> None:
        """The checkpoint holds the first initialisation's model at the largest label
        count, split 0, on the last layer asked for."""
        s = self.s
        if (cell.init, cell.split, cell.labels_per_class, cell.layer) == \
                (s.inits[0], 0, s.labels_per_class[-1], s.layers[-1]):
            self.kept = (model.cpu(), backbone.cpu(), cell)


def _measured(fitted) -> float | None:
    """A fit's best validation top-1; None when it diverged before its first measurement."""
    return fitted.val_top1 if fitted.best_iteration else None
