"""``egoequiv probe``: the evaluation suite on features of any model (FEATURES.npy, one row per
frame of the source, in its order); also the shared writer used by ``egoequiv eval``."""

from __future__ import annotations

from pathlib import Path

from egoequiv.cli.common import positive_int


def add_suite_args(p) -> None:
    p.add_argument("--metrics", help="comma-separated subset of: recognition, equivariance, "
                                     "learned_maps, composite, slowness, ranking, egomotion, "
                                     "next_best_view, retrieval (default: all that apply)")
    p.add_argument("--labels-per-class", type=positive_int, default=10,
                   help="labelled images per class for the probes (default 10)")
    p.add_argument("--splits", type=positive_int, default=5,
                   help="random labelled subsets, mean and std reported (default 5)")
    p.add_argument("--max-pairs", type=positive_int, default=50_000,
                   help="pairs per measurement; a seeded sample beyond (default 50000)")
    p.add_argument("--no-plots", action="store_true", help="write metrics.json only")


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


def parse_metrics(text: str | None) -> list[str] | None:
    from egoequiv.errors import EgoequivError
    from egoequiv.evaluation.suite import METRICS

    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise EgoequivError(f"--metrics: unknown {unknown}; known: {', '.join(METRICS)}")
    return names


def evaluate_and_write(z, task, args, meta: dict, measure=None) -> dict:
    """Measure with the command's options, write OUT/metrics.json (meta + results), return it.

    ``measure(**options)`` does the measuring (default: ``run_suite`` on ``z`` and ``task``).
    """
    from egoequiv.evaluation.suite import run_suite
    from egoequiv.utils.atomic import atomic_write_json

    out = Path(args.out)
    options = dict(metrics=parse_metrics(args.metrics), seed=meta["seed"],
                   out_dir=None if args.no_plots else out,
                   labels_per_class=args.labels_per_class, splits=args.splits,
                   max_pairs=args.max_pairs)
    result = measure(**options) if measure else run_suite(z, task, **options)
    if measure is None:  # features alone have no head: their accuracy is the probe's
        for key in ("top1", "top1_std", "top1_source"):
            result.pop(key, None)
    metrics = {**meta, **result}
    atomic_write_json(out / "metrics.json", metrics)
    summary = ", ".join(f"{k} {metrics[k]:.3f}" for k in
                        ("top1", "probe_top1", "equivariance_error", "slowness_auroc", "mrr")
                        if isinstance(metrics.get(k), float))
    print(f"{meta['method']} on {meta['dataset']}: {summary or 'no measurement'} "
          f"-> {out / 'metrics.json'}")
    return metrics


def run(args) -> int:
    import numpy as np

    from egoequiv.config import load_config, parse_overrides
    from egoequiv.errors import EgoequivError
    from egoequiv.evaluation.features import check_features
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
    evaluate_and_write(z, task, args, meta)
    return 0
