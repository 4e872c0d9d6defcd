"""The Python API: ``egoequiv.load``, ``egoequiv.train``, ``egoequiv.evaluate``,
``egoequiv.evaluate_checkpoint`` (documented in docs/api.md; examples/quickstart.py runs
them). The commands train, eval, probe and embed are these calls.

- ``load(checkpoint)`` -> ``Model``: ``.embed(images)``, ``.backbone`` (a plain nn.Module),
  ``.maps(z, pattern)``, ``.patterns``, ``.pattern_labels``, ``.config``.
- ``train(config=None, dataset=..., out=..., **settings)`` -> ``TrainedRun`` (metrics, model).
- ``evaluate(features, dataset=...)`` -> the suite's measurements of any (N, D) features.
- ``evaluate_checkpoint(checkpoint, dataset=None)`` -> the suite's measurements of a model.
- ``embed_dataset(checkpoint, dataset, out)``: every frame's features as a .npy file.
- ``frames(dataset, image_size=None, channels=None, config=None)`` -> a dataset's decoded
  frames, uint8 (N, H, W, C), in the source's order.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from egoequiv.config import Config, load_config, to_dict
from egoequiv.data.cache import resize_frame
from egoequiv.data.spec import short_spec
from egoequiv.errors import DataError, EgoequivError
from egoequiv.evaluation import record
from egoequiv.evaluation.context import probe_labels
from egoequiv.methods import resolve_config
from egoequiv.motion.patterns import pattern_labels


class Model:
    """A trained model, ready to embed images (see ``load``)."""

    def __init__(self, run):
        self._run = run
        self.method = run.method.eval()
        self.config: Config = run.cfg
        self.patterns = run.patterns
        motor = run.shape.get("motor") or []
        self.pattern_labels = pattern_labels(run.patterns, [m["name"] for m in motor],
                                             [m["unit"] for m in motor]) if motor else []
        self.device = next(self.method.parameters()).device

    @property
    def backbone(self) -> torch.nn.Module:
        """The trained backbone: a plain ``nn.Module`` returning {layer: features}."""
        return self.method.backbone

    def _input(self, images) -> torch.Tensor:
        size, channels = self.config.image_size, self._run.shape["in_channels"]
        if isinstance(images, torch.Tensor) and images.is_floating_point():
            if images.dim() != 4 or images.shape[1] != channels:
                raise EgoequivError(f"float images must be (N, {channels}, H, W), normalised "
                                    f"as in training; got {tuple(images.shape)}")
            x = images.to(self.device)
            if x.shape[-2:] != (size, size):
                x = torch.nn.functional.interpolate(x, (size, size), mode="bilinear",
                                                    align_corners=False)
            return x
        frames = [np.asarray(im) for im in (images if isinstance(images, (list, tuple))
                                            else np.asarray(images))]
        if any(f.dtype != np.uint8 or f.ndim not in (2, 3) for f in frames):
            raise EgoequivError("images must be uint8 arrays (H, W) or (H, W, C), or float "
                                "tensors (N, C, H, W)")
        batch = np.stack([resize_frame(f if f.ndim == 3 else f[:, :, None], size, channels)
                          for f in frames])
        return self._run.normalizer(torch.from_numpy(batch).to(self.device))

    @torch.no_grad()
    def embed(self, images, batch_size: int = 256) -> np.ndarray:
        """Features z(x) (N, D) float32 of uint8 images (N, H, W, C) / a list of (H, W[, C])
        arrays (resized and normalised as in training), or of normalised float tensors."""
        n = len(images)
        out = [self.method.embed(self._input(images[s:s + batch_size])).float().cpu()
               for s in range(0, n, batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.method.feature_dim),
                                                           np.float32)

    @torch.no_grad()
    def maps(self, z, pattern) -> np.ndarray:
        """M_g z with the learned map of motion pattern ``pattern`` (an int or one per row)."""
        z = torch.as_tensor(np.asarray(z, np.float32), device=self.device)
        g = torch.as_tensor(np.broadcast_to(np.asarray(pattern), (len(z),)).astype(np.int64),
                            device=self.device)
        if g.numel() and (int(g.min()) < 0 or int(g.max()) >= self.patterns.num_patterns):
            raise EgoequivError(f"pattern must be in 0..{self.patterns.num_patterns - 1}")
        mapped = self.method.map_features(z, g)
        if mapped is None:
            raise EgoequivError(f"method {self.config.method!r} learns no per-pattern maps")
        return mapped.cpu().numpy()

    def save_pretrained(self, folder: str | Path) -> list[Path]:
        """This model as a Hugging Face-style folder: ``config.json`` + ``model.safetensors``
        (weights, normalisation, motion patterns, learned maps); ``from_pretrained`` reads it
        without the training data. The paths written."""
        from egoequiv.training.pretrained import save_pretrained

        return save_pretrained(self._run, folder)


def load(checkpoint: str | Path, device: str = "cpu") -> Model:
    """The model of a checkpoint (loaded with ``weights_only=True``)."""
    from egoequiv.training.checkpoint import load_run
    from egoequiv.utils.device import resolve_device

    return Model(load_run(checkpoint, resolve_device(device)))


@dataclass
class TrainedRun:
    metrics: dict
    model: Model
    out: Path


def train(config: Config | str | Path | None = None, *, dataset: str, out: str | Path,
          resume: bool = False, quiet: bool = False, **settings) -> TrainedRun:
    """Train a run: ``config`` (a Config, or a TOML/JSON file) updated by ``settings``
    (config keys, e.g. ``method="equiv"``, ``iters=200``); checkpoint and metrics in ``out``.
    Progress (the split, a progress bar) goes to stderr as ``egoequiv train`` shows it, unless
    ``quiet``; warnings are printed either way."""
    from egoequiv.training.trainer import train as train_run

    if isinstance(config, Config):
        cfg = load_config(overrides={**to_dict(config), **settings})
    else:
        cfg = load_config(config, settings)
    metrics = train_run(cfg, dataset, out, resume=resume, quiet=quiet)
    return TrainedRun(metrics, load(Path(out) / "checkpoint.pt", cfg.device), Path(out))


def train_grid(config: Config | str | Path | None = None, *, dataset: str, out: str | Path,
               grid: dict[str, list], resume: bool = False, quiet: bool = False,
               stack: str = "auto", **settings) -> list[dict]:
    """Train every combination of ``grid`` (``{"lam": [0.316, 1], "seed": [0, 1]}``) as
    batched runs (``egoequiv train --grid``): one folder per member under ``out``, listed in
    ``out/grid.json``; returns each member's metrics. Progress on stderr unless ``quiet``."""
    from egoequiv.training.grid import train_grid as grid_runs

    cfg = load_config(overrides={**to_dict(config), **settings}) \
        if isinstance(config, Config) else load_config(config, settings)
    return grid_runs(cfg, dataset, out, {k: list(v) for k, v in grid.items()}, resume=resume,
                     quiet=quiet, stack=stack)


def evaluate(features, *, dataset: str, metrics: list[str] | None = None, seed: int = 0,
             config: Config | None = None, out: str | Path | None = None,
             name: str | None = None, plots: bool = True, **options) -> dict:
    """The suite's measurements (all, or ``metrics``) of ``features`` (N, D) or a .npy file
    of them, one row per frame of ``dataset`` in the source's order (``egoequiv probe``).
    With ``out``: OUT/metrics.json (the measurements, named ``name``) and, with ``plots``,
    the plots."""
    from egoequiv.evaluation.features import check_features, read_features
    from egoequiv.evaluation.suite import check_metric_names, features_only, run_suite
    from egoequiv.task.load import prepare

    check_metric_names(metrics)  # before loading data
    path = Path(features) if isinstance(features, (str, Path)) else None
    z = read_features(path) if path else features
    # a trained run's config is welcome (its method's keys do not matter to features); a key
    # no method declares is a typo, one line
    cfg = resolve_config(config or load_config(overrides={"seed": seed}), strict=False)
    frames, task = prepare(cfg, dataset, quiet=True, needs_pairs=False)  # still images too
    z = check_features(z, len(frames), str(path or "features"))
    options = {**options, "labels_per_class": probe_labels(options.get("labels_per_class"))}
    result = features_only(run_suite(z, task, metrics=metrics, seed=seed,
                                     out_dir=out if plots else None, **options))
    return _write(out, record.make(
        "probe", method=name or (path.stem if path else "features"), dataset=dataset,
        measurements=result, seed=seed, feature_dim=int(z.shape[1]),
        features=str(path) if path else None))


def evaluate_checkpoint(checkpoint: str | Path, *, dataset: str | None = None,
                        labelled_dataset: str | None = None, out: str | Path | None = None,
                        device: str = "auto", metrics: list[str] | None = None,
                        plots: bool = True, quiet: bool = False, test: bool = False,
                        **options) -> dict:
    """The suite's measurements of a checkpoint's model on ``dataset`` (default: the one it
    was trained on), using its motion patterns and head where the data allow (``egoequiv
    eval``). With ``out``: OUT/metrics.json and, with ``plots``, the plots. ``notes`` says
    what could not be reused, ``skipped`` which measurements did not apply and why. A run
    that held out a validation split (``validation_fraction``) is measured on it, unless
    ``test``: then on the source's test split, as if trained without one. Unless
    ``quiet``, stderr gets the notes and the suite's warnings (``egoequiv: warning: ...``)
    and one line per skipped measurement (``egoequiv: skipped NAME: REASON``)."""
    from egoequiv.evaluation.model import evaluate_on_task
    from egoequiv.evaluation.suite import check_metric_names, print_outcome
    from egoequiv.task.load import prepare
    from egoequiv.training.checkpoint import load_run
    from egoequiv.training.trainer import labels_only
    from egoequiv.utils.device import resolve_device

    check_metric_names(metrics)  # before loading data
    device = resolve_device(device)
    run = load_run(checkpoint, device)
    name = dataset or run.dataset
    labelled = labelled_dataset or (None if dataset else run.labelled_dataset)
    cfg = replace(run.cfg, validation_fraction=0.0) if test else run.cfg
    try:
        _, task = prepare(cfg, name, quiet=True, labelled_dataset=labelled,
                          channels=run.shape["in_channels"],
                          needs_pairs=not labels_only(run.cfg))
    except DataError as e:
        if dataset:
            raise
        raise EgoequivError(f"{e} (the dataset this checkpoint was trained on; pass "
                            "--dataset SPEC to evaluate on data where it is now)") from None
    # the probes on the run's own labels per class unless asked otherwise
    options = {**options, "labels_per_class": options.get("labels_per_class")
               or probe_labels(run.cfg.labels_per_class)}
    result, notes = evaluate_on_task(run.method, run.normalizer, run.patterns,
                                     run.shape.get("motor"), task, device, metrics=metrics,
                                     out_dir=out if plots else None, seed=run.cfg.seed,
                                     title=f"{run.cfg.method} on {short_spec(name)}",
                                     **options)
    notes = [f"{name} (trained on {run.dataset}): {note}" for note in notes]
    if not quiet:
        for note in notes:
            print(f"egoequiv: warning: {note}", file=sys.stderr)
        print_outcome(run.cfg.method, result.get("warnings") or [], result.get("skipped"))
    return _write(out, record.make(
        "eval", method=run.cfg.method, dataset=name, config=to_dict(cfg),
        measurements=result, labelled_dataset=labelled, notes=notes,
        checkpoint=str(checkpoint), iteration=run.iteration, run_id=run.run_id,
        feature_dim=int(run.method.feature_dim), num_classes=task.num_classes))


def _write(out: str | Path | None, result: dict) -> dict:
    """The record, written to OUT/metrics.json when ``out`` is given."""
    if out is not None:
        record.write(out, result)
    return result


def embed_dataset(checkpoint: str | Path, dataset: str, out: str | Path,
                  device: str = "auto", batch_size: int = 512) -> tuple[tuple, Path]:
    """Features of every frame of ``dataset`` (source order) as OUT (N x D float32 .npy) and
    OUT.rows.csv naming each row's frame; returns (shape, rows file)."""
    from egoequiv.data.cache import load_frames
    from egoequiv.data.registry import open_source
    from egoequiv.evaluation.features import extract_features, write_row_index
    from egoequiv.training.checkpoint import load_run
    from egoequiv.utils.atomic import atomic_save_npy
    from egoequiv.utils.device import resolve_device

    device = resolve_device(device)
    run = load_run(checkpoint, device)
    frames = load_frames(open_source(dataset), run.cfg.image_size, run.shape["in_channels"])
    z, _ = extract_features(run.method, frames.images, run.normalizer, device, batch_size)
    atomic_save_npy(Path(out), z.astype(np.float32))
    return z.shape, write_row_index(Path(out), frames.table)


def frames(dataset: str, *, image_size: int | None = None, channels: int | None = None,
           config: Config | str | Path | None = None, quiet: bool = False) -> np.ndarray:
    """Every decoded frame of ``dataset`` (a spec), in the source's order (the rows
    ``evaluate`` and ``embed_dataset`` use): uint8 (N, H, W, C), squashed to ``image_size``
    (default: the config's, 32 without one) with ``channels`` (1 or 3; default: the config's,
    else the source's own), exactly the pixels training sees. ``config``: a Config (e.g.
    ``model.config``) or a TOML/JSON file. Decoded once into the frame cache (a progress bar
    unless ``quiet``); the array returned is in memory (N x H x W x C bytes)."""
    from egoequiv.task.load import load_task_frames

    given = {k: v for k, v in (("image_size", image_size), ("channels", channels))
             if v is not None}  # checked as config keys are
    cfg = load_config(overrides={**to_dict(config), **given}) \
        if isinstance(config, Config) else load_config(config, given)
    return np.asarray(load_task_frames(cfg, dataset, quiet).images)  # as training decodes


def from_pretrained(folder: str | Path, device: str = "cpu") -> Model:
    """The model of a ``Model.save_pretrained`` folder (config.json + model.safetensors)."""
    from egoequiv.training.pretrained import load_pretrained
    from egoequiv.utils.device import resolve_device

    return Model(load_pretrained(folder, resolve_device(device)))
