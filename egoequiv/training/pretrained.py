"""A Hugging Face-style model folder: ``config.json`` + ``model.safetensors``.

- ``model.safetensors``: the whole trained method's weights (backbone, classifier head,
  learned maps M_g), as in the checkpoint's ``model`` (its best iterate under early stopping);
- ``config.json``: what rebuilds the model without the training data: the run's config
  (flat keys), its shape (input channels, classes, patterns, motor names and units), the
  input normalisation, the motion patterns the maps were trained on, where it was trained,
  and the backbone's description (as ``egoequiv export`` writes it).

The folder is what ``huggingface-cli upload USER/REPO DIR`` pushes; egoequiv itself needs no
hub client. Weights are written before config.json, so a folder whose write was cut short
has no config.json and is refused by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from egoequiv.config import to_dict
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.motion.patterns import MotionPatterns
from egoequiv.training.checkpoint import Run, load_weights, method_of
from egoequiv.training.export import (
    backbone_spec,
    check_finite,
    plain_tensors,
    safetensors_module,
    save_safetensors,
)
from egoequiv.utils.atomic import atomic_write_text

CONFIG, WEIGHTS = "config.json", "model.safetensors"
#: the layout of config.json; a reader refuses others
FORMAT = 1
KEYS = ("format", "config", "shape", "normalizer", "patterns", "dataset", "iteration")


def _plain(value):
    """numpy arrays and scalars -> lists and Python numbers (JSON)."""
    return value.tolist() if hasattr(value, "tolist") else value


def describe(run: Run) -> dict:
    """config.json of ``run``."""
    return {"library": "egoequiv", "format": FORMAT, "method": run.cfg.method,
            "config": to_dict(run.cfg), "shape": run.shape,
            "normalizer": {k: _plain(v) for k, v in run.normalizer.state_dict().items()},
            "patterns": {k: _plain(v) for k, v in run.patterns.state_dict().items()},
            "dataset": run.dataset, "labelled_dataset": run.labelled_dataset,
            "iteration": run.iteration, "run_id": getattr(run, "run_id", None),
            "backbone": backbone_spec(run)}


def save_pretrained(run: Run, folder: str | Path) -> list[Path]:
    """Write ``run`` as a model folder (see the module doc); the paths written."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise EgoequivError(f"{folder}: exists and is not a folder")
    weights = plain_tensors(run.method)
    check_finite(weights, folder)
    try:  # JSON has no NaN: a pattern or normalisation that is not finite is refused
        text = json.dumps(describe(run), indent=2, allow_nan=False) + "\n"
    except ValueError:
        raise EgoequivError(f"{folder}: non-finite normalisation or motion patterns; "
                            "not saved") from None
    save_safetensors(folder / WEIGHTS, weights)
    atomic_write_text(folder / CONFIG, text)
    return [folder / WEIGHTS, folder / CONFIG]


def read_description(folder: Path) -> dict:
    """config.json of a model folder, checked: one EgoequivError naming the file."""
    path = folder / CONFIG
    if not path.is_file():
        raise EgoequivError(f"{path}: missing (a model folder holds {CONFIG} and {WEIGHTS})")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise EgoequivError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(state, dict) or state.get("library") != "egoequiv":
        raise EgoequivError(f"{path}: not an egoequiv model description")
    if state.get("format") != FORMAT:
        raise EgoequivError(f"{path}: format {state.get('format')!r}, this egoequiv reads "
                            f"format {FORMAT}")
    missing = [k for k in KEYS if k not in state]
    if missing:
        raise EgoequivError(f"{path}: lacks {', '.join(missing)}")
    return state


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    path = folder / WEIGHTS
    if not path.is_file():
        raise EgoequivError(f"{path}: missing (a model folder holds {CONFIG} and {WEIGHTS})")
    st = safetensors_module()
    try:
        return st.load_file(str(path))
    except Exception as e:  # safetensors raises its own error types for a damaged file
        raise EgoequivError(f"{path}: not a readable safetensors file "
                            f"({e.__class__.__name__}: {str(e).strip()[:200]})") from None


def _rebuild(state: dict, path: Path):
    """The method, normaliser and patterns config.json describes (untrained weights)."""
    try:
        cfg, method = method_of(state)
        norm = Normalizer(state["normalizer"]["mean"], state["normalizer"]["std"])
        patterns = MotionPatterns.from_state_dict(state["patterns"])
    except EgoequivError as e:
        raise EgoequivError(f"{path}: {e}") from None
    except (KeyError, TypeError, ValueError) as e:
        raise EgoequivError(f"{path}: malformed ({e.__class__.__name__}: {e})") from None
    return cfg, method, norm, patterns


def load_pretrained(folder: str | Path, device: str | torch.device = "cpu") -> Run:
    """The run of a model folder written by ``save_pretrained``, on ``device``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EgoequivError(f"{folder}: not a model folder (no such directory)")
    state = read_description(folder)
    cfg, method, norm, patterns = _rebuild(state, folder / CONFIG)
    load_weights(method, read_weights(folder), folder / WEIGHTS, CONFIG)
    method.to(device).eval()
    return Run(method, cfg, state["dataset"], norm, patterns, state["shape"],
               state["iteration"], state.get("labelled_dataset"), state.get("run_id"))
