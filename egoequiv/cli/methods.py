"""``egoequiv methods``: the registered methods and each one's own config keys."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("methods", help="list the methods and their own config keys",
                       description="Each method's own keys (set with --set KEY=VALUE or in "
                                   "the config file), with defaults and meanings.")
    p.add_argument("method", nargs="?", help="one method (default: all)")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.methods import describe

    last = None
    for row in describe(args.method):
        if row["method"] != last:
            print(f"{row['method']}" + ("" if row["key"] else ": no keys of its own"))
            last = row["method"]
        if row["key"]:
            allowed = f" (one of {', '.join(row['choices'])})" if row["choices"] else ""
            print(f"  {row['key']} = {row['default']!r}{allowed}: {row['meaning']}")
    return 0
