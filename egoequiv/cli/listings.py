"""``egoequiv backbones`` and ``egoequiv sources``: the registered backbones and data sources,
each with its own options, their defaults and meanings (as ``egoequiv methods`` for methods)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("backbones", help="list the backbones and their own config keys",
                       description="Each backbone (config key model), its layers and its own "
                                   "keys (set with --set KEY=VALUE or in the config file), "
                                   "with defaults and meanings.")
    p.add_argument("backbone", nargs="?", help="one backbone (default: all)")
    p.set_defaults(func=run_backbones)
    p = sub.add_parser("sources", help="list the data sources and their spec options",
                       description="Each data source (--dataset NAME:PATH,key=value,...) "
                                   "and its options, with defaults and meanings.")
    p.add_argument("source", nargs="?", help="one source (default: all)")
    p.set_defaults(func=run_sources)


def run_backbones(args) -> int:
    from egoequiv.models import describe

    for line in listing(describe(args.backbone), "backbone", "keys",
                        lambda row: f" (layers {', '.join(row['layers'])})"):
        print(line)
    return 0


def run_sources(args) -> int:
    from egoequiv.data.registry import describe

    for line in listing(describe(args.source), "source", "options"):
        print(line)
    return 0


def listing(rows: list[dict], owner: str, what: str, about=lambda row: "") -> list[str]:
    """One heading per ``owner`` (``about(row)`` after its name), then one line per key:
    ``key = default (one of ...): meaning``."""
    lines, last = [], None
    for row in rows:
        if row[owner] != last:
            lines.append(f"{row[owner]}{about(row)}" + ("" if row["key"] else
                                                       f": no {what} of its own"))
            last = row[owner]
        if row["key"]:
            default = "(no default)" if row["default"] is None else f"= {row['default']!r}"
            allowed = f" (one of {', '.join(map(str, row['choices']))})" \
                if row["choices"] else ""
            lines.append(f"  {row['key']} {default}{allowed}: {row['meaning']}")
    return lines
