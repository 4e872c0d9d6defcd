"""The protocols ``egoequiv reproduce`` runs: data, methods, grids and budgets.

Values the paper states (paper-notes, "certain"): lr grid {0.1, 0.01, 0.001, 0.0001} for clsnet;
lam on a 10^0.5 grid with that lr fixed; for equiv+drlim only the equiv weight is searched and
drlim's is kept; batch 16 for NORB-NORB and KITTI-KITTI, 128 for KITTI-SUN; iterations where the
validation softmax loss starts rising. Everything else here is ours: the lam range, the
iteration budgets, the validation fraction, the patience, the number of label splits, and what
early stopping watches (``stop_metric``, validation top-1 by default; docs/reproduce.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from egoequiv.config import LR_GRID


def keeps_drlim() -> tuple[str, ...]:
    """The methods whose equiv weight is searched with drlim's weight kept from drlim's
    search: those with a drlim_weight. (The registry is read when asked, so that the
    command line starts without torch.)"""
    from egoequiv.methods import METHODS
    from egoequiv.methods.hyperparameter import declared

    return tuple(m for m, cls in METHODS.items() if "drlim_weight" in declared(cls))


def with_methods(protocol: Protocol) -> Protocol:
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


_SMALL = {"image_size": 32, "batch_size": 16, "labels_per_class": 5}

PROTOCOLS = {
    "norb": Protocol("norb", "NORB-NORB: view pairs and few labels of the same objects",
                     "rendered-objects", config=_SMALL),
    "kitti": Protocol("kitti", "KITTI-KITTI: video pairs and few labels of the same drives",
                      "rendered-drive", config={**_SMALL, "labels_per_class": 10}),
    "kitti-sun": Protocol("kitti-sun", "KITTI-SUN: video pairs from driving, labels from scenes",
                          "rendered-drive", needs_labelled=True,
                          config={**_SMALL, "batch_size": 128, "labels_per_class": 6}),
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
    protocol = PROTOCOLS[name]
    return with_methods(replace(protocol, **{**(QUICK if quick else {}), **changes}))
