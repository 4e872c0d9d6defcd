"""``egoequiv export``: a trained backbone as plain PyTorch files.

- ``OUT`` (e.g. backbone.pt): the backbone's ``state_dict`` alone (no egoequiv keys), saved
  with ``torch.save`` (``fmt="pt"``) or as safetensors (``fmt="safetensors"``, e.g.
  model.safetensors); it loads into the documented class with ``weights_only=True`` /
  ``safetensors.torch.load_file``;
- ``OUT.json``: the class (``egoequiv.models.SmallConvNet``, ``AlexNet``, ``ResNet18``), its
  constructor's arguments, its layers and widths, and the input normalisation (per-channel
  mean and std of uint8 / 255, HxWxC -> CxHxW, squashed to image_size);
- with ``program=True``, ``OUT.pt2``: the backbone as a ``torch.export`` program (any batch
  size), loadable with ``torch.export.load(path).module()`` without egoequiv installed.
  (not TorchScript: current torch deprecates ``torch.jit.script`` in favour of
  ``torch.export``.)

A checkpoint whose weights hold NaN or infinities is refused, naming the tensors: a model
that cannot give finite features must not leave as if it could.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from egoequiv.errors import EgoequivError
from egoequiv.training.checkpoint import load_run
from egoequiv.utils.atomic import atomic_torch_save, atomic_write_text, atomic_write_with

FORMATS = ("pt", "safetensors")
SAFETENSORS_INSTALL = "safetensors files need the safetensors package: " \
                      "pip install 'egoequiv[safetensors]'"


def safetensors_module():
    try:
        import safetensors.torch
    except ImportError:
        raise EgoequivError(SAFETENSORS_INSTALL) from None
    return safetensors.torch


def check_finite(tensors: dict[str, torch.Tensor], where: str | Path) -> None:
    """One EgoequivError naming every tensor of ``tensors`` that holds NaN or infinities."""
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(v.isfinite().all())]
    if bad:
        raise EgoequivError(f"{where}: non-finite values in {', '.join(bad)}; nothing written "
                            "(a diverged or damaged model)")


def plain_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's state as contiguous CPU tensors that share no storage (safetensors
    refuses shared or strided ones)."""
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def save_safetensors(path: str | Path, tensors: dict[str, torch.Tensor]) -> None:
    """``tensors`` as a safetensors file, written atomically."""
    st = safetensors_module()
    atomic_write_with(path, lambda tmp: st.save_file(tensors, str(tmp), metadata={"format": "pt"}))


def backbone_spec(run) -> dict:
    """What OUT.json says of a run's backbone: class, constructor, layers, input."""
    backbone = run.method.backbone
    return {"class": f"egoequiv.models.{type(backbone).__name__}", "kwargs": backbone.kwargs,
            "layers": list(backbone.layers), "dims": backbone.dims,
            "feature_layer": run.method.feature_layer,
            "input": {"image_size": run.cfg.image_size,
                      "channels": run.shape["in_channels"],
                      "mean": run.normalizer.mean.tolist(), "std": run.normalizer.std.tolist(),
                      "scale": "uint8 / 255, then (x - mean) / std, layout (N, C, H, W)"},
            "method": run.cfg.method, "dataset": run.dataset, "iteration": run.iteration}


def export_backbone(checkpoint: str | Path, out: str | Path, program: bool = False,
                    fmt: str = "pt") -> list[Path]:
    """Write the checkpoint's backbone (see the module doc); the paths written."""
    if fmt not in FORMATS:
        raise EgoequivError(f"export: format must be one of {list(FORMATS)}, got {fmt!r}")
    run = load_run(checkpoint, torch.device("cpu"))
    backbone = run.method.backbone.eval()
    weights = plain_tensors(backbone)
    check_finite({f"backbone.{k}": v for k, v in weights.items()}, checkpoint)
    out = Path(out)
    if fmt == "safetensors":
        save_safetensors(out, weights)
    else:
        atomic_torch_save(out, weights)
    side = out.with_name(out.name + ".json")
    atomic_write_text(side, json.dumps(backbone_spec(run), indent=2) + "\n")
    written = [out, side]
    if program:
        written.append(_export_program(run, backbone, out))
    return written


def _export_program(run, backbone: torch.nn.Module, out: Path) -> Path:
    size, channels = run.cfg.image_size, run.shape["in_channels"]
    example = torch.zeros(2, channels, size, size)
    batch = torch.export.Dim("batch", min=1)
    exported = torch.export.export(backbone, (example,), dynamic_shapes=({0: batch},))
    path = out.with_name(out.name + ".pt2")
    tmp = path.with_name(f".{path.name}.tmp.pt2")
    torch.export.save(exported, str(tmp))
    tmp.replace(path)
    return path


def load_exported(path: str | Path) -> torch.nn.Module:
    """The backbone of an export (``OUT`` beside its ``OUT.json``), rebuilt in its class,
    in eval mode; ``.pt`` files are read with ``weights_only=True``."""
    path = Path(path)
    net, name = _exported_class(path.with_name(path.name + ".json"))
    if not path.is_file():
        raise EgoequivError(f"{path}: missing (an export writes OUT and OUT.json)")
    try:
        if path.suffix == ".safetensors":
            weights = safetensors_module().load_file(str(path))
        else:
            weights = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(weights)
    except EgoequivError:
        raise
    except Exception as e:  # a damaged file, or weights of another model
        first = (str(e).strip().splitlines() or [""])[-1].strip()
        raise EgoequivError(f"{path}: cannot load these weights into {name} "
                            f"({e.__class__.__name__}: {first})") from None
    return net.eval()


def _exported_class(side: Path) -> tuple[torch.nn.Module, str]:
    """A fresh backbone of the class and arguments OUT.json names, and the class's name."""
    import egoequiv.models as models

    if not side.is_file():
        raise EgoequivError(f"{side}: missing (an export writes OUT and OUT.json)")
    try:
        spec = json.loads(side.read_text())
        name = spec["class"]
        return getattr(models, name.rsplit(".", 1)[1])(**spec["kwargs"]), name
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise EgoequivError(f"{side}: not an egoequiv export description "
                            f"({e.__class__.__name__}: {e})") from None
