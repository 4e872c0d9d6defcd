"""Checkpoints: everything needed to resume a run or to use its model, written atomically."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from egoequiv.config import Config, load_config, to_dict
from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.evaluation import record
from egoequiv.methods import Method, method_class, resolve_config
from egoequiv.models import build_backbone
from egoequiv.motion.patterns import MotionPatterns
from egoequiv.utils.atomic import atomic_torch_save

#: 2: loadable with ``torch.load(weights_only=True)`` (tensors, numbers, strings, lists and
#: dicts only); format 1 held numpy arrays and needed a full unpickler, which runs code
FORMAT = 2
#: what a checkpoint's records may inflate to, before torch reads them: torch writes them
#: stored (uncompressed), so a file egoequiv wrote declares its own size; a few times that
#: (a re-zipped copy) plus a margin is allowed, a zip bomb is refused unread (ours)
MAX_INFLATION = 4
INFLATION_MARGIN = 64 << 20


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
                    labelled_dataset: str | None = None, run_id: str | None = None) -> None:
    atomic_torch_save(path, {
        "format": FORMAT,
        "run_id": run_id,  # the same as its metrics.json's: a folder holds one run
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
    """The checkpoint's contents, loaded with ``weights_only=True``: no code in the file runs,
    and no record inflates beyond ``check_inflation``'s limit."""
    path = Path(path)
    if not path.exists():
        raise EgoequivError(f"{path}: checkpoint does not exist")
    if not path.is_file():
        raise EgoequivError(f"{path}: checkpoint is not a regular file")
    check_inflation(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a damaged file, a foreign pickle, an older format
        raise EgoequivError(
            f"{path}: not a checkpoint that can be loaded safely ({e.__class__.__name__}); "
            f"egoequiv reads only format {FORMAT} checkpoints of plain tensors and values "
            "(retrain runs saved by older versions)") from None
    _check_format(path, state)
    missing = [k for k in ("config", "model", "shape", "normalizer", "patterns", "dataset",
                           "iteration") if k not in state]
    if missing:
        raise EgoequivError(f"{path}: checkpoint lacks {', '.join(missing)}")
    return state


def check_inflation(path: Path) -> None:
    """Refuses a checkpoint whose zip records declare more bytes than ``MAX_INFLATION``
    times the file's size plus ``INFLATION_MARGIN``: read from the zip's directory, before
    anything is inflated (a few MB of zeros can declare gigabytes). A file that is not a
    zip is left to torch.load, which refuses it."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as z:
            records = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    declared = sum(r.file_size for r in records)
    limit = MAX_INFLATION * size + INFLATION_MARGIN
    if declared > limit:
        big = max(records, key=lambda r: r.file_size)
        raise EgoequivError(
            f"{path}: its records declare {declared / 1e6:,.0f} MB from a {size / 1e6:,.1f} "
            f"MB file (record {big.filename}: {big.file_size / 1e6:,.0f} MB); more than "
            f"the {limit / 1e6:,.0f} MB a checkpoint of this size may hold, so it is not "
            "read (egoequiv writes checkpoints uncompressed)")


def _check_format(path: Path, state) -> None:
    version = state.get("format") if isinstance(state, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise EgoequivError(f"{path}: not an egoequiv checkpoint (format {FORMAT})")
    if version > FORMAT:
        raise EgoequivError(f"{path}: written by a newer egoequiv (checkpoint format "
                            f"{version}; this version reads format {FORMAT}): upgrade "
                            "egoequiv to use it")
    if version < FORMAT:
        raise EgoequivError(f"{path}: checkpoint format {version} of an older egoequiv; this "
                            f"version reads format {FORMAT} (retrain the run)")


def check_finite_weights(path, weights: dict, what: str = "weights") -> None:
    """One line naming the first tensor of ``weights`` holding NaN or infinity."""
    for name, value in weights.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                raise EgoequivError(
                    f"{path}: {what} hold NaN or infinity ({name}: {bad} of "
                    f"{value.numel()} values); the run diverged: retrain it (a lower lr or "
                    "lam) rather than use these")


def read_run_id(path: str | Path) -> str | None:
    """The run id of checkpoint ``path``, read cheaply: ``torch.load(weights_only=True,
    mmap=True)`` maps its tensors' records without reading them (a few ms and no memory for a
    checkpoint of any size; its zip directory is checked first, ``check_inflation``). None
    when the checkpoint names no run or cannot be read (what reads it refuses it)."""
    path = Path(path)
    try:
        check_inflation(path)
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # a damaged or foreign file: not this function's to refuse
        return None
    run_id = state.get("run_id") if isinstance(state, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


def mixed_folder(record_path: str | Path, record_run_id) -> str | None:
    """Why the run record at ``record_path`` (of run ``record_run_id``) is not of the
    checkpoint.pt beside it: one line naming the folder and both runs (None: no checkpoint
    there, the same run, or one of them names no run)."""
    record_path = Path(record_path)
    ckpt = record_path.parent / "checkpoint.pt"
    if not record_run_id or not ckpt.is_file():
        return None
    run_id = read_run_id(ckpt)
    if not run_id or run_id == record_run_id:
        return None
    return _mixed(record_path, record_run_id, ckpt, run_id)


def _mixed(record_path: Path, record_id: str, ckpt: Path, ckpt_id: str) -> str:
    """The one line for a folder whose record and checkpoint are of two runs (``load_run``
    refuses it, ``egoequiv report`` leaves it out)."""
    return (f"{record_path.parent}: {record_path.name} is of run {record_id}, but "
            f"{ckpt.name} is of run {ckpt_id}: the folder mixes two runs (retrain into a fresh "
            "folder, or move one of them out)")


def _check_same_run(path: Path, state: dict) -> None:
    """The metrics.json beside a checkpoint must be of the same run (when both say)."""
    run_id, beside = state.get("run_id"), path.parent / record.FILE
    if not run_id or not beside.is_file():
        return
    try:
        other = record.read(beside).get("run_id")
    except record.RecordError:
        return  # not a record: the reports name it; nothing of it is used here
    if other and other != run_id:
        raise EgoequivError(_mixed(beside, other, path, run_id))


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
    run_id: str | None = None  # shared with the run's metrics.json


def load_run(path: str | Path, device: str | torch.device = "cpu") -> Run:
    """The checkpoint's model, ready to use (eval, embed, export and ``egoequiv.load`` all
    come here): refused when its weights or normalisation are not finite, or when the
    metrics.json beside it is of another run."""
    path = Path(path)
    state = read_checkpoint(path)
    _check_same_run(path, state)
    cfg, method = method_of(state)
    # an early-stopped run is used at its best validation iterate ("model" is the last one,
    # kept for exact resume)
    weights = state["extra"].get("best_model") or state["model"]
    check_finite_weights(path, weights)
    check_finite_weights(path, state["normalizer"], "normalisation statistics")
    load_weights(method, weights, path, "its config")
    method.to(device).eval()
    norm = Normalizer(state["normalizer"]["mean"].numpy(), state["normalizer"]["std"].numpy())
    return Run(method, cfg, state["dataset"], norm,
               MotionPatterns.from_state_dict(state["patterns"]), state["shape"],
               state["iteration"], state.get("labelled_dataset"), state.get("run_id"))


def method_of(state: dict) -> tuple[Config, Method]:
    """The config a saved run describes (a checkpoint's or a model folder's) and an
    untrained method of its shape."""
    cfg = resolve_config(load_config(overrides=state["config"]), strict=False)
    s = state["shape"]
    return cfg, build_method(cfg, s["in_channels"], s["num_classes"], s["num_patterns"],
                             s["motion_dim"])


def load_weights(method: Method, weights: dict, path: Path, described_by: str) -> None:
    """``weights`` into ``method``, or one line naming ``path`` when they do not fit the model
    ``described_by`` describes."""
    try:
        method.load_state_dict(weights)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[-1].strip()
        raise EgoequivError(f"{path}: weights do not fit the model {described_by} describes "
                            f"({first})") from None
