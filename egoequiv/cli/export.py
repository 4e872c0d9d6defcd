"""``egoequiv export``: a checkpoint's backbone as a plain state_dict (and TorchScript)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("export", help="write a trained backbone as a plain PyTorch state_dict",
                       description="Write the backbone of a checkpoint as a state_dict with no "
                                   "egoequiv keys (OUT), its class and constructor arguments "
                                   "and input normalisation (OUT.json), and with --program a "
                                   "torch.export program (OUT.pt2). See docs/api.md.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt of a trained run")
    p.add_argument("--out", required=True, help="file to write, e.g. backbone.pt")
    p.add_argument("--program", action="store_true",
                   help="also write OUT.pt2, a torch.export program (TorchScript's successor)")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.training.export import export_backbone

    for path in export_backbone(args.checkpoint, args.out, args.program):
        print(f"wrote {path}")
    return 0
