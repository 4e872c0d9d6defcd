import numpy as np
import pytest

from egoequiv.evaluation.equivariance import (
    apply_maps,
    chain_pairs,
    composite_error,
    equivariance_error,
    error_with_maps,
    fit_maps,
    learned_map_error,
)


def _exact(rng, n, d, g):
    """z_j = A_g z_i + b_g exactly, random A_g, b_g."""
    a = rng.normal(size=(g, d, d))
    b = rng.normal(size=(g, d))
    zi = rng.normal(size=(n, d))
    p = rng.integers(0, g, n)
    zj = np.einsum("nd,nde->ne", zi, a[p]) + b[p]
    return zi, zj, p, a, b


def test_fit_maps_recovers_affine_maps():
    rng = np.random.default_rng(0)
    zi, zj, p, a, b = _exact(rng, 2000, 5, 3)
    maps = fit_maps(zi, zj, p, 3, ridge=1e-9)
    assert maps.shape == (3, 6, 5)
    np.testing.assert_allclose(maps[:, :5], a, atol=1e-6)
    np.testing.assert_allclose(maps[:, 5], b, atol=1e-6)
    np.testing.assert_allclose(apply_maps(maps, zi, p), zj, atol=1e-6)


def test_exactly_equivariant_features_give_zero_error():
    rng = np.random.default_rng(1)
    tr = _exact(rng, 3000, 8, 4)
    te_i = rng.normal(size=(1000, 8))
    te_p = rng.integers(0, 4, 1000)
    a, b = tr[3], tr[4]
    te_j = np.einsum("nd,nde->ne", te_i, a[te_p]) + b[te_p]
    r = equivariance_error(tr[0], tr[1], tr[2], te_i, te_j, te_p, 4)
    assert r["mean"] < 1e-4
    assert all(v < 1e-4 for v in r["per_pattern"])
    assert r["warnings"] == []


def test_noise_features_give_one_over_sqrt2():
    rng = np.random.default_rng(2)
    n, d = 16000, 128
    r = equivariance_error(rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.integers(0, 2, n),
                           rng.normal(size=(4000, d)), rng.normal(size=(4000, d)),
                           rng.integers(0, 2, 4000), 2)
    assert r["mean"] == pytest.approx(1 / np.sqrt(2), abs=0.02)


def test_constant_features_are_undefined_not_nan():
    z = np.ones((100, 4))
    p = np.arange(100) % 3
    r = equivariance_error(z, z, p, z, z, p, 3)
    assert r["per_pattern"] == [None, None, None]
    assert r["mean"] is None
    assert r["warnings"] and "0/0" in r["warnings"][0]


def test_partly_undefined_and_missing_patterns_warn():
    rng = np.random.default_rng(3)
    zi, zj = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    train_p = np.where(np.arange(300) < 150, 0, -1)  # pattern 1 has no training pairs
    te_i = rng.normal(size=(20, 3))
    te_j = te_i.copy()
    te_j[:10] += 1.0  # pattern 0: 10 defined, 10 with z_i == z_j
    te_p = np.r_[np.zeros(20, int), np.ones(5, int)]
    te_i, te_j = np.r_[te_i, te_i[:5]], np.r_[te_j, te_j[:5] + 1]
    r = equivariance_error(zi, zj, train_p, te_i, te_j, te_p, 2)
    assert r["per_pattern"][0] is not None and np.isfinite(r["per_pattern"][0])
    assert r["per_pattern"][1] is None
    assert r["num_pairs"][0] == 10
    assert r["mean"] == r["per_pattern"][0]
    assert any("10 of 20" in w for w in r["warnings"])
    assert any("pattern 1: no training pairs" in w for w in r["warnings"])


def test_apply_maps_rejects_undefined_patterns():
    with pytest.raises(ValueError):
        apply_maps(np.zeros((2, 4, 3)), np.zeros((2, 3)), np.array([0, -1]))


def test_learned_map_error():
    rng = np.random.default_rng(4)
    zi, zj = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    assert learned_map_error(zj, zj, zi)["mean"] == pytest.approx(0.0)
    assert learned_map_error(zi, zj, zi)["mean"] == pytest.approx(1.0)  # the identity "map"
    p = np.arange(50) % 2
    r = learned_map_error(np.where(p[:, None] == 0, zj, zi), zj, zi, p, 3)
    assert r["per_pattern"][:2] == [pytest.approx(0.0), pytest.approx(1.0)]
    assert r["per_pattern"][2] is None and r["mean"] == pytest.approx(0.5)


def test_chain_pairs_on_a_known_graph():
    # 0->1 (g0), 1->2 (g1), 1->0 (g1), 2->3 (none), 0->4 (g1): chains 0->1->2 and 1->0->4;
    # 0->1->0 and 1->0->1 return to their start, 1->2->3 has an undefined step
    i, j, p = [0, 1, 1, 2, 0], [1, 2, 0, 3, 4], [0, 1, 1, -1, 1]
    a, b, c, g1, g2 = chain_pairs(i, j, p)
    assert (a.tolist(), b.tolist(), c.tolist()) == ([0, 1], [1, 0], [2, 4])
    assert (g1.tolist(), g2.tolist()) == ([0, 1], [1, 1])
    assert len(chain_pairs(i, j, p, max_chains=1)[0]) <= 1


def test_composite_error_zero_for_exact_maps_on_a_chain_of_views():
    rng = np.random.default_rng(5)
    d, n = 3, 40
    a = np.linalg.qr(rng.normal(size=(d, d)))[0]  # one rotation step, forward pattern 0
    z = [rng.normal(size=d)]
    for _ in range(n - 1):
        z.append(z[-1] @ a + 0.1)
    z = np.array(z)
    i, j = np.arange(n - 1), np.arange(1, n)
    maps = fit_maps(z[i], z[j], np.zeros(n - 1, int), 1, ridge=1e-12)
    r = composite_error(maps, z, i, j, np.zeros(n - 1, int))
    assert r["mean"] < 1e-6 and list(r["per_composite"]) == ["0>0"]
    noisy = composite_error(maps, rng.normal(size=z.shape), i, j, np.zeros(n - 1, int))
    assert noisy["mean"] > 0.3


def test_a_pattern_with_one_training_pair_gets_the_null_model():
    rng = np.random.default_rng(0)
    z_i = rng.normal(size=(21, 4))
    z_j = z_i + 1.0
    pattern = np.array([0] * 20 + [1])
    maps = fit_maps(z_i, z_j, pattern, 2, groups=np.arange(21) % 3)
    np.testing.assert_allclose(maps[1, :-1], np.eye(4))  # identity plus the mean shift
    np.testing.assert_allclose(maps[1, -1], np.ones(4))


def test_refit_never_worse_than_the_null_model_on_held_out_sequences():
    # features that ignore the motion: noise; the refit falls back to "no change + shift"
    rng = np.random.default_rng(1)
    z_i, z_j = rng.normal(size=(200, 30)), rng.normal(size=(200, 30))
    groups = np.repeat(np.arange(5), 40)
    maps = fit_maps(z_i, z_j, np.zeros(200, int), 1, groups=groups)
    err = error_with_maps(maps, rng.normal(size=(100, 30)), rng.normal(size=(100, 30)),
                          np.zeros(100, int))["mean"]
    assert err < 1.05
