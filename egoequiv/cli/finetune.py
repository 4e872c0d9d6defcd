"""``egoequiv finetune``: a pretrained backbone with a new softmax head on labelled images,
against the same architecture from a random initialisation (docs/finetune.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from egoequiv.cli.common import positive_int
from egoequiv.config import LR_GRID


def _list(kind, what: str):
    """argparse type: comma-separated values of ``kind`` (a clear usage error otherwise)."""
    def parse(text: str):
        try:
            values = [kind(v.strip()) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got "
                                             f"{text!r}") from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got nothing")
        return values
    return parse


def register(sub) -> None:
    p = sub.add_parser(
        "finetune", help="finetune a pretrained backbone on labelled images, against random "
                         "init",
        description="Finetune the backbone of a checkpoint (or an export) with a new softmax "
                    "head on a labelled source: per initialisation, label count and layer, "
                    "the lr chosen on validation images carved out of the training split, "
                    "scored once on the test split; top-1 mean ± std over label splits. "
                    "Writes OUT/metrics.json, OUT/report.md (+ plot) and OUT/checkpoint.pt. "
                    "See docs/finetune.md.")
    start = p.add_mutually_exclusive_group(required=True)
    start.add_argument("--checkpoint", help="checkpoint.pt of a trained run")
    start.add_argument("--backbone", metavar="EXPORT",
                       help="a file written by egoequiv export (beside its .json)")
    p.add_argument("--dataset", required=True,
                   help="labelled source spec, e.g. imagefolder:DIR, sun397:DIR, eth80:DIR")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--init", type=_list(str, "initialisations"),
                   default=["pretrained", "random"],
                   help="pretrained, random, or both (default pretrained,random: random is "
                        "the same architecture and schedule from scratch)")
    p.add_argument("--labels-per-class", type=_list(int, "integers"), default=[5, 10, 20],
                   help="labelled training images per class, e.g. 5,10,20 (default)")
    p.add_argument("--splits", type=positive_int, default=3,
                   help="random label splits per count; mean ± std over them (default 3)")
    p.add_argument("--freeze", default="none",
                   help="none (default: all trains), all (linear classifier on frozen "
                        "features), or a layer: it and everything below stay fixed")
    p.add_argument("--layers", type=_list(str, "layer names"),
                   help="layers the head reads, one evaluation each (default: the top one), "
                        "e.g. fc1,fc2; with --freeze all a linear evaluation per layer")
    p.add_argument("--lr-grid", type=_list(float, "numbers"), default=list(LR_GRID),
                   help="lrs tried; the best on validation is kept (default "
                        f"{','.join(f'{x:g}' for x in LR_GRID)}, the paper's for clsnet)")
    p.add_argument("--iters", type=positive_int, default=300,
                   help="iterations per run at most (default 300)")
    p.add_argument("--batch-size", type=positive_int, default=32, help="(default 32)")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="(default 5e-4)")
    p.add_argument("--eval-every", type=positive_int, default=25,
                   help="iterations between validation measurements (default 25)")
    p.add_argument("--patience", type=int, default=4,
                   help="stop after this many measurements without improvement; 0: never "
                        "(default 4)")
    p.add_argument("--val-fraction", type=float, default=0.2,
                   help="fraction of each class's training groups held out for validation "
                        "(default 0.2)")
    p.add_argument("--test-fraction", type=float, default=0.5,
                   help="for a source without its own test split: fraction of sequences "
                        "held out (default 0.5)")
    p.add_argument("--seed", type=int, default=0, help="(default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.evaluation import record
    from egoequiv.transfer import finetune

    result = finetune(args.checkpoint, backbone=args.backbone, dataset=args.dataset,
                      out=args.out, init=args.init, labels_per_class=args.labels_per_class,
                      splits=args.splits, freeze=args.freeze, layers=args.layers,
                      lr_grid=args.lr_grid, iters=args.iters, batch_size=args.batch_size,
                      weight_decay=args.weight_decay, eval_every=args.eval_every,
                      patience=args.patience, val_fraction=args.val_fraction,
                      test_fraction=args.test_fraction, seed=args.seed, device=args.device,
                      quiet=args.quiet)
    for warning in result["warnings"]:
        print(f"egoequiv: warning: {warning}", file=sys.stderr)
    for row in result["finetune"]:
        t = row["top1"]
        spread = f" ± {t['std']:.3f}" if t and t["std"] is not None else ""
        print(f"{row['init']:>10} {row['layer']} {row['labels_per_class']:>4} labels/class: "
              f"top-1 {t['mean']:.3f}{spread}" if t else "not measured")
    out = Path(args.out)
    print(f"wrote {out / record.FILE}, {out / 'report.md'}, {out / 'checkpoint.pt'}")
    return 0
