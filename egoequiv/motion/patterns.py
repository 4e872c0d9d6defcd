"""Motion patterns: k-means clusters of pair motions ("left turn", "forward", ...).

Motions are standardised per dimension (divided by their standard deviation over the
training pairs) before clustering, so degrees and metres weigh alike. Two documented
options pick the representative pairs (the paper's thresholds are unknown to us):

- ``min_motion``: pairs whose standardised motion norm is below it are near-zero motions
  (a stopped car, the same view) and get no pattern. Default 0.1.
- ``keep_fraction``: within each cluster, only this fraction of pairs closest to the centre
  keep the pattern ("large", representative motions). Default 0.7.

On a grid of views (``layout="views"``: smallNORB, ETH-80, rendered objects) the motions are
discrete, and k-means would lump different steps into one pattern, which one affine map
cannot model. ``grid_patterns`` makes each distinct step one pattern instead (see
``docs/data.md``, "Motion patterns"). ``purity`` measures how mixed each pattern is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MotionPatterns:
    centres: np.ndarray  # (G, D) standardised units
    scale: np.ndarray  # (D,) the per-dimension std used to standardise
    radius: np.ndarray  # (G,) a pair keeps pattern g if within this distance of centre g
    min_motion: float

    @property
    def num_patterns(self) -> int:
        return len(self.centres)

    def standardise(self, motion: np.ndarray) -> np.ndarray:
        return np.asarray(motion, dtype=np.float64) / self.scale

    def nearest(self, motion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the nearest centre and the distance to it, per motion."""
        m = self.standardise(motion)
        d = np.linalg.norm(m[:, None, :] - self.centres[None], axis=2)
        g = d.argmin(axis=1)
        return g, d[np.arange(len(m)), g]

    def assign(self, motion: np.ndarray) -> np.ndarray:
        """Pattern of each motion, or -1 (near-zero, or far from every centre)."""
        if len(motion) == 0:
            return np.zeros(0, dtype=np.int64)
        g, dist = self.nearest(motion)
        small = np.linalg.norm(self.standardise(motion), axis=1) < self.min_motion
        return np.where(small | (dist > self.radius[g]), -1, g).astype(np.int64)

    def centres_in_units(self) -> np.ndarray:
        """Centres in the motor's own units (degrees, metres)."""
        return self.centres * self.scale

    def state_dict(self) -> dict:
        return {"centres": self.centres, "scale": self.scale, "radius": self.radius,
                "min_motion": self.min_motion}

    @classmethod
    def from_state_dict(cls, state: dict) -> MotionPatterns:
        return cls(np.asarray(state["centres"]), np.asarray(state["scale"]),
                   np.asarray(state["radius"]), float(state["min_motion"]))


def grid_patterns(motion: np.ndarray, steps, diagonals: bool = False,
                  min_motion: float = 0.1) -> MotionPatterns:
    """One pattern per distinct one-step motion on a grid of views.

    ``steps[d]`` is the grid step of motor dimension d. With ``diagonals=False`` the
    patterns are the 2D single-axis steps (+-step in one dimension, 0 in the others) and a
    diagonal motion gets no pattern (-1; it stays a neighbour pair for drlim and the like);
    with ``diagonals=True`` every combination of {-1, 0, +1} steps except 0 is a pattern
    (3^D - 1). Only steps that occur among ``motion`` become patterns. A motion keeps a
    pattern only if it lies within a quarter step of it in every dimension.
    """
    motion = np.asarray(motion, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    dim = len(steps)
    scale = motion.std(axis=0) if len(motion) else np.ones(dim)
    scale[scale == 0] = 1.0
    units = np.rint(motion / steps).astype(np.int64) if len(motion) else np.zeros((0, dim), int)
    exact = (np.abs(motion - units * steps) <= 0.25 * steps).all(axis=1)
    moves = np.abs(units).sum(axis=1)
    ok = exact & (np.abs(units).max(axis=1, initial=0) == 1)
    ok &= (moves >= 1) if diagonals else (moves == 1)
    found = np.unique(units[ok], axis=0) if ok.any() else np.zeros((0, dim), int)
    if len(found) == 0:
        raise ValueError("no one-step motions on the view grid (check the source's steps)")
    order = np.lexsort(found.T[::-1])
    centres = found[order] * steps / scale
    radius = np.full(len(centres), 0.25 * float((steps / scale).min()))
    return MotionPatterns(centres, scale, radius, min_motion)


def purity(motion: np.ndarray, pattern: np.ndarray, patterns: MotionPatterns,
           max_points: int = 2000) -> dict:
    """How mixed each pattern is, in standardised motion units.

    - ``ratio_g`` = ``spread_g / separation_g``: the RMS distance of the pattern's motions to
      its centre over the distance from its centre to the nearest other centre. About 0 for
      one motion; about 0.15-0.35 for a cell of a continuum (driving).
    - ``split_g``: the fraction of the pattern's spread that a split into two clusters
      (2-means) removes: near 1 when it holds two distinct motions, at most about 0.75 for a
      continuum (a uniform 1-D cell), about 0.3 for a round blob.

    A pattern is *mixed* when ``ratio >= MIXED_RATIO`` or when it splits into two distinct
    motions (``split >= MIXED_SPLIT``) that lie at least a quarter of ``separation`` apart.
    Returns {"spread", "separation", "ratio", "split": [float | None] * G, "mixed": [g, ...]}.
    """
    m = patterns.standardise(motion)
    pattern = np.asarray(pattern)
    c = patterns.centres
    g_count = len(c)
    gaps = np.linalg.norm(c[:, None] - c[None], axis=2) + np.diag(np.full(g_count, np.inf))
    rng = np.random.default_rng(0)
    out = {"spread": [], "separation": [], "ratio": [], "split": [], "mixed": []}
    for g in range(g_count):
        sel = m[pattern == g]
        if len(sel) > max_points:
            sel = sel[rng.choice(len(sel), max_points, replace=False)]
        sep = float(gaps[g].min()) if g_count > 1 else None
        sp = float(np.sqrt(((sel - c[g]) ** 2).sum(axis=1).mean())) if len(sel) else None
        ratio = sp / sep if sp is not None and sep else None
        split, apart = _two_way_split(sel, rng)
        out["spread"].append(sp)
        out["separation"].append(sep)
        out["ratio"].append(ratio)
        out["split"].append(split)
        distinct = split is not None and split >= MIXED_SPLIT and sep and apart >= 0.25 * sep
        if (ratio is not None and ratio >= MIXED_RATIO) or distinct:
            out["mixed"].append(g)
    return out


def _two_way_split(x: np.ndarray, rng) -> tuple[float | None, float]:
    """(fraction of the variance that 2-means removes, distance between its two centres)."""
    total = ((x - x.mean(axis=0)) ** 2).sum() if len(x) else 0.0
    if len(x) < 4 or total <= 1e-12 * len(x):
        return (None if len(x) < 4 else 0.0), 0.0
    centres, assign = kmeans(x, 2, rng, restarts=2)
    within = ((x - centres[assign]) ** 2).sum()
    return float(1 - within / total), float(np.linalg.norm(centres[0] - centres[1]))


#: purity thresholds (ours; see ``purity``): a cell of a continuum stays below the ratio and
#: the split; two motions lumped into one pattern exceed at least one of them
MIXED_RATIO = 0.4
MIXED_SPLIT = 0.85


def pattern_labels(patterns: MotionPatterns, names, units) -> list[str]:
    """Readable names of the patterns' motions: "+5° elevation" for a one-axis step, else
    every non-zero component ("+3.1° heading, +9.8 m odometer")."""
    out = []
    for centre in patterns.centres_in_units():
        parts = [f"{v:+.3g}{'°' if u == 'deg' else ' ' + u if u else ''} {n}"
                 for v, n, u in zip(centre, names, units) if abs(v) > 1e-9]
        out.append(", ".join(parts) or "no motion")
    return out


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 100,
           restarts: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding; the best of ``restarts`` runs by inertia."""
    if len(x) < k:
        raise ValueError(f"k-means: {len(x)} points cannot make {k} clusters")
    best = None
    for _ in range(restarts):
        centres = _kmeans_pp(x, k, rng)
        for _ in range(iters):
            d = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2)
            assign = d.argmin(axis=1)
            new = np.array([x[assign == c].mean(axis=0) if (assign == c).any()
                            else x[rng.integers(len(x))] for c in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        d = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2)
        inertia = d.min(axis=1).sum()
        if best is None or inertia < best[0]:
            best = (inertia, centres, d.argmin(axis=1))
    return best[1], best[2]


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
        p = d / d.sum() if d.sum() > 0 else None
        centres.append(x[rng.choice(len(x), p=p)])
    return np.array(centres)


def fit_patterns(motion: np.ndarray, num_patterns: int, seed: int = 0,
                 min_motion: float = 0.1, keep_fraction: float = 0.7,
                 max_points: int = 20000) -> MotionPatterns:
    """Cluster training motions into ``num_patterns`` patterns (see module doc)."""
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction must be in (0, 1], got {keep_fraction}")
    motion = np.asarray(motion, dtype=np.float64)
    scale = motion.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant dimension (round-off, e.g. a planar robot's roll)
    m = motion / scale
    moving = m[np.linalg.norm(m, axis=1) >= min_motion]
    if len(moving) < num_patterns:
        raise ValueError(
            f"only {len(moving)} non-zero motions for {num_patterns} motion patterns")
    rng = np.random.default_rng(seed)
    if len(moving) > max_points:  # k-means on a sample; assignment covers every pair
        moving = moving[rng.choice(len(moving), max_points, replace=False)]
    centres, assign = kmeans(moving, num_patterns, rng)
    dist = np.linalg.norm(moving - centres[assign], axis=1)
    radius = np.array([np.quantile(dist[assign == g], keep_fraction) if (assign == g).any()
                       else 0.0 for g in range(num_patterns)])
    order = np.lexsort(centres.T[::-1])  # stable pattern numbering, by first motion dim
    return MotionPatterns(centres[order], scale, radius[order] + 1e-9, min_motion)
