"""``egoequiv embed``: features of every frame of a dataset, one row per frame in the
source's order, from a trained checkpoint."""

from __future__ import annotations

from egoequiv.cli.common import positive_int


def register(sub) -> None:
    p = sub.add_parser("embed", help="write features z(x) of a dataset's frames (.npy)",
                       description="Write the features z(x) of every frame of a dataset, "
                                   "computed by a trained checkpoint's network, as FEATURES.npy "
                                   "(N x D float32, one row per frame in the source's order), "
                                   "and beside it FEATURES.rows.csv naming each row's frame "
                                   "(image ref, sequence, time).")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt of a trained run")
    p.add_argument("--dataset", required=True,
                   help="dataset spec whose frames are embedded, in the source's order")
    p.add_argument("--out", required=True, help="FEATURES.npy to write (N x D float32)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--batch-size", type=positive_int, default=512,
                   help="frames per forward pass (default 512)")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.api import embed_dataset

    shape, rows = embed_dataset(args.checkpoint, args.dataset, args.out, args.device,
                                args.batch_size)
    print(f"{shape[0]} x {shape[1]} features -> {args.out} (rows: {rows})")
    return 0
