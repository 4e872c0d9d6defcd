"""Features of many frames in batches, without gradients (z(x) and classifier logits);
checks of features from elsewhere; the row index of a features file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from egoequiv.data.tensors import Normalizer
from egoequiv.errors import EgoequivError
from egoequiv.methods import Method
from egoequiv.utils.atomic import atomic_write_text

#: larger feature values overflow the squared distances of the measurements (float64)
MAX_FEATURE = 1e100


def check_features(z, rows: int, name: str) -> np.ndarray:
    """``z`` as float64 (N, D), checked: real, finite, 2-D with ``rows`` rows (one per
    frame), not so large that distances overflow. ``name`` labels the one-line errors."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.number) or np.issubdtype(z.dtype, np.complexfloating):
        raise EgoequivError(f"{name}: expected real numbers, got dtype {z.dtype}")
    if z.ndim != 2 or z.shape[1] == 0:
        raise EgoequivError(f"{name}: expected an (N, D) array with D >= 1, got shape "
                            f"{tuple(z.shape)}")
    if len(z) != rows:
        raise EgoequivError(f"{name}: expected {rows} rows (one per frame of the dataset, in "
                            f"source order), got shape {tuple(z.shape)}")
    z = np.asarray(z, dtype=np.float64)
    if not np.isfinite(z).all():
        raise EgoequivError(f"{name}: features contain NaN or infinity")
    if np.abs(z).max(initial=0.0) > MAX_FEATURE:
        raise EgoequivError(f"{name}: features reach {np.abs(z).max():.3g}; values above "
                            f"{MAX_FEATURE:g} overflow the measurements: rescale them")
    return z


def read_features(path: Path) -> np.ndarray:
    """An (N, D) .npy array of features (memory-mapped; no pickles); one-line errors."""
    if not path.exists():
        raise EgoequivError(f"{path}: features file does not exist")
    try:
        z = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise EgoequivError(f"{path}: not a .npy array ({e})") from None
    if not isinstance(z, np.ndarray):
        raise EgoequivError(f"{path}: expected one .npy array, got a {type(z).__name__} "
                            "(save with numpy.save, not savez)")
    if z.ndim != 2:
        raise EgoequivError(f"{path}: expected an (N, D) array with D >= 1, got shape "
                            f"{tuple(z.shape)}")
    return z


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


def write_row_index(features: Path, table) -> Path:
    """FEATURES.rows.csv: row, image ref, sequence, time of each row of FEATURES.npy."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["row", "image", "sequence", "time"])
    for i, ref in enumerate(table.refs):
        writer.writerow([i, ref, table.sequence_names[table.sequence[i]],
                         repr(float(table.time[i]))])
    path = features.with_name(features.name.removesuffix(".npy") + ".rows.csv")
    atomic_write_text(path, text.getvalue())
    return path
