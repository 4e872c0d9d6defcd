"""A method's own setting: its default, its meaning and its check, declared in the method's
file (``hyperparameters = {"margin": MARGIN}``) and set as a flat config key like any other
(``--set margin=0.5``)."""

from __future__ import annotations

from dataclasses import dataclass

from egoequiv.config import coerce
from egoequiv.errors import ConfigError


@dataclass(frozen=True)
class Hyperparameter:
    default: float | int | str
    doc: str  # what it means and whose value the default is ("ours" or a paper's)
    choices: tuple = ()  # the allowed values of a string key
    positive: bool = False  # numbers must be > 0 (else >= 0)

    def parse(self, name: str, value, source: str = "config"):
        """``value`` cast to the default's type and checked; a one-line ConfigError if not."""
        value = coerce(name, value, self.default, source)
        if self.choices and value not in self.choices:
            raise ConfigError(f"{source}: {name} must be one of {list(self.choices)}, "
                              f"got {value!r}")
        if isinstance(value, (int, float)):
            if self.positive and not value > 0:
                raise ConfigError(f"{source}: {name} must be > 0, got {value!r}")
            if value < 0:
                raise ConfigError(f"{source}: {name} must be >= 0, got {value!r}")
        return value


def declared(cls) -> dict[str, Hyperparameter]:
    """A method class's keys: its own ``hyperparameters`` and those of the classes it extends."""
    out: dict[str, Hyperparameter] = {}
    for c in reversed(cls.__mro__):
        out.update(c.__dict__.get("hyperparameters", {}))
    return out
