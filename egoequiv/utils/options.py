"""A declared setting and the one caster of settings given as text or JSON.

Methods (their hyperparameters), backbones and data sources each declare their own settings
in their file as ``{"key": Option(default, meaning, ...)}``; a config key, ``--set KEY=VALUE``
and a dataset spec's ``key=value`` are all cast and checked here, so every one accepts the
same spellings (``yes``/``no`` for a flag, ``8,16`` for a list) and fails with the same
one-line error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from egoequiv.errors import ConfigError

_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")
#: how an error names what a key of each type expects
_EXPECTED = {bool: "bool (true/false, yes/no, 1/0)", list: "a list of integers"}


def cast(name: str, value, kind: type, source: str = "config"):
    """``value`` (text from a command line or spec, or a TOML/JSON value) as a ``kind``
    (bool, int, float, str, or list: a list of integers, ``"8,16"`` in text); a one-line
    ConfigError naming ``source`` and the key if it is not one."""
    try:
        return _CASTS.get(kind, str)(value)
    except (TypeError, ValueError):
        expected = _EXPECTED.get(kind, kind.__name__)
        raise ConfigError(f"{source}: {name} must be {expected}, got {value!r}") from None


def _to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, (str, int)) and text in _TRUE + _FALSE:
        return text in _TRUE
    raise ValueError(value)


def _to_int(value) -> int:
    if isinstance(value, bool):
        raise ValueError(value)  # JSON true is not a number
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        raise ValueError(value)
    return int(value)


def _to_float(value) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(value)
    return out


def _to_int_list(value) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    return [_to_int(v) for v in value]


_CASTS: dict[type, Callable] = {bool: _to_bool, int: _to_int, float: _to_float,
                                list: _to_int_list}


@dataclass(frozen=True)
class Option:
    """A setting's default, its meaning and its check.

    ``default`` None means "not set unless given" (``kind`` then gives the type, and ``doc``
    says what happens without it). ``check``, if given, raises ValueError with the reason a
    value is wrong (``dofs='up': expected planar or 6dof ...``)."""

    default: bool | int | float | str | list | None
    doc: str  # what it means and whose value the default is ("ours" or a paper's)
    choices: tuple = ()  # the allowed values of a text setting
    positive: bool = False  # numbers (and a list's entries) must be > 0, else >= 0
    kind: type | None = None  # the type when there is no default
    check: Callable | None = None

    def __post_init__(self):
        if self.default is None and self.kind is None:
            raise TypeError("an Option without a default needs kind= (its type)")

    @property
    def type(self) -> type:
        return self.kind or type(self.default)

    def parse(self, name: str, value, source: str = "config"):
        """``value`` cast to the option's type and checked; a one-line ConfigError if not."""
        value = cast(name, value, self.type, source)
        why = self._why_not(name, value)
        if why:
            raise ConfigError(f"{source}: {why}")
        return value

    def _why_not(self, name: str, value) -> str | None:
        if self.choices and value not in self.choices:
            return f"{name} must be one of {list(self.choices)}, got {value!r}" + \
                did_you_mean(value, self.choices)
        if self.type in (int, float, list):
            numbers = value if isinstance(value, list) else [value]
            if not numbers:
                return f"{name} must list at least one number, got {value!r}"
            if self.positive and not all(v > 0 for v in numbers):
                return f"{name} must be > 0, got {value!r}"
            if any(v < 0 for v in numbers):
                return f"{name} must be >= 0, got {value!r}"
        if self.check is not None:
            try:
                self.check(value)
            except ValueError as e:
                return str(e)
        return None


def parse_options(given: dict, declared: dict[str, Option], source: str) -> dict:
    """The ``given`` settings cast and checked by their declarations; a key that is not
    declared is a ConfigError listing the valid ones. Unset keys are left out."""
    unknown = [k for k in given if k not in declared]
    if unknown:
        raise ConfigError(f"{source}: unknown option {unknown[0]!r} (valid options: "
                          f"{', '.join(sorted(declared)) or 'none'})")
    return {k: declared[k].parse(k, v, source) for k, v in given.items()}


def with_defaults(given: dict, declared: dict[str, Option], source: str) -> dict:
    """Every declared setting: the given ones cast and checked, the others at their
    defaults (unknown keys are refused as by ``parse_options``)."""
    defaults = {k: list(o.default) if isinstance(o.default, list) else o.default
                for k, o in declared.items()}  # a list default is never shared
    return {**defaults, **parse_options(given, declared, source)}


def declared_on(cls, attribute: str) -> dict[str, Option]:
    """A class's settings in ``attribute``: its own and those of the classes it extends."""
    out: dict[str, Option] = {}
    for c in reversed(cls.__mro__):
        out.update(c.__dict__.get(attribute, {}))
    return out


def did_you_mean(name, known) -> str:
    """'' or "; did you mean 'x'?" for the known name closest to a mistyped one."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
