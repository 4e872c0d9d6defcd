"""Arguments shared by several sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from egoequiv.config import Config, load_config, parse_overrides
from egoequiv.evaluation import record
from egoequiv.evaluation.context import PROBE_LABELS_PER_CLASS
from egoequiv.evaluation.suite import METRICS


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


def add_suite_args(p) -> None:
    p.add_argument("--metrics", help=f"comma-separated subset of: {', '.join(METRICS)} "
                                     "(default: all that apply)")
    p.add_argument("--labels-per-class", type=positive_int,
                   help="labelled images per class for the probes (default: the run's own "
                        f"labels_per_class, else {PROBE_LABELS_PER_CLASS})")
    p.add_argument("--splits", type=positive_int, default=5,
                   help="random labelled subsets, mean and std reported (default 5)")
    p.add_argument("--max-pairs", type=positive_int, default=50_000,
                   help="pairs per measurement; a seeded sample beyond (default 50000)")
    p.add_argument("--no-plots", action="store_true", help="write metrics.json only")


def suite_options(args) -> dict:
    """The suite's options from the command's arguments (see ``add_suite_args``)."""
    metrics = [n.strip() for n in args.metrics.split(",") if n.strip()] \
        if args.metrics else None
    return dict(metrics=metrics, labels_per_class=args.labels_per_class, splits=args.splits,
                max_pairs=args.max_pairs, plots=not args.no_plots)


def print_summary(metrics: dict, out) -> None:
    """One line: the headline measurements and where metrics.json went."""
    summary = ", ".join(f"{k} {metrics[k]:.3f}" for k in
                        ("top1", "probe_top1", "equivariance_error", "slowness_auroc", "mrr")
                        if isinstance(metrics.get(k), float))
    print(f"{metrics['method']} on {metrics['dataset']}: {summary or 'no measurement'} "
          f"-> {Path(out) / record.FILE}")
