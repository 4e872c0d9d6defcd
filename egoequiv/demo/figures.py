"""Demo plots: one bar per method (mean ± std over label splits), and equivariance error
per method and motion pattern."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from egoequiv.data.motor import MotorSpec
from egoequiv.motion.patterns import MotionPatterns


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_method_bars(summary: dict, key: str, path: Path, title: str) -> Path | None:
    methods = [m for m in summary if key in summary[m]]
    if not methods:
        return None
    plt = _pyplot()
    mean = [summary[m][key]["mean"] for m in methods]
    std = [summary[m][key]["std"] for m in methods]
    fig, ax = plt.subplots(figsize=(1.1 * len(methods) + 2, 3.6))
    bars = ax.bar(range(len(methods)), mean, yerr=std, capsize=4,
                  color=[_method_colour(m) for m in methods])
    for bar, value in zip(bars, mean):
        ax.annotate(f"{value:.3f}", (bar.get_x() + bar.get_width() / 2, value),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(range(len(methods)), methods, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel(key)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_pattern_errors(runs: dict, patterns: MotionPatterns, spec: MotorSpec, path: Path,
                        title: str) -> Path | None:
    methods = [m for m, rs in runs.items()
               if rs and all(r.get("equivariance_error_per_pattern") for r in rs)]
    if not methods:
        return None
    plt = _pyplot()
    G = patterns.num_patterns
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * G + 2), 3.8))
    for k, m in enumerate(methods):
        arr = np.array([[np.nan if v is None else v for v in r["equivariance_error_per_pattern"]]
                        for r in runs[m]], dtype=float)
        ax.bar(np.arange(G) + k * width - 0.4 + width / 2, np.nanmean(arr, axis=0), width,
               label=m, color=_method_colour(m))
    centres = patterns.centres_in_units()
    labels = [f"g{g}\n" + ", ".join(f"{v:+.1f}{u}" for v, u in zip(centres[g], spec.units))
              for g in range(G)]
    ax.set_xticks(range(G), labels, fontsize=7)
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("equivariance error")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _method_colour(method: str):
    order = ("clsnet", "drlim", "temporal", "lsm", "equiv", "equiv+drlim",
             "equiv+drlim-continuous")
    plt = _pyplot()
    return plt.get_cmap("tab10")(order.index(method) % 10 if method in order else 9)
