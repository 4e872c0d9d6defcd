"""``egoequiv report``: gather runs' metrics.json into one report.md with tables and plots."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("report", help="gather runs into report.md (tables and plots)",
                       description="Find every metrics.json under the given run directories; "
                                   "write OUT/report.md: a table per dataset (rows methods, "
                                   "columns measurements, mean ± std over seeds) and plots. A "
                                   "metrics.json beside another run's checkpoint.pt (the "
                                   "folder mixes two runs) is left out with a warning.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (searched "
                                                              "recursively for metrics.json)")
    p.add_argument("--out", help="output directory (default: the first RUN_DIR)")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys
    from pathlib import Path

    from egoequiv.errors import EgoequivError
    from egoequiv.evaluation.report import gather, write_report
    from egoequiv.training.checkpoint import mixed_folder

    missing = [r for r in args.runs if not Path(r).exists()]
    if missing:
        raise EgoequivError(f"run directory not found: {', '.join(missing)}")
    first = Path(args.runs[0])
    skipped: list[str] = []
    # a record beside another run's checkpoint (a metrics.json copied in) is left out, named
    runs = gather(args.runs, skipped,
                  check=lambda m: mixed_folder(m["_path"], m.get("run_id")))
    path = write_report(args.runs, args.out or (first.parent if first.is_file() else first),
                        runs, skipped)
    for w in skipped:
        print(f"egoequiv: warning: skipped {w}", file=sys.stderr)
    print(f"{len(runs)} runs -> {path}")
    return 0
