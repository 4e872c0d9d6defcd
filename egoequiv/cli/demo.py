"""``egoequiv demo``: render the embedded data, train every method, write a report."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the paper's comparison on the embedded rendered data",
                       description="Render (or reuse) the default data sets, train every "
                                   "method, evaluate, and write OUT/report.md, "
                                   "OUT/results.json and PNG plots.")
    p.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    p.add_argument("--quick", action="store_true",
                   help="a small version: 14 runs of 80 iterations (about 1 minute on 2 CPU "
                        "cores)")
    p.add_argument("--seed", type=int, default=0,
                   help="base seed: label split k of every method uses seed + k (default 0)")
    p.add_argument("--device", default="auto",
                   help="auto (cuda when available, else cpu), cpu, cuda or cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.demo.runner import run_demo

    run_demo(args.out, quick=args.quick, seed=args.seed, device=args.device, quiet=args.quiet)
    return 0
