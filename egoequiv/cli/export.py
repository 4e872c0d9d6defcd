"""``egoequiv export``: a checkpoint's backbone as a plain state_dict or safetensors (and a
torch.export program), or the whole model as a Hugging Face-style folder."""

from __future__ import annotations

FORMATS = ("pt", "safetensors", "pretrained")


def register(sub) -> None:
    p = sub.add_parser("export", help="write a trained backbone as plain PyTorch / safetensors "
                                      "files, or a model folder",
                       description="Write the backbone of a checkpoint as a state_dict with no "
                                   "egoequiv keys (OUT; --format safetensors: a safetensors "
                                   "file), its class and constructor arguments and input "
                                   "normalisation (OUT.json), and with --program a "
                                   "torch.export program (OUT.pt2). --format pretrained writes "
                                   "the whole model as a folder OUT (config.json + "
                                   "model.safetensors) for egoequiv.from_pretrained and "
                                   "`huggingface-cli upload`. See docs/api.md.")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt of a trained run")
    p.add_argument("--out", required=True,
                   help="file to write, e.g. backbone.pt or model.safetensors (a folder with "
                        "--format pretrained)")
    p.add_argument("--format", choices=FORMATS, default="pt",
                   help="pt (torch.save state_dict, default), safetensors, or pretrained "
                        "(a config.json + model.safetensors folder)")
    p.add_argument("--program", action="store_true",
                   help="also write OUT.pt2, a torch.export program (TorchScript's successor)")
    p.set_defaults(func=run)


def run(args) -> int:
    from egoequiv.errors import EgoequivError
    from egoequiv.training.export import export_backbone

    if args.format == "pretrained":
        if args.program:
            raise EgoequivError("--program writes a backbone's program; use it with "
                                "--format pt or safetensors")
        from egoequiv.training.checkpoint import load_run
        from egoequiv.training.pretrained import save_pretrained

        written = save_pretrained(load_run(args.checkpoint), args.out)
    else:
        written = export_backbone(args.checkpoint, args.out, args.program, args.format)
    for path in written:
        print(f"wrote {path}")
    return 0
