"""The protocols ``egoequiv reproduce`` runs: data, methods, grids and budgets.

Values the paper states (paper-notes, "certain"): lr grid {0.1, 0.01, 0.001, 0.0001} for clsnet;
lam on a 10^0.5 grid with that lr fixed; for equiv+drlim only the equiv weight is searched and
drlim's is kept; batch 16 for NORB-NORB and KITTI-KITTI, 128 for KITTI-SUN; iterations where the
validation softmax loss starts rising. Everything else here is ours: the lam range, the
iteration budgets, the validation fraction, the patience, the number of label splits, and what
early stopping watches (``stop_metric``, validation top-1 by default; docs/reproduce.md).

``kitti-227`` is another kind (``TransferProtocol``): pretraining without labels, then
transfer by ``egoequiv finetune``. From the paper and its project page: AlexNet at 227 x 227
pretrained on KITTI video, pool5 + a linear classifier and full finetuning on scenes, 5, 10,
20, 50 labels per class (Agrawal et al.'s SUN protocol). Ours: the budgets, the batch sizes,
the finetuning schedule and the number of splits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace

from egoequiv.config import LR_GRID
from egoequiv.errors import EgoequivError


def keeps_drlim() -> tuple[str, ...]:
    """The methods whose equiv weight is searched with drlim's weight kept from drlim's
    search: those with a drlim_weight. (The registry is read when asked, so that the
    command line starts without torch.)"""
    from egoequiv.methods import METHODS
    from egoequiv.methods.hyperparameter import declared

    return tuple(m for m, cls in METHODS.items() if "drlim_weight" in declared(cls))


def with_methods(protocol):
    """``protocol`` with its methods named: ``()`` means every registered method."""
    from egoequiv.methods import METHODS

    return protocol if protocol.methods else replace(protocol, methods=tuple(METHODS))


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    dataset: str  # default dataset spec (--data replaces it)
    labelled: str | None = None  # labelled images from another source (KITTI -> SUN)
    needs_labelled: bool = False
    methods: tuple[str, ...] = ()  # () = every registered method (``with_methods``)
    config: dict = field(default_factory=dict)  # fixed settings of every run
    lr_grid: tuple[float, ...] = LR_GRID
    lam_exponents: tuple[float, float] = (-2.0, 1.5)  # lam = 10^e, e in steps of 0.5
    budget: int = 50_000  # iteration budget of every run (early stopping inside it)
    monitor_every: int = 1000  # validation measured every N iterations
    patience: int = 3  # evaluations without improvement before stopping
    splits: int = 5  # label splits of the final runs
    validation_fraction: float = 0.2

    def quick(self) -> Protocol:
        return replace(self, **QUICK)

    def choose_methods(self, names: list[str]) -> tuple[str, ...]:
        """``--methods``: these, with clsnet (its search picks the lr) and drlim where a
        method keeps drlim's weight."""
        keeps = ["drlim"] if any(m in keeps_drlim() for m in names) else []
        return tuple(dict.fromkeys(["clsnet", *keeps, *names]))


#: the two transfer readouts of a ``TransferProtocol``
READOUTS = ("linear", "finetuned")


@dataclass(frozen=True)
class TransferProtocol:
    name: str
    title: str
    dataset: str  # the unlabelled video (--data replaces it)
    methods: tuple[str, ...]
    config: dict = field(default_factory=dict)  # fixed settings of every pretraining run
    budget: int = 20_000  # pretraining iterations (ours: the paper's count is not known)
    linear_layer: str = "pool5"
    labels_per_class: tuple[int, ...] = (5, 10, 20, 50)  # Agrawal et al.'s SUN protocol
    splits: int = 3
    lr_grid: tuple[float, ...] = LR_GRID
    finetune_iters: int = 2000
    finetune_batch: int = 64
    needs_labelled: bool = True
    labelled: str | None = None

    def quick(self) -> TransferProtocol:
        return replace(self, **TRANSFER_QUICK)

    def choose_methods(self, names: list[str]) -> tuple[str, ...]:
        """``--methods``: exactly these (random init is always the baseline)."""
        return tuple(dict.fromkeys(names))

    def sizes(self) -> dict:
        """What ``--quick`` may change, for the plan line and the report."""
        return {"model": self.config.get("model", "smallnet"),
                "image_size": self.config.get("image_size"), "budget": self.budget,
                "labels_per_class": list(self.labels_per_class), "splits": self.splits,
                "lr_grid": list(self.lr_grid), "finetune_iters": self.finetune_iters,
                "linear_layer": self.linear_layer}


KITTI_227 = TransferProtocol(
    "kitti-227", "KITTI-227: pretrain on driving video without labels, transfer to scenes",
    "rendered-drive:size=227", ("equiv", "equiv+drlim", "drlim", "lsm", "vicreg"),
    config={"model": "alexnet", "image_size": 227, "batch_size": 32, "channels": 3})

#: what --quick changes: AlexNet at 227 takes about 10 s per pretraining step on 2 CPU
#: cores (80 images of equiv+drlim's streams), so the quick protocol runs the same stages
#: with the small network at 32 x 32, its lower layer (fc1) for the linear readout, one label
#: count and short schedules (<= 30 min on 2 CPU cores, docs/reproduce.md)
TRANSFER_QUICK = {
    "dataset": "rendered-drive:sequences=4,frames=50,size=32",
    "config": {"model": "smallnet", "image_size": 32, "batch_size": 16, "channels": 3},
    "budget": 3000, "linear_layer": "fc1", "labels_per_class": (10,), "splits": 5,
    "lr_grid": (0.1, 0.01, 0.001), "finetune_iters": 300, "finetune_batch": 32}


_SMALL = {"image_size": 32, "batch_size": 16, "labels_per_class": 5}

PROTOCOLS = {
    "norb": Protocol("norb", "NORB-NORB: view pairs and few labels of the same objects",
                     "rendered-objects", config=_SMALL),
    "kitti": Protocol("kitti", "KITTI-KITTI: video pairs and few labels of the same drives",
                      "rendered-drive", config={**_SMALL, "labels_per_class": 10}),
    "kitti-sun": Protocol("kitti-sun", "KITTI-SUN: video pairs from driving, labels from scenes",
                          "rendered-drive", needs_labelled=True,
                          config={**_SMALL, "batch_size": 128, "labels_per_class": 6}),
    "kitti-227": KITTI_227,  # pretrain, then transfer (``reproduce.pretrain_transfer``)
}

#: what --quick changes (<= 30 min for norb on 2 CPU cores; see docs/reproduce.md). Its
#: budget of 1500 iterations is too short for lr <= 0.001 to converge (clsnet's validation
#: top-1 then favours the barely trained, barely overfitted nets, and every method inherits
#: the rate), so the quick lr grid keeps the two largest values of the paper's grid. Every
#: run trains to the budget (patience 0): with one held-out object per class, validation
#: top-1 moves by chance from one evaluation to the next, and early stopping stopped runs at
#: 250 iterations on such noise.
QUICK = {"lr_grid": (0.1, 0.01), "lam_exponents": (-0.5, 0.5), "budget": 1500,
         "monitor_every": 250, "patience": 0, "splits": 3}


def get_protocol(name: str, quick: bool = False, **changes) -> Protocol:
    """Protocol ``name``, with ``--quick``'s changes if asked, then ``changes`` (``budget``,
    ``splits``, ``monitor_every``, any field of ``Protocol``)."""
    if name not in PROTOCOLS:
        raise KeyError(name)
    protocol = PROTOCOLS[name].quick() if quick else PROTOCOLS[name]
    fields = {f.name for f in dataclasses.fields(protocol)}
    alien = [k for k in changes if k not in fields]
    if alien:
        raise EgoequivError(f"protocol {name!r}: {', '.join(alien)} does not apply to it")
    return with_methods(replace(protocol, **changes))
