"""``egoequiv probe``: the evaluation suite on features of any model (FEATURES.npy, one row per
frame of the source, in its order)."""

from __future__ import annotations

from pathlib import Path

from egoequiv.cli.common import add_suite_args, measure_and_write, parse_metrics


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
    import numpy as np

    from egoequiv.config import load_config, parse_overrides
    from egoequiv.errors import EgoequivError
    from egoequiv.evaluation.features import check_features
    from egoequiv.evaluation.suite import features_only, run_suite
    from egoequiv.training.trainer import prepare

    parse_metrics(args.metrics)  # fail before loading data
    path = Path(args.features)
    if not path.exists():
        raise EgoequivError(f"{path}: features file does not exist")
    try:
        z = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise EgoequivError(f"{path}: not a .npy array ({e})") from None
    if not isinstance(z, np.ndarray):
        raise EgoequivError(f"{path}: expected one .npy array, got a {type(z).__name__} "
                            "(save with numpy.save, not savez)")
    if z.ndim != 2:
        raise EgoequivError(f"{path}: expected an (N, D) array with D >= 1, got shape "
                            f"{tuple(z.shape)}")
    cfg = load_config(args.config, {**parse_overrides(args.set), "seed": args.seed})
    frames, task = prepare(cfg, args.dataset, quiet=True)
    z = check_features(z, len(frames), str(path))
    meta = {"method": args.name or path.stem, "dataset": args.dataset, "seed": args.seed,
            "source": "probe", "features": str(path), "feature_dim": int(z.shape[1])}
    measure_and_write(args, meta, lambda **options: features_only(run_suite(z, task,
                                                                          **options)))
    return 0
