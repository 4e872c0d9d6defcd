"""The Python API: ``egoequiv.load``, ``egoequiv.training``, ``egoequiv.evaluation``
(documented in docs/api.md; examples/quickstart.py runs each of them).

- ``load(checkpoint)`` -> ``Model``: ``.embed(images)``, ``.backbone`` (a plain nn.Module),
  ``.maps(z, pattern)``, ``.patterns``, ``.pattern_labels``, ``.config``.
- ``train(config=None, dataset=..., out=..., **settings)`` -> ``TrainedRun`` (metrics, model).
- ``evaluate(features, dataset=...)`` -> the suite's measurements of any (N, D) features.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from egoequiv.config import Config, load_config
from egoequiv.data.cache import resize_frame
from egoequiv.errors import EgoequivError
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
          resume: bool = False, quiet: bool = True, **settings) -> TrainedRun:
    """Train a run: ``config`` (a Config, or a TOML/JSON file) updated by ``settings``
    (config keys, e.g. ``method="equiv"``, ``iters=200``); checkpoint and metrics in ``out``."""
    from egoequiv.config import to_dict
    from egoequiv.training.trainer import train as train_run

    if isinstance(config, Config):
        cfg = load_config(overrides={**to_dict(config), **settings})
    else:
        cfg = load_config(config, settings)
    metrics = train_run(cfg, dataset, out, resume=resume, quiet=quiet)
    return TrainedRun(metrics, load(Path(out) / "checkpoint.pt", cfg.device), Path(out))


def evaluate(features, *, dataset: str, metrics: list[str] | None = None, seed: int = 0,
             config: Config | None = None, **options) -> dict:
    """The suite's measurements (all, or ``metrics``) of ``features`` (N, D), one row per
    frame of ``dataset`` in the source's order (what ``egoequiv probe`` does)."""
    from egoequiv.evaluation.features import check_features
    from egoequiv.evaluation.suite import features_only, run_suite
    from egoequiv.training.trainer import prepare

    cfg = config or load_config(overrides={"seed": seed})
    frames, task = prepare(cfg, dataset, quiet=True)
    z = check_features(features, len(frames), "features")
    return features_only(run_suite(z, task, metrics=metrics, seed=seed, **options))
