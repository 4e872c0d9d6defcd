"""Motion patterns: k-means clusters of pair motions ("left turn", "forward", ...).

Motions are standardised per dimension (divided by their standard deviation over the
training pairs) before clustering, so degrees and metres weigh alike. Two documented
options pick the representative pairs (the paper's thresholds are unknown to us):

- ``min_motion``: pairs whose standardised motion norm is below it are near-zero motions
  (a stopped car, the same view) and get no pattern. Default 0.1.
- ``keep_fraction``: within each cluster, only this fraction of pairs closest to the centre
  keep the pattern ("large", representative motions). Default 0.7.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
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
    scale[scale == 0] = 1.0
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
