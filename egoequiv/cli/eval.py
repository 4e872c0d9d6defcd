"""``egoequiv eval``: the full evaluation suite on a trained checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    from egoequiv.cli.common import add_suite_args

    p = sub.add_parser("eval", help="evaluate a trained checkpoint (every measurement)",
                       description="Run the evaluation suite on a checkpoint's features; "
                                   "writes OUT/metrics.json and plots.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt of a run")
    p.add_argument("--dataset", help="dataset spec (default: the one it was trained on)")
    p.add_argument("--labelled-dataset", metavar="SPEC",
                   help="labelled images from this dataset (default: as in training)")
    p.add_argument("--out", help="output directory (default: CHECKPOINT_DIR/eval)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    add_suite_args(p)
    p.set_defaults(func=run)


def _use_patterns(task, patterns, motor: list | None) -> bool:
    """Use the checkpoint's motion patterns (those its maps were trained on) when the data's
    motor readings are the same quantities in the same units; returns whether it did."""
    spec = task.table.motor_spec
    same = [(m["name"], m["unit"]) for m in motor] == list(zip(spec.names, spec.units)) \
        if motor else len(patterns.scale) == spec.dim
    if not same:
        return False
    task.patterns = patterns
    for pairs in (task.pairs, task.test_pairs):
        pairs.pattern = patterns.assign(pairs.motion)
    return True


def run(args) -> int:
    from egoequiv.cli.common import measure_and_write, parse_metrics
    from egoequiv.errors import DataError, EgoequivError
    from egoequiv.evaluation.model import evaluate_model
    from egoequiv.training.checkpoint import load_run
    from egoequiv.training.trainer import prepare
    from egoequiv.utils.device import resolve_device

    parse_metrics(args.metrics)  # fail before loading data
    device = resolve_device(args.device)
    run_ = load_run(args.checkpoint, device)
    cfg = run_.cfg
    dataset = args.dataset or run_.dataset
    labelled = args.labelled_dataset or (None if args.dataset else run_.labelled_dataset)
    try:
        _, task = prepare(cfg, dataset, quiet=True, labelled_dataset=labelled,
                          channels=run_.shape["in_channels"])
    except DataError as e:
        if args.dataset:
            raise
        raise EgoequivError(f"{e} (the dataset this checkpoint was trained on; pass "
                            "--dataset SPEC to evaluate on data where it is now)") from None
    notes = []
    own = _use_patterns(task, run_.patterns, run_.shape.get("motor"))
    if not own:
        notes.append(f"{dataset} has other motor readings than the training data "
                     f"({run_.dataset}): equivariance uses this dataset's own motion patterns, "
                     "and the learned maps are not measured")
    head = run_.shape.get("num_classes") or 0
    use_head = bool(head) and head == task.num_classes
    if head and not use_head:
        notes.append(f"the checkpoint's head has {head} classes, {dataset} has "
                     f"{task.num_classes or 'no'}: top-1 comes from a linear probe on its "
                     "own labels")
    for note in notes:
        print(f"egoequiv: warning: {note}", file=sys.stderr)
    args.out = args.out or str(Path(args.checkpoint).resolve().parent / "eval")
    meta = {"method": cfg.method, "dataset": dataset, "seed": cfg.seed, "notes": notes,
            "label_split": cfg.label_split, "source": "eval", "checkpoint": str(args.checkpoint),
            "iteration": run_.iteration, "feature_dim": int(run_.method.feature_dim)}
    measure_and_write(args, meta, lambda **options: evaluate_model(
        run_.method, task, run_.normalizer, device, learned_maps=own,
        use_head=use_head, title=f"{cfg.method} on {dataset}", **options))
    return 0
