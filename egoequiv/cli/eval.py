"""``egoequiv eval``: the full evaluation suite on a trained checkpoint."""

from __future__ import annotations


def register(sub) -> None:
    from egoequiv.cli.common import add_suite_args

    p = sub.add_parser("eval", help="evaluate a trained checkpoint (every measurement)",
                       description="Run the evaluation suite on a checkpoint's features; "
                                   "writes OUT/metrics.json and plots, and names on stderr "
                                   "each measurement it skipped, with the reason.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt of a run")
    p.add_argument("--dataset", help="dataset spec (default: the one it was trained on)")
    p.add_argument("--labelled-dataset", metavar="SPEC",
                   help="labelled images from this dataset (default: as in training)")
    p.add_argument("--out", help="output directory (default: CHECKPOINT_DIR/eval)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--test", action="store_true",
                   help="measure on the test split even when the run held out a validation "
                        "split (validation_fraction), once the choices are made on it")
    add_suite_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from egoequiv.api import evaluate_checkpoint
    from egoequiv.cli.common import print_summary, suite_options
    from egoequiv.errors import EgoequivError

    out = args.out or str(Path(args.checkpoint).resolve().parent / "eval")
    try:
        metrics = evaluate_checkpoint(args.checkpoint, dataset=args.dataset,
                                      labelled_dataset=args.labelled_dataset, out=out,
                                      device=args.device, test=args.test,
                                      **suite_options(args))
    except ValueError as e:  # finite weights can still give non-finite features
        if "NaN or infinity" not in str(e):
            raise
        raise EgoequivError(f"{args.checkpoint}: its model's features on "
                            f"{args.dataset or 'its dataset'} hold NaN or infinity (the "
                            "weights overflow on these frames); nothing measured") from None
    print_summary(metrics, out)
    return 0
