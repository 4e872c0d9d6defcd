"""The registry of methods: ``METHODS = {name: class}``; one line per method."""

from egoequiv.errors import EgoequivError
from egoequiv.methods.base import Method
from egoequiv.methods.clsnet import ClsNet
from egoequiv.methods.continuous import EquivDrlimContinuous
from egoequiv.methods.drlim import Drlim
from egoequiv.methods.equiv import Equiv
from egoequiv.methods.equiv_drlim import EquivDrlim
from egoequiv.methods.lsm import Lsm
from egoequiv.methods.sie import EquivDrlimSie
from egoequiv.methods.simclr import Simclr
from egoequiv.methods.temporal import Temporal
from egoequiv.methods.vicreg import Vicreg

METHODS: dict[str, type[Method]] = {
    "clsnet": ClsNet,
    "drlim": Drlim,
    "temporal": Temporal,
    "lsm": Lsm,
    "equiv": Equiv,
    "equiv+drlim": EquivDrlim,
    "equiv+drlim-continuous": EquivDrlimContinuous,
    "equiv+drlim-sie": EquivDrlimSie,
    "vicreg": Vicreg,
    "simclr": Simclr,
}


def method_class(name: str) -> type[Method]:
    if name not in METHODS:
        raise EgoequivError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[name]
