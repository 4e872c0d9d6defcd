"""Plots of the evaluation (matplotlib's Agg canvas, no display, no pyplot state).

Each function writes one PNG atomically (a temporary file, then renamed) and returns its path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.png")
    fig.savefig(tmp, format="png", bbox_inches="tight")
    os.replace(tmp, path)
    return path


def _colours(n: int) -> list:
    """``n`` distinct colours: tab10 up to 10 series, tab20 up to 20, then a continuous map."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](k) for k in range(n)]
    if n <= 20:
        return [colormaps["tab20"](k) for k in range(n)]
    return [colormaps["turbo"](k / (n - 1)) for k in range(n)]


def _spread(errors, name, size: int):
    """The std bars of one series, or None when no value has one (one split: no spread)."""
    if not errors or name not in errors or all(v is None for v in errors[name]):
        return None
    return np.array([0.0 if v is None else v for v in errors[name]], float)


def plot_bars(groups: dict[str, Sequence[float | None]], path, title: str = "",
              ylabel: str = "", xlabels: Sequence[str] | None = None,
              errors: dict[str, Sequence[float | None]] | None = None,
              reference: float | None = None, reference_label: str = "",
              zoom: bool = False) -> Path:
    """Grouped bars: one series per key of ``groups`` (None values left out), each in its own
    colour, std bars where some value has a spread, and an optional dashed reference line
    (the identity's 1.0, chance accuracy). ``zoom``: points instead of bars, on an axis
    spanning the values and the reference only (errors that all lie near 1.0 stay legible)."""
    n = max((len(v) for v in groups.values()), default=0)
    series = max(1, len(groups))
    fig = _figure(min(12.0, max(5.0, 0.35 * n * series + 3)), 3.8)
    ax = fig.add_subplot(111)
    width = 0.8 / series
    shown = []
    for k, ((name, values), colour) in enumerate(zip(groups.items(), _colours(len(groups)))):
        vals = np.array([np.nan if v is None else v for v in values], float)
        err = _spread(errors, name, len(vals))
        x = np.arange(len(vals)) + k * width
        if zoom:
            ax.errorbar(x, vals, yerr=err, fmt="o", color=colour, label=name, capsize=3,
                        markersize=5)
        else:
            ax.bar(x, vals, width, yerr=err, label=name, capsize=3, color=colour)
        shown += [v for v in (vals if err is None else np.r_[vals - err, vals + err])
                  if np.isfinite(v)]
    ax.set_xticks(np.arange(n) + width * (series - 1) / 2)
    ax.set_xlim(-0.5, n - 0.5 + width * (series - 1))  # the end points off the frame
    labels = list(xlabels) if xlabels else [str(i) for i in range(n)]
    slanted = n > 6 or max((len(x) for x in labels), default=0) > 12
    ax.set_xticklabels(labels, rotation=30 if slanted else 0, ha="right" if slanted else "center",
                       fontsize=9)
    if reference is not None:
        ax.axhline(reference, color="black", linestyle="--", linewidth=1, label=reference_label)
        shown.append(reference)
    if zoom and shown:
        lo, hi = min(shown), max(shown)
        pad = 0.08 * (hi - lo) if hi > lo else 0.05 * abs(hi) or 0.05
        ax.set_ylim(lo - pad, hi + pad)
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    if len(groups) > 1 or reference_label:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def plot_equivariance_per_pattern(per_pattern: Sequence[float | None], path,
                                  names: Sequence[str] | None = None, title: str = "") -> Path:
    return plot_bars({"refitted M'_g": per_pattern}, path,
                     title or "Equivariance error per pattern",
                     "mean ||M'z_i - z_j|| / ||z_i - z_j||", names, reference=1.0,
                     reference_label="identity map (no change)", zoom=True)


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path,
             title: str = "Slowness ROC") -> Path:
    """ROC curves {name: (fpr, tpr)} with the chance diagonal."""
    fig = _figure(4.0, 4.0)
    ax = fig.add_subplot(111)
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel("false positive rate (non-neighbours)")
    ax.set_ylabel("true positive rate (neighbours)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) floats in [0, 1] (uint8 scaled by 255, floats min-max scaled)."""
    im = np.asarray(image, dtype=np.float64)
    if im.ndim == 2:
        im = im[:, :, None]
    if np.asarray(image).dtype == np.uint8:
        im = im / 255.0
    else:
        lo, hi = float(im.min()), float(im.max())
        im = (im - lo) / (hi - lo) if hi > lo else np.zeros_like(im)
    return np.repeat(im, 3, axis=2) if im.shape[2] == 1 else im[:, :, :3]


def plot_retrieval_grid(images: np.ndarray, queries: np.ndarray, neighbours: np.ndarray,
                        true_next: np.ndarray | None, path, title: str = "",
                        row_labels: Sequence[str] | None = None) -> Path:
    """One row per query: the query image (framed black), a gap, its k neighbours, and, when
    ``true_next`` is given, a last column with the true next view: framed green when it is
    among the k neighbours (which are then framed green too), orange when it is not.

    ``images`` (N, H, W, C) uint8 or float; ``queries`` (Q,) and ``neighbours`` (Q, k) frame
    indices; ``true_next`` (Q,) frame indices or None; ``row_labels`` name each row (the
    motion). Columns are titled "query", "1".."k" and "true next".
    """
    neighbours = np.asarray(neighbours)
    q, k = neighbours.shape
    extra = true_next is not None
    h, w = np.asarray(images[0]).shape[:2]
    b = max(1, h // 8)  # frame width
    cell_h, cell_w = h + 2 * b, w + 2 * b
    cols = k + 1 + extra
    canvas = np.ones((q * cell_h, cols * cell_w + b * (1 + extra), 3))
    for r in range(q):
        truth = int(true_next[r]) if extra else -1
        hit = truth in set(neighbours[r].tolist())
        for c in range(cols):
            if c == 0:
                frame, colour, x0 = int(queries[r]), (0, 0, 0), 0
            elif c <= k:
                frame = int(neighbours[r, c - 1])
                colour = (0.2, 0.85, 0.2) if frame == truth else (1.0, 1.0, 1.0)
                x0 = c * cell_w + b
            else:
                frame, x0 = truth, c * cell_w + 2 * b
                colour = (0.2, 0.85, 0.2) if hit else (1.0, 0.55, 0.0)
            y0 = r * cell_h
            canvas[y0:y0 + cell_h, x0:x0 + cell_w] = colour
            canvas[y0 + b:y0 + b + h, x0 + b:x0 + b + w] = _as_rgb(images[frame])
    scale = 0.9 / max(h, 16)
    left = 1.6 if row_labels is not None else 0.0
    fig = _figure(max(2.0, canvas.shape[1] * scale) + left,
                  max(1.0, canvas.shape[0] * scale) + 0.6)
    ax = fig.add_axes((left / fig.get_figwidth(), 0, 1 - left / fig.get_figwidth(), 0.88))
    ax.imshow(canvas, interpolation="nearest")
    ax.set_axis_off()
    heads = ["query", *[str(i + 1) for i in range(k)], *(["true next"] if extra else [])]
    for c, head in enumerate(heads):
        x = c * cell_w + cell_w / 2 + (b if 0 < c <= k else 2 * b if c > k else 0)
        ax.text(x, -b, head, ha="center", va="bottom", fontsize=7)
    for r, label in enumerate(row_labels or []):
        ax.text(-b, r * cell_h + cell_h / 2, label, ha="right", va="center", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=8)
    return _save(fig, path)


def plot_curves(series: dict[str, Sequence[tuple[float, float]]], path, title: str = "",
                xlabel: str = "iteration", ylabel: str = "") -> Path:
    """One line per named series of (x, y) points, e.g. a measurement logged in training."""
    fig = _figure(6.0, 3.6)
    ax = fig.add_subplot()
    for (name, points), colour in zip(series.items(), _colours(len(series))):
        if points:
            ax.plot(*zip(*points), marker="o", ms=3, label=name, color=colour)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)
