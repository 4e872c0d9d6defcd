"""Checkpoints: everything needed to resume a run or to use its model, written atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from egoequiv.config import Config, load_config, to_dict
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.methods import Method, method_class, resolve_config
from egoequiv.models import build_backbone
from egoequiv.motion.patterns import MotionPatterns
from egoequiv.utils.atomic import atomic_torch_save

#: 2: loadable with ``torch.load(weights_only=True)`` (tensors, numbers, strings, lists and
#: dicts only); format 1 held numpy arrays and needed a full unpickler, which runs code
FORMAT = 2


def build_method(cfg: Config, in_channels: int, num_classes: int, num_patterns: int,
                 motion_dim: int, check_values: bool | None = None) -> Method:
    """``cfg.method`` on a new backbone; ``check_values``: whether its losses check tensor
    values (None: on the CPU only; ``losses._checks``)."""
    backbone = build_backbone(cfg, in_channels)
    return method_class(cfg.method)(backbone, cfg, num_classes, num_patterns, motion_dim,
                                    check_values)


def save_checkpoint(path: Path, *, method: Method, optimizer, iteration: int, cfg: Config,
                    dataset: str, normalizer: Normalizer, patterns: MotionPatterns,
                    shape: dict, extra: dict | None = None,
                    labelled_dataset: str | None = None) -> None:
    atomic_torch_save(path, {
        "format": FORMAT,
        "iteration": iteration,
        "config": to_dict(cfg),
        "dataset": dataset,
        "labelled_dataset": labelled_dataset,
        "model": method.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "torch_rng": torch.get_rng_state(),
        "normalizer": {k: torch.as_tensor(v) for k, v in normalizer.state_dict().items()},
        "patterns": _plain(patterns.state_dict()),
        "shape": shape,  # in_channels, num_classes, num_patterns, motion_dim, ...
        "extra": extra or {},
    })


def _plain(state: dict) -> dict:
    """numpy arrays -> nested lists, so the checkpoint needs no unpickler of numpy objects."""
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in state.items()}


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's contents, loaded with ``weights_only=True``: no code in the file runs."""
    path = Path(path)
    if not path.exists():
        raise EgoequivError(f"{path}: checkpoint does not exist")
    if not path.is_file():
        raise EgoequivError(f"{path}: checkpoint is not a regular file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a damaged file, a foreign pickle, an older format
        raise EgoequivError(
            f"{path}: not a checkpoint that can be loaded safely ({e.__class__.__name__}); "
            f"egoequiv reads only format {FORMAT} checkpoints of plain tensors and values "
            "(retrain runs saved by older versions)") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise EgoequivError(f"{path}: not an egoequiv checkpoint (format {FORMAT})")
    missing = [k for k in ("config", "model", "shape", "normalizer", "patterns", "dataset",
                           "iteration") if k not in state]
    if missing:
        raise EgoequivError(f"{path}: checkpoint lacks {', '.join(missing)}")
    return state


@dataclass
class Run:
    """A trained model ready to use: ``method.embed(x)`` gives z(x)."""

    method: Method
    cfg: Config
    dataset: str
    normalizer: Normalizer
    patterns: MotionPatterns
    shape: dict
    iteration: int
    labelled_dataset: str | None = None  # where the labelled images came from, if not dataset


def load_run(path: str | Path, device: str | torch.device = "cpu") -> Run:
    state = read_checkpoint(path)
    cfg = resolve_config(load_config(overrides=state["config"]), strict=False)
    s = state["shape"]
    method = build_method(cfg, s["in_channels"], s["num_classes"], s["num_patterns"],
                          s["motion_dim"])
    # an early-stopped run is used at its best validation iterate ("model" is the last one,
    # kept for exact resume)
    weights = state["extra"].get("best_model") or state["model"]
    try:
        method.load_state_dict(weights)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[-1].strip()
        raise EgoequivError(f"{path}: weights do not fit the model its config describes "
                            f"({first})") from None
    method.to(device).eval()
    norm = Normalizer(state["normalizer"]["mean"].numpy(), state["normalizer"]["std"].numpy())
    return Run(method, cfg, state["dataset"], norm,
               MotionPatterns.from_state_dict(state["patterns"]), s, state["iteration"],
               state.get("labelled_dataset"))
