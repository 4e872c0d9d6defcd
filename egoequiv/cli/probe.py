"""``egoequiv probe``: the evaluation suite on features of any model (FEATURES.npy, one row per
frame of the source, in its order)."""

from __future__ import annotations

from egoequiv.cli.common import add_suite_args


def register(sub) -> None:
    p = sub.add_parser("probe", help="measure features of any model on a dataset",
                       description="Run the evaluation suite on given features; writes "
                                   "OUT/metrics.json and plots.")
    p.add_argument("--features", required=True, help="FEATURES.npy (N x D, source order)")
    p.add_argument("--dataset", required=True, help="dataset spec, e.g. eth80:PATH")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--name", help="method name in metrics.json (default: the file's stem)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and subsets")
    p.add_argument("--config", help="config file of the task (patterns, split, window)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key of the task (repeatable)")
    add_suite_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.api import evaluate
    from egoequiv.cli.common import print_summary, suite_options
    from egoequiv.config import load_config, parse_overrides

    cfg = load_config(args.config, {**parse_overrides(args.set), "seed": args.seed})
    metrics = evaluate(args.features, dataset=args.dataset, seed=args.seed, config=cfg,
                       out=args.out, name=args.name, **suite_options(args))
    print_summary(metrics, args.out)
    return 0
