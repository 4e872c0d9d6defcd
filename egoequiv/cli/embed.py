"""``egoequiv embed``: features of every frame of a dataset, one row per frame in the
source's order, from a trained checkpoint."""

from __future__ import annotations

from pathlib import Path

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
    import numpy as np

    from egoequiv.data.cache import load_frames
    from egoequiv.data.registry import open_source
    from egoequiv.evaluation.features import extract_features, write_row_index
    from egoequiv.training.checkpoint import load_run
    from egoequiv.utils.atomic import atomic_save_npy
    from egoequiv.utils.device import resolve_device

    device = resolve_device(args.device)
    run_ = load_run(args.checkpoint, device)
    frames = load_frames(open_source(args.dataset), run_.cfg.image_size,
                         run_.shape["in_channels"])
    z, _ = extract_features(run_.method, frames.images, run_.normalizer, device,
                            args.batch_size)
    out = Path(args.out)
    atomic_save_npy(out, z.astype(np.float32))
    rows = write_row_index(out, frames.table)
    print(f"{z.shape[0]} x {z.shape[1]} features -> {out} (rows: {rows})")
    return 0
