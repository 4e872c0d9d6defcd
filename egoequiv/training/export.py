"""``egoequiv export``: a trained backbone as plain PyTorch files.

- ``OUT`` (e.g. backbone.pt): the backbone's ``state_dict`` alone (no egoequiv keys), saved
  with ``torch.save``; it loads into the documented class with ``weights_only=True``;
- ``OUT.json``: the class (``egoequiv.models.SmallConvNet``, ``AlexNet``, ``ResNet18``), its
  constructor's arguments, its layers and widths, and the input normalisation (per-channel
  mean and std of uint8 / 255, HxWxC -> CxHxW, squashed to image_size);
- with ``program=True``, ``OUT.pt2``: the backbone as a ``torch.export`` program (any batch
  size), loadable with ``torch.export.load(path).module()`` without egoequiv installed.
  (not TorchScript: current torch deprecates ``torch.jit.script`` in favour of
  ``torch.export``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from egoequiv.training.checkpoint import load_run
from egoequiv.utils.atomic import atomic_torch_save, atomic_write_text


def export_backbone(checkpoint: str | Path, out: str | Path,
                    program: bool = False) -> list[Path]:
    """Write the checkpoint's backbone (see the module doc); the paths written."""
    run = load_run(checkpoint, torch.device("cpu"))
    backbone = run.method.backbone.eval()
    out = Path(out)
    atomic_torch_save(out, {k: v.detach().clone() for k, v in backbone.state_dict().items()})
    spec = {"class": f"egoequiv.models.{type(backbone).__name__}", "kwargs": backbone.kwargs,
            "layers": list(backbone.layers), "dims": backbone.dims,
            "feature_layer": run.method.feature_layer,
            "input": {"image_size": run.cfg.image_size,
                      "channels": run.shape["in_channels"],
                      "mean": run.normalizer.mean.tolist(), "std": run.normalizer.std.tolist(),
                      "scale": "uint8 / 255, then (x - mean) / std, layout (N, C, H, W)"},
            "method": run.cfg.method, "dataset": run.dataset, "iteration": run.iteration}
    side = out.with_name(out.name + ".json")
    atomic_write_text(side, json.dumps(spec, indent=2) + "\n")
    written = [out, side]
    if program:
        size, channels = run.cfg.image_size, run.shape["in_channels"]
        example = torch.zeros(2, channels, size, size)
        batch = torch.export.Dim("batch", min=1)
        exported = torch.export.export(backbone, (example,), dynamic_shapes=({0: batch},))
        path = out.with_name(out.name + ".pt2")
        tmp = path.with_name(f".{path.name}.tmp.pt2")
        torch.export.save(exported, str(tmp))
        tmp.replace(path)
        written.append(path)
    return written
