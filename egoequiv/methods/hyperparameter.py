"""A method's own setting: its default, its meaning and its check, declared in the method's
file (``hyperparameters = {"margin": MARGIN}``) and set as a flat config key like any other
(``--set margin=0.5``). It is the ``Option`` that backbones and data sources declare too
(``egoequiv/utils/options.py``): one type, one caster."""

from __future__ import annotations

from egoequiv.utils.options import Option, declared_on

Hyperparameter = Option


def declared(cls) -> dict[str, Option]:
    """A method class's keys: its own ``hyperparameters`` and those of the classes it extends."""
    return declared_on(cls, "hyperparameters")
