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
    from egoequiv.api import embed_dataset

    shape, rows = embed_dataset(args.checkpoint, args.dataset, args.out, args.device,
                                args.batch_size)
    _refuse_non_finite(Path(args.out), rows, args.checkpoint)
    print(f"{shape[0]} x {shape[1]} features -> {args.out} (rows: {rows})")
    return 0


def _refuse_non_finite(out: Path, rows: Path, checkpoint: str) -> None:
    """Features with NaN or infinity are removed again and refused: a features file must
    never hold them (the checkpoint's weights were checked; these overflowed on the data)."""
    import numpy as np

    from egoequiv.errors import EgoequivError

    z = np.load(out, mmap_mode="r")
    bad = sum(int((~np.isfinite(z[s:s + 4096])).any(axis=1).sum())
              for s in range(0, len(z), 4096))
    if bad:
        for path in (out, Path(rows)):
            path.unlink(missing_ok=True)
        raise EgoequivError(f"{checkpoint}: {bad} of {len(z)} frames' features hold NaN or "
                            f"infinity (the model overflows on these frames); {out} not "
                            "written")
