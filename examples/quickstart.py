"""egoequiv from Python: train a tiny model, load it, embed images, export the backbone and
reload it into the plain backbone class, with the same features.

    python examples/quickstart.py [--dataset SPEC] [--out DIR]

The default dataset is a small rendered-objects set (rendered by egoequiv itself). The tests
run this file (tests/test_examples.py).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

import egoequiv
from egoequiv.models import BACKBONES  # noqa: F401  (the registry the export names)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset",
                   default="rendered-objects:instances=2,elevations=3,lightings=1,size=32")
    p.add_argument("--out", default=None, help="run folder (default: a temporary one)")
    args = p.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="egoequiv-quickstart-"))

    # 1. train: any config key is a keyword (progress on stderr; quiet=True for none)
    run = egoequiv.train(dataset=args.dataset, out=out / "run", method="equiv+drlim",
                         iters=30, image_size=32, batch_size=8, conv_channels=[8, 16],
                         hidden_dim=32, feature_dim=16)
    print("trained:", {k: run.metrics[k] for k in ("top1", "equivariance_error")})

    # 2. load and embed uint8 images of any size: resized and normalised as in training
    model = egoequiv.load(out / "run" / "checkpoint.pt")
    images = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 3), dtype=np.uint8)
    z = model.embed(images)
    print("features:", z.shape, "patterns:", model.pattern_labels)
    moved = model.maps(z, pattern=0)  # the learned map of motion pattern 0
    assert moved.shape == z.shape

    # 3. export the backbone, then rebuild it with plain torch and the exported files
    egoequiv_cli_export(out / "run" / "checkpoint.pt", out / "backbone.pt")
    spec = json.loads((out / "backbone.pt.json").read_text())
    module, name = spec["class"].rsplit(".", 1)
    cls = getattr(__import__(module, fromlist=[name]), name)
    plain = cls(**spec["kwargs"])
    plain.load_state_dict(torch.load(out / "backbone.pt", weights_only=True))
    plain.eval()
    # the dataset's frames as training saw them: uint8 (N, H, W, C) at the model's size
    inp = spec["input"]
    frames = egoequiv.frames(args.dataset, config=model.config)
    assert frames.shape[1:] == (inp["image_size"], inp["image_size"], inp["channels"])
    # the export's input: uint8 / 255, then per-channel mean and std, as (N, C, H, W)
    x = torch.from_numpy(frames[:8]).float() / 255
    x = ((x - torch.tensor(inp["mean"])) / torch.tensor(inp["std"])).permute(0, 3, 1, 2)
    with torch.no_grad():
        again = plain(x)[spec["feature_layer"]].numpy()
    assert np.allclose(again, model.embed(frames[:8]), atol=1e-5), \
        "exported backbone gives other features"
    print(f"export reloaded into {spec['class']}: same features ({inp['image_size']} px)")

    # 4. evaluate features of any model on a dataset (here: the embedding of every frame)
    measured = egoequiv.evaluate(model.embed(frames), dataset=args.dataset,
                                 metrics=["equivariance", "slowness"], config=model.config)
    print("evaluate:", {k: measured[k] for k in ("equivariance_error", "slowness_auroc")})


def egoequiv_cli_export(checkpoint: Path, out: Path) -> None:
    """What ``egoequiv export --checkpoint ... --out ... --program`` does."""
    from egoequiv.training.export import export_backbone

    export_backbone(checkpoint, out, program=True)


if __name__ == "__main__":
    main()
