"""The ``egoequiv`` command: one sub-command per module, registered in ``COMMANDS``."""

from __future__ import annotations

import argparse
import os
import sys

from egoequiv.errors import EgoequivError

# Each entry is a module path exposing ``register(subparsers)``, which adds one sub-command
# whose ``func(args) -> int`` runs it. Imported lazily so ``egoequiv --help`` stays fast.
COMMANDS = [
    "egoequiv.cli.demo",
    "egoequiv.cli.train",
    "egoequiv.cli.methods",
    "egoequiv.cli.listings",
    "egoequiv.cli.embed",
    "egoequiv.cli.export",
    "egoequiv.cli.data",
    "egoequiv.cli.eval",
    "egoequiv.cli.probe",
    "egoequiv.cli.finetune",
    "egoequiv.cli.report",
    "egoequiv.cli.reproduce",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="egoequiv",
        description="Learn image features tied to egomotion (Jayaraman & Grauman, IJCV 2017).",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def _version() -> str:
    from egoequiv import __version__

    return f"egoequiv {__version__}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EgoequivError as e:
        print(f"egoequiv: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # training says where it saved its checkpoint
        print(f"egoequiv: {e or 'interrupted'}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
