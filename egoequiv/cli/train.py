"""``egoequiv train``: train one method on one dataset."""

from __future__ import annotations

from egoequiv.cli.common import add_config_args, config_from_args, print_summary
from egoequiv.config import CHOICES


def register(sub) -> None:
    p = sub.add_parser("train", help="train a method on a dataset",
                       description="Train a method; writes OUT/checkpoint.pt and "
                                   "OUT/metrics.json.")
    p.add_argument("--dataset", required=True, help="dataset spec, e.g. eth80:PATH")
    p.add_argument("--labelled-dataset", metavar="SPEC",
                   help="take the labelled images from this dataset instead (e.g. pairs from "
                        "kitti-raw, labels from sun397:DIR)")
    p.add_argument("--method", help="a method of the README's table, e.g. equiv, clsnet, "
                                    "vicreg (default equiv+drlim)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--logger", choices=CHOICES["logger"],
                   help="live logs: metrics.csv (always), or also TensorBoard events in "
                        "OUT/tensorboard (the tensorboard extra), or a wandb run (offline in "
                        "OUT/wandb; the wandb extra)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="train every combination of these values (repeatable) as batched "
                        "runs of one method: one folder per member under OUT, listed in "
                        "OUT/grid.json; compare them with egoequiv report OUT")
    p.add_argument("--stack", choices=["auto", "vmap", "loop"], default="auto",
                   help="how a grid's members compute their steps: vmap (stacked, for "
                        "GPUs), loop (each member's step in turn: bit-identical to its run "
                        "alone), auto (vmap on a GPU, loop on a CPU)")
    add_config_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.methods import method_class
    from egoequiv.training.trainer import train
    from egoequiv.utils.device import end_distributed

    if args.method:
        method_class(args.method)  # fail fast, listing valid names
    cfg = config_from_args(args, method=args.method, logger=args.logger)
    if args.grid:
        return _grid(args, cfg)
    try:
        metrics = train(cfg, args.dataset, args.out, resume=args.resume, quiet=args.quiet,
                        labelled_dataset=args.labelled_dataset)
    finally:
        end_distributed()
    if metrics:
        print_summary(metrics, args.out)
    return 0



def _grid(args, cfg) -> int:
    from egoequiv.training.grid import parse_grid, train_grid

    def show(entry, m):
        top1, eq = m.get("top1"), m.get("equivariance_error")
        what = m["diverged"] if "diverged" in m else (
            f"top1 {'n/a' if top1 is None else f'{top1:.3f}'}, equivariance error "
            f"{'n/a' if eq is None else f'{eq:.3f}'}")
        print(f"{entry['folder']}: {what}")

    grid = parse_grid(args.grid)
    train_grid(cfg, args.dataset, args.out, grid, resume=args.resume, quiet=args.quiet,
               labelled_dataset=args.labelled_dataset, stack=args.stack, log=show)
    print(f"{args.out}/grid.json; compare the members: egoequiv report {args.out}")
    return 0
