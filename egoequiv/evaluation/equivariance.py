"""Equivariance error with refitted affine maps M'_g, per motion pattern (the paper's measure).

For each pattern g, ``fit_maps`` fits an affine map by ridge least squares on the training pairs
(i, j) of pattern g, with the bias folded in:  W_g = argmin_W sum ||[z_i, 1] W - z_j||^2
+ lam * ||W_lin - I||^2 (the linear part shrunk towards the identity, lam relative to the
features' scale; see ``fit_maps``), W_g of shape (D+1, D), so M'_g z = [z, 1] @ W_g.
The maps are refitted for every method, ours included (paper, footnote).

``equivariance_error`` reports, on the *test* pairs of each pattern g,

    e_g = mean over test pairs (i, j) of pattern g of  ||M'_g z_i - z_j|| / ||z_i - z_j||

(Euclidean norms). 0 = perfectly equivariant; a map that can only predict the mean feature gives
about 1/sqrt(2) on features that ignore the image. A pair with ||z_i - z_j|| == 0 (up to 1e-12
relative to the feature norms) is undefined (0/0) and excluded; a pattern whose test pairs are
all undefined, or that has no test pairs, or no training pairs to fit its map, reports None.
"mean" is the unweighted mean of e_g over the patterns that are defined (None if none is).
Every exclusion is listed in "warnings"; no NaN is ever returned.

``composite_error`` does the same for two-step motions: chains (i, k), (k, j) of *test* pairs
whose two patterns g1, g2 are both defined (and i != j) are scored with M'_g2(M'_g1 z_i)
against z_j, normalised by ||z_i - z_j||.

Memory: pairs are processed ``CHUNK`` (4096) at a time; the normal equations hold G (D+1)^2
values. Chains are counted first and at most ``max_chains`` are sampled, without building them all.
"""

from __future__ import annotations

import numpy as np

from egoequiv.evaluation._chunks import CHUNK, chunks

_TOL = 1e-12
#: ridge of the refitted maps, relative to the features' scale (ours; the paper says least
#: squares): "auto" picks it per pattern from RIDGE_GRID on held-out training pairs. The last
#: value, infinity, is the null model "no change plus the mean shift" (W_lin = I), so the
#: choice never prefers a map that predicts held-out pairs worse than that.
RIDGE = "auto"
RIDGE_GRID = (1e-8, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, float("inf"))
#: a pattern with fewer training pairs than this gets the null model
MIN_PAIRS_TO_FIT = 10


def fit_maps(z_i: np.ndarray, z_j: np.ndarray, pattern: np.ndarray, num_patterns: int,
             ridge: float | str = RIDGE, groups: np.ndarray | None = None) -> np.ndarray:
    """Affine maps (G, D+1, D) by ridge least squares per pattern; NaN for a pattern with no pairs.

    Pairs with pattern < 0 are ignored. The ridge term pulls the linear part towards the
    identity, not towards zero: W_g = argmin ||[z_i, 1] W - z_j||^2 + lam ||W_lin - I||^2,
    with lam = ridge * trace(Z_i^T Z_i) / D (``ridge`` is relative to the features' scale),
    so a pattern with few pairs falls back towards "no change" instead of overfitting. The
    bias is not penalised. ``ridge="auto"`` (default) picks it per pattern from
    ``RIDGE_GRID`` by the error on a held-out fifth of that pattern's training pairs, then
    refits on all of them: exactly equivariant features get (almost) no shrinkage. With
    ``groups`` (e.g. each pair's sequence), whole groups are held out, so the choice sees
    the same shift to unseen sequences as the test pairs do. The grid ends with the null
    model (ridge = inf: identity plus the mean shift), chosen where nothing predicts the
    held-out pairs better.
    """
    z_i, z_j = np.asarray(z_i, np.float64), np.asarray(z_j, np.float64)
    pattern = np.asarray(pattern)
    d = z_i.shape[1]
    maps = np.full((num_patterns, d + 1, d), np.nan)
    rng = np.random.default_rng(0)
    for g in range(num_patterns):
        idx = np.flatnonzero(pattern == g)
        if len(idx) == 0:
            continue
        lam = ridge
        if ridge == "auto":  # too few pairs to hold any out: the null model
            lam = RIDGE_GRID[-1]
            if len(idx) >= MIN_PAIRS_TO_FIT:
                held = _held_out(len(idx), None if groups is None else groups[idx], rng)
                lam = _pick_ridge(z_i[idx], z_j[idx], held)
        maps[g] = _solve(*_normal_equations(z_i[idx], z_j[idx]), float(lam))
    return maps


def _normal_equations(z_i, z_j):
    d = z_i.shape[1]
    xtx, xty = np.zeros((d + 1, d + 1)), np.zeros((d + 1, d))
    for s in chunks(len(z_i)):
        x = _augment(z_i[s])
        xtx += x.T @ x
        xty += x.T @ z_j[s]
    return xtx, xty


def _solve(xtx, xty, ridge: float) -> np.ndarray:
    d = xty.shape[1]
    if np.isinf(ridge):  # the null model: identity plus the mean shift z_j - z_i
        shift = (xty[d] - xtx[d, :d]) / max(xtx[d, d], 1.0)
        return np.vstack([np.eye(d), shift[None]])
    penalty = np.eye(d + 1)
    penalty[d, d] = 0.0
    identity = np.vstack([np.eye(d), np.zeros((1, d))])
    lam = ridge * np.trace(xtx[:d, :d]) / d
    a, b = xtx + lam * penalty, xty + lam * identity
    try:  # an LU solve is ~10x faster than lstsq on 1000-d pixels; lstsq if singular
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _held_out(n: int, groups, rng) -> np.ndarray:
    held = np.zeros(n, bool)
    names = np.unique(groups) if groups is not None else []
    if len(names) >= 2:
        chosen = rng.choice(names, max(1, len(names) // 5), replace=False)
        return np.isin(groups, chosen)
    held[rng.choice(n, max(2, n // 5), replace=False)] = True
    return held


def _pick_ridge(z_i, z_j, held) -> float:
    eqs = _normal_equations(z_i[~held], z_j[~held])
    best, best_err = RIDGE_GRID[-1], np.inf
    for lam in RIDGE_GRID:
        w = _solve(*eqs, lam)
        err = np.linalg.norm(_augment(z_i[held]) @ w - z_j[held], axis=1).mean()
        if err < best_err - 1e-12:
            best, best_err = lam, err
    return best


def _augment(z: np.ndarray) -> np.ndarray:
    return np.concatenate([z, np.ones((len(z), 1))], axis=1)


def apply_maps(maps: np.ndarray, z: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """(P, D): row k is [z_k, 1] @ maps[pattern_k]. Every pattern must be in 0..G-1."""
    z, pattern = np.asarray(z, np.float64), np.asarray(pattern)
    if len(pattern) and (pattern.min() < 0 or pattern.max() >= len(maps)):
        raise ValueError(f"apply_maps: patterns must be in 0..{len(maps) - 1}")
    out = np.empty((len(z), maps.shape[2]))
    for g in np.unique(pattern):
        idx = np.flatnonzero(pattern == g)
        for s in chunks(len(idx)):
            out[idx[s]] = z[idx[s]] @ maps[g, :-1] + maps[g, -1]
    return out


def relative_errors(predicted: np.ndarray, z_j: np.ndarray, z_i: np.ndarray):
    """Per pair ||predicted - z_j|| / ||z_i - z_j||, and a mask of the defined (non 0/0) pairs."""
    num, den, scale = (np.empty(len(z_j)) for _ in range(3))
    for s in chunks(len(z_j)):
        zi, zj = np.asarray(z_i[s], np.float64), np.asarray(z_j[s], np.float64)
        num[s] = np.linalg.norm(np.asarray(predicted[s], np.float64) - zj, axis=1)
        den[s] = np.linalg.norm(zi - zj, axis=1)
        scale[s] = np.linalg.norm(zi, axis=1) + np.linalg.norm(zj, axis=1)
    defined = den > _TOL * np.maximum(scale, 1.0)
    ratio = np.zeros(len(z_j))
    ratio[defined] = num[defined] / den[defined]
    return ratio, defined


def _summarise(ratio, defined, groups, names, warnings) -> tuple[list, list]:
    per, counts = [], []
    for g, name in zip(groups, names, strict=True):
        sel = groups[g]
        ok = defined[sel]
        counts.append(int(ok.sum()))
        if len(sel) == 0:
            warnings.append(f"{name}: no test pairs")
            per.append(None)
            continue
        if not ok.all():
            warnings.append(f"{name}: {int((~ok).sum())} of {len(sel)} test pairs have "
                            "z_i == z_j (0/0), excluded")
        per.append(float(ratio[sel][ok].mean()) if ok.any() else None)
    return per, counts


def _mean(values: list) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def equivariance_error(z_train_i, z_train_j, train_pattern, z_test_i, z_test_j, test_pattern,
                       num_patterns: int, ridge: float | str = RIDGE) -> dict:
    """Refit M'_g on the training pairs, score the test pairs (see the module doc).

    Returns {"per_pattern": [float | None] * G, "mean": float | None, "num_pairs": [int] * G
    (defined test pairs per pattern), "warnings": [str]}.
    """
    maps = fit_maps(z_train_i, z_train_j, train_pattern, num_patterns, ridge)
    return error_with_maps(maps, z_test_i, z_test_j, test_pattern)


def error_with_maps(maps: np.ndarray, z_i, z_j, pattern) -> dict:
    """The equivariance error of given affine maps (G, D+1, D) on pairs of known pattern."""
    pattern = np.asarray(pattern)
    num_patterns = len(maps)
    warnings = []
    fitted = ~np.isnan(maps).any(axis=(1, 2))
    usable = (pattern >= 0) & (pattern < num_patterns)
    usable[usable] = fitted[pattern[usable]]
    idx = np.flatnonzero(usable)
    predicted = apply_maps(maps, np.asarray(z_i)[idx], pattern[idx])
    ratio, defined = relative_errors(predicted, np.asarray(z_j)[idx], np.asarray(z_i)[idx])
    groups = {g: np.flatnonzero(pattern[idx] == g) for g in range(num_patterns)}
    per, counts = _summarise(ratio, defined, groups,
                             [f"pattern {g}" for g in range(num_patterns)], warnings)
    for g in np.flatnonzero(~fitted):
        warnings.append(f"pattern {g}: no training pairs to fit its map")
    return {"per_pattern": per, "mean": _mean(per), "num_pairs": counts, "warnings": warnings}


def learned_map_error(mapped: np.ndarray, z_j: np.ndarray, z_i: np.ndarray,
                      pattern: np.ndarray | None = None, num_patterns: int | None = None) -> dict:
    """The same ratio for the model's own maps: ``mapped`` = M_g z_i computed by the model.

    Without ``pattern`` every pair is one group; with it, the dict is per pattern as above.
    """
    ratio, defined = relative_errors(mapped, z_j, z_i)
    warnings = []
    if pattern is None:
        per, counts = _summarise(ratio, defined, {0: np.arange(len(ratio))}, ["all"], warnings)
        return {"per_pattern": None, "mean": per[0], "num_pairs": counts, "warnings": warnings}
    pattern = np.asarray(pattern)
    num_patterns = num_patterns if num_patterns is not None else int(pattern.max(initial=-1)) + 1
    groups = {g: np.flatnonzero(pattern == g) for g in range(num_patterns)}
    per, counts = _summarise(ratio, defined, groups,
                             [f"pattern {g}" for g in range(num_patterns)], warnings)
    return {"per_pattern": per, "mean": _mean(per), "num_pairs": counts, "warnings": warnings}


def chain_pairs(i, j, pattern, max_chains: int = 100_000, seed: int = 0):
    """Two-step chains (a, b, c, g1, g2): pairs (a, b) and (b, c) both of defined pattern, a != c.

    At most ``max_chains`` are returned (a uniform sample, fixed by ``seed``), in a stable order.
    """
    i, j, pattern = (np.asarray(v, np.int64) for v in (i, j, pattern))
    keep = pattern >= 0
    i, j, pattern = i[keep], j[keep], pattern[keep]
    order = np.argsort(i, kind="stable")
    starts = i[order]
    lo = np.searchsorted(starts, j, side="left")
    counts = np.searchsorted(starts, j, side="right") - lo
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    if total > max_chains:
        flat = np.sort(np.random.default_rng(seed).choice(total, max_chains, replace=False))
    else:
        flat = np.arange(total)
    first = np.searchsorted(offsets, flat, side="right") - 1
    second = order[lo[first] + (flat - offsets[first])]
    a, b, c = i[first], j[first], j[second]
    ok = a != c
    return a[ok], b[ok], c[ok], pattern[first][ok], pattern[second][ok]


def composite_error(maps: np.ndarray, z: np.ndarray, i, j, pattern,
                    max_chains: int = 100_000, seed: int = 0) -> dict:
    """Two-step equivariance error: ||M'_g2 M'_g1 z_a - z_c|| / ||z_a - z_c|| over test chains.

    ``z`` (N, D) features of every frame; ``i, j, pattern`` the single-step test pairs (frame
    indices into z). Returns {"per_composite": {"g1>g2": float | None}, "mean" (unweighted over
    the composites that are defined), "num_chains", "warnings"}.
    """
    z = np.asarray(z, np.float64)
    a, b, c, g1, g2 = chain_pairs(i, j, pattern, max_chains, seed)
    fitted = ~np.isnan(maps).any(axis=(1, 2))
    ok = fitted[g1] & fitted[g2] if len(a) else np.zeros(0, bool)
    a, c, g1, g2 = a[ok], c[ok], g1[ok], g2[ok]
    predicted = np.empty((len(a), z.shape[1]))
    for s in chunks(len(a), CHUNK):
        predicted[s] = apply_maps(maps, apply_maps(maps, z[a[s]], g1[s]), g2[s])
    ratio, defined = relative_errors(predicted, z[c], z[a])
    g = len(maps)
    code = g1 * g + g2
    groups = {int(k): np.flatnonzero(code == k) for k in np.unique(code)}
    names = [f"{k // g}>{k % g}" for k in groups]
    warnings = [] if len(a) else ["no two-step chains among the test pairs"]
    per, _ = _summarise(ratio, defined, groups, names, warnings)
    return {"per_composite": dict(zip(names, per, strict=True)), "mean": _mean(per),
            "num_chains": int(defined.sum()), "warnings": warnings}
