"""The registry of methods: ``METHODS = {name: class}``; one line per method. Each method
declares its own config keys (``hyperparameters``); ``resolve_config`` checks a run's, and
``method_needs`` says what its training batch holds."""

from __future__ import annotations

import dataclasses

from egoequiv.config import Config, field_names
from egoequiv.errors import ConfigError, EgoequivError
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.clsnet import ClsNet
from egoequiv.methods.continuous import EquivDrlimContinuous
from egoequiv.methods.drlim import Drlim
from egoequiv.methods.equiv import Equiv
from egoequiv.methods.equiv_drlim import EquivDrlim
from egoequiv.methods.hyperparameter import Hyperparameter, declared
from egoequiv.methods.lsm import Lsm
from egoequiv.methods.sie import EquivDrlimSie
from egoequiv.methods.simclr import Simclr
from egoequiv.methods.temporal import Temporal
from egoequiv.methods.vicreg import Vicreg
from egoequiv.utils.options import did_you_mean

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
        raise EgoequivError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}"
                            + did_you_mean(name, METHODS))
    return METHODS[name]


def method_needs(cfg: Config) -> Needs:
    """What ``cfg.method``'s training batch holds with ``cfg``'s keys (``Method.needs``)."""
    cls = method_class(cfg.method)
    return cls.needs(cls.read_hyperparameters(cfg.hyperparameters))


def all_hyperparameters() -> dict[str, tuple[Hyperparameter, list[str]]]:
    """Every method's keys: {key: (its declaration, the methods that read it)}."""
    out: dict[str, tuple[Hyperparameter, list[str]]] = {}
    for name, cls in METHODS.items():
        for key, hp in declared(cls).items():
            out.setdefault(key, (hp, []))[1].append(name)
    return out


def resolve_config(cfg: Config, strict: bool = True) -> Config:
    """``cfg`` with its method's keys checked and the unset ones at their declared defaults.

    A key no method declares, or one that ``cfg.method`` does not read, is a ConfigError
    (a value that would be ignored is a silent fallback); ``strict=False`` drops the keys of
    other methods instead (checkpoints of version 0.1 stored every method's keys)."""
    cls = method_class(cfg.method)
    own, every = declared(cls), all_hyperparameters()
    for key in cfg.hyperparameters:
        if not strict and key in every and key not in own:
            continue
        if key not in every:
            raise ConfigError(f"config: unknown config key {key!r} (valid keys: "
                              f"{', '.join(field_names() + sorted(every))})")
        if key not in own:
            raise ConfigError(f"config: method {cfg.method} does not read {key!r} (a key of "
                              f"{', '.join(every[key][1])}); its own keys: "
                              f"{', '.join(own) or 'none'}")
    values = {k: hp.parse(k, cfg.hyperparameters.get(k, hp.default)) for k, hp in own.items()}
    return dataclasses.replace(cfg, hyperparameters=values)


def describe(name: str | None = None) -> list[dict]:
    """One row per method (or ``name`` only) and key: method, key, default, meaning,
    allowed values; a method without keys gets one row with key None."""
    rows = []
    for method in [name] if name else list(METHODS):
        keys = declared(method_class(method))
        rows += [{"method": method, "key": k, "default": h.default, "meaning": h.doc,
                  "choices": list(h.choices)} for k, h in keys.items()] or \
            [{"method": method, "key": None, "default": None, "meaning": "", "choices": []}]
    return rows
