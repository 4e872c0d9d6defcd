"""Arguments shared by several sub-commands."""

from __future__ import annotations

import argparse

from egoequiv.config import Config, load_config, parse_overrides


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML or JSON file of settings (keys: see docs/config.md)")
    p.add_argument("--iters", type=int, help="training iterations")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key, e.g. --set lam=0.3 (repeatable)")


def config_from_args(args, **fixed) -> Config:
    overrides = parse_overrides(args.set)
    for key in ("iters", "seed", "device"):
        if getattr(args, key, None) is not None:
            overrides[key] = getattr(args, key)
    overrides.update({k: v for k, v in fixed.items() if v is not None})
    return load_config(args.config, overrides)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a clear usage error otherwise)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value
