"""Egomotion probe: how much of the motion between two frames the features hold (linearly).

Inputs x = [z(x_i), z(x_j)] (2D values per pair), targets the pair's motion y_j - y_i (angles
wrapped). A ridge regression is fit on the *training* pairs: inputs standardised by the training
mean/std, targets centred by the training mean, closed form
W = (X^T X + ridge * n * I)^-1 X^T Y (bias unpenalised through the centring). On the *test*
pairs, per motion dimension d:  R^2_d = 1 - sum (y_d - yhat_d)^2 / sum (y_d - mean_test(y_d))^2.
R^2 may be negative (worse than predicting the test mean). A dimension with no variance on the
test pairs is undefined: None plus a warning. Memory: normal equations of (2D)^2 values, the
pairs streamed ``CHUNK`` at a time.
"""

from __future__ import annotations

import numpy as np

from egoequiv.evaluation._chunks import chunks


def _inputs(z_i, z_j, s) -> np.ndarray:
    return np.concatenate([np.asarray(z_i[s], np.float64), np.asarray(z_j[s], np.float64)], 1)


def fit_motion_regression(z_i, z_j, motion, ridge: float = 1e-2):
    """(mean_x, std_x, mean_y, W) of the ridge regression [z_i, z_j] -> motion."""
    motion = np.asarray(motion, np.float64)
    n = len(motion)
    width = 2 * np.asarray(z_i).shape[1]
    sx, sxx = np.zeros(width), np.zeros(width)
    for s in chunks(n):
        x = _inputs(z_i, z_j, s)
        sx += x.sum(0)
        sxx += (x * x).sum(0)
    mean_x = sx / n
    std_x = np.sqrt(np.maximum(sxx / n - mean_x**2, 0.0))
    std_x = np.where(std_x > 1e-12, std_x, 1.0)
    mean_y = motion.mean(0)
    xtx, xty = np.zeros((width, width)), np.zeros((width, motion.shape[1]))
    for s in chunks(n):
        x = (_inputs(z_i, z_j, s) - mean_x) / std_x
        xtx += x.T @ x
        xty += x.T @ (motion[s] - mean_y)
    w = np.linalg.solve(xtx + ridge * n * np.eye(width), xty)
    return mean_x, std_x, mean_y, w


def predict_motion(model, z_i, z_j) -> np.ndarray:
    mean_x, std_x, mean_y, w = model
    out = np.empty((len(z_i), w.shape[1]))
    for s in chunks(len(z_i)):
        out[s] = ((_inputs(z_i, z_j, s) - mean_x) / std_x) @ w + mean_y
    return out


def r2_scores(y: np.ndarray, predicted: np.ndarray) -> tuple[list, list[str]]:
    """Per-dimension R^2 (None where the targets do not vary) and warnings."""
    y = np.asarray(y, np.float64)
    out, warnings = [], []
    for d in range(y.shape[1]):
        sst = ((y[:, d] - y[:, d].mean()) ** 2).sum()
        if len(y) == 0 or sst <= 1e-12 * max(1.0, (y[:, d] ** 2).sum()):
            out.append(None)
            warnings.append(f"motion dimension {d}: no variance on the test pairs")
            continue
        out.append(float(1.0 - ((y[:, d] - predicted[:, d]) ** 2).sum() / sst))
    return out, warnings


def egomotion_r2(z_train_i, z_train_j, motion_train, z_test_i, z_test_j, motion_test,
                 ridge: float = 1e-2) -> dict:
    """{"r2_per_dim": [float | None] * D_motion, "r2_mean": float | None, "warnings": [...]}."""
    if len(motion_train) == 0 or len(motion_test) == 0:
        return {"r2_per_dim": None, "r2_mean": None, "warnings": ["no training or test pairs"]}
    model = fit_motion_regression(z_train_i, z_train_j, motion_train, ridge)
    r2, warnings = r2_scores(motion_test, predict_motion(model, z_test_i, z_test_j))
    vals = [v for v in r2 if v is not None]
    return {"r2_per_dim": r2, "r2_mean": float(np.mean(vals)) if vals else None,
            "warnings": warnings}
