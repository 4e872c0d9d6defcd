"""``egoequiv reproduce``: the paper's protocol (cross-validation, final runs, controls)."""

from __future__ import annotations

from egoequiv.cli.common import positive_int


def register(sub) -> None:
    from egoequiv.reproduce.protocols import PROTOCOLS

    p = sub.add_parser(
        "reproduce", help="the paper's protocol: cross-validated choices, splits, controls",
        description="norb, kitti, kitti-sun: pick lr for clsnet, then lam per method, on a "
                    "validation split carved from the training instances; then train every "
                    "method on several label splits and measure it beside raw pixels and an "
                    "untrained network. kitti-227: pretrain each method on driving video "
                    "without labels, then transfer (linear on frozen pool5, and finetuned) "
                    "to --labelled scenes beside random init. Writes OUT/results.json, "
                    "OUT/report.md and PNG plots; a second call resumes.")
    p.add_argument("protocol", choices=sorted(PROTOCOLS),
                   help="norb (view pairs), kitti (video pairs), kitti-sun (video pairs, "
                        "labels from scenes), kitti-227 (pretrain on video, transfer to "
                        "scenes)")
    p.add_argument("--data", metavar="SPEC",
                   help="dataset spec (default: the protocol's rendered set; e.g. "
                        "smallnorb:DIR, kitti-raw:DIR)")
    p.add_argument("--labelled", metavar="SPEC",
                   help="labelled images from this source (kitti-sun, kitti-227: "
                        "sun397:DIR or imagefolder:DIR)")
    p.add_argument("--quick", action="store_true",
                   help="small grids and budgets (norb, kitti-227: about 30 minutes on 2 CPU "
                        "cores)")
    p.add_argument("--budget", type=positive_int, metavar="N",
                   help="iteration budget of every run (kitti-227: of every pretraining; "
                        "replaces the protocol's or --quick's)")
    p.add_argument("--splits", type=positive_int, metavar="K",
                   help="label splits of the final runs (replaces the protocol's)")
    p.add_argument("--monitor-every", type=positive_int, metavar="N",
                   help="validation measurements every N iterations (replaces the "
                        "protocol's)")
    p.add_argument("--methods", metavar="M1,M2,...",
                   help="only these methods (default: every registered method; kitti-227: "
                        "its five); clsnet is added (its search picks the lr), and drlim with "
                        "equiv+drlim (whose drlim weight is drlim's); kitti-227 takes them "
                        "as given")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--unbatched", action="store_true",
                   help="train every run alone (default: the runs of a stage that differ "
                        "only in numbers train as one batch: on a CPU with the same numbers, "
                        "on a GPU stacked, equal to float rounding per step)")
    p.add_argument("--seed", type=int, default=0, help="seed of split 0 (split k: seed + k)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--jobs", type=positive_int,
                   help="runs at a time (default: one per core up to 8 on a CPU, 1 on a GPU); "
                        "the numbers depend on it (threads per run), not only on the seed")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.methods import method_class
    from egoequiv.reproduce.protocols import PROTOCOLS, get_protocol
    from egoequiv.reproduce.runner import reproduce

    changes = {k: v for k, v in (("budget", args.budget), ("splits", args.splits),
                                 ("monitor_every", args.monitor_every)) if v is not None}
    if args.methods:
        names = [m.strip() for m in args.methods.split(",") if m.strip()]
        for m in names:
            method_class(m)  # an unknown name lists the valid ones
        changes["methods"] = PROTOCOLS[args.protocol].choose_methods(names)
    reproduce(get_protocol(args.protocol, args.quick, **changes), args.out, data=args.data,
              labelled=args.labelled, quick=args.quick, seed=args.seed, device=args.device,
              jobs=args.jobs, batched=not args.unbatched)
    return 0
