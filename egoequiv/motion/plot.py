"""Pictures of motion patterns: the motions scatter (the paper's Fig. 1, left) and example
frame pairs of each pattern."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.data.motor import MotorSpec
from egoequiv.motion.pairs import Pairs
from egoequiv.motion.patterns import MIXED_RATIO, MotionPatterns, purity


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_motion_patterns(pairs: Pairs, patterns: MotionPatterns, spec: MotorSpec,
                         path: str | Path, dims: tuple[int, int] = (0, 1),
                         max_points: int = 5000, title: str = "") -> Path:
    """Scatter of pair motions (two motor dimensions), coloured by pattern; grey = no
    pattern (near-zero or not representative); centres as white-filled markers with a
    coloured edge, drawn over the points without hiding them. Each legend entry gives the
    pattern's spread ratio (``motion.patterns.purity``: lower is purer; "MIXED" at or above
    ``MIXED_RATIO``)."""
    plt = _pyplot()
    rng = np.random.default_rng(0)
    show = rng.permutation(len(pairs))[:max_points]
    m, g = pairs.motion[show], pairs.pattern[show]
    a, b = dims if spec.dim > 1 else (0, 0)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.scatter(m[g < 0, a], m[g < 0, b], s=4, c="lightgrey", label="no pattern")
    cmap = plt.get_cmap("tab10" if patterns.num_patterns <= 10 else "tab20")
    centres = patterns.centres_in_units()
    pure = purity(pairs.motion, pairs.pattern, patterns)
    for k in range(patterns.num_patterns):
        sel = g == k
        ratio = pure["ratio"][k]
        note = "" if ratio is None else f" (spread {ratio:.2f}" + (
            ", MIXED)" if ratio >= MIXED_RATIO else ")")
        colour = cmap(k % cmap.N)
        ax.scatter(m[sel, a], m[sel, b], s=5, color=colour, label=f"pattern {k}{note}")
        ax.scatter(centres[k, a], centres[k, b], marker="o", s=60, facecolor="white",
                   edgecolor=colour, linewidth=2, alpha=0.9, zorder=3)
    ax.set_xlabel(f"Δ{spec.names[a]} ({spec.units[a] or 'units'})")
    ax.set_ylabel(f"Δ{spec.names[b]} ({spec.units[b] or 'units'})")
    ax.set_title(title or "pair motions and their motion patterns (o: centre; spread ratio: "
                          "lower is purer)", fontsize=9)
    ax.legend(fontsize=7, markerscale=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_pattern_examples(images: np.ndarray, pairs: Pairs, patterns: MotionPatterns,
                          spec: MotorSpec, path: str | Path, per_pattern: int = 3,
                          seed: int = 0) -> Path:
    """A grid: one row per pattern, ``per_pattern`` pairs (x_i | x_j) with their motion."""
    plt = _pyplot()
    rng = np.random.default_rng(seed)
    G = patterns.num_patterns
    fig, axes = plt.subplots(G, 2 * per_pattern, figsize=(1.6 * 2 * per_pattern, 1.8 * G),
                             squeeze=False)
    for g in range(G):
        members = np.flatnonzero(pairs.pattern == g)
        chosen = rng.choice(members, min(per_pattern, len(members)), replace=False) \
            if len(members) else []
        for c in range(per_pattern):
            for side in range(2):
                ax = axes[g, 2 * c + side]
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= len(chosen):
                    ax.axis("off")
                    continue
                k = chosen[c]
                img = images[pairs.i[k] if side == 0 else pairs.j[k]]
                ax.imshow(img[:, :, 0] if img.shape[2] == 1 else img, cmap="gray",
                          vmin=0, vmax=255)
                if side == 0:
                    motion = ", ".join(f"{v:+.1f}{u}" for v, u in
                                       zip(pairs.motion[k], spec.units))
                    ax.set_title(motion, fontsize=7, loc="left")
            if c == 0:
                axes[g, 0].set_ylabel(f"pattern {g}", fontsize=8)
    fig.suptitle("example pairs per motion pattern (left: x_i, right: x_j)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
