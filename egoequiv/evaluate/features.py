"""Features of many frames in batches, without gradients: z(x) and classifier logits."""

from __future__ import annotations

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.methods import Method


@torch.no_grad()
def extract_features(method: Method, images: np.ndarray, normalizer: Normalizer,
                     device: str | torch.device = "cpu", batch_size: int = 512,
                     logits: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """z(x) for every frame of ``images`` (N, H, W, C uint8), and the logits if asked."""
    was_training = method.training
    method.eval()
    zs, ls = [], []
    want_logits = logits and method.head is not None
    for start in range(0, len(images), batch_size):
        chunk = torch.from_numpy(np.array(images[start:start + batch_size]))
        feats = method.backbone(normalizer(chunk.to(device)))
        zs.append(feats[method.feature_layer].float().cpu())
        if want_logits:
            ls.append(method._logits(feats).float().cpu())
    method.train(was_training)
    z = torch.cat(zs).numpy() if zs else np.zeros((0, method.feature_dim), np.float32)
    return z, (torch.cat(ls).numpy() if want_logits else None)
