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


def shadowing_folder() -> str | None:
    """``./egoequiv`` when Python started in this directory (``python -c``, ``python -m``, a
    notebook, a script kept here) would import it instead of this package: a folder without
    ``__init__.py`` (a clone's root) is a namespace package, and it wins over an install that
    a finder after ``sys.path`` provides (``pip install -e``). Python cannot hint at it then
    (``module 'egoequiv' has no attribute 'load'``), so the command does."""
    try:
        folder = os.path.join(os.getcwd(), "egoequiv")
    except OSError:  # the current directory is gone
        return None
    if not os.path.isdir(folder) or os.path.exists(os.path.join(folder, "__init__.py")):
        return None  # the common case: one stat
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("egoequiv", [os.path.dirname(folder), *sys.path])
    # a namespace package has no origin file; a regular package on sys.path wins over it
    return folder if spec is not None and spec.origin in (None, "namespace") else None


def main(argv: list[str] | None = None) -> int:
    # started as the command (not main([...]) from Python, which has imported egoequiv)
    if argv is None and (folder := shadowing_folder()):
        print(f"egoequiv: note: Python started in this directory imports {folder}/ (a folder "
              "without __init__.py) as `egoequiv` instead of the installed package (\"module "
              "'egoequiv' has no attribute 'load'\"); run Python scripts from another "
              "directory, or rename that folder (docs/api.md, \"When egoequiv.load is "
              "missing\")", file=sys.stderr)
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
