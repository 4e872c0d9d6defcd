import numpy as np
import pytest

from egoequiv.motion.patterns import MotionPatterns, fit_patterns, kmeans


def planted(seed=0, n=200):
    rng = np.random.default_rng(seed)
    centres = np.array([[-10.0, 1.0], [0.0, 1.0], [10.0, 1.0], [0.0, 3.0]])
    labels = rng.integers(len(centres), size=n * len(centres))
    return centres, labels, centres[labels] + rng.normal(0, 0.3, size=(len(labels), 2))


def test_kmeans_recovers_planted_clusters():
    centres, labels, x = planted()
    found, assign = kmeans(x, 4, np.random.default_rng(1))
    # every planted centre has a found centre within 0.1
    d = np.linalg.norm(centres[:, None] - found[None], axis=2)
    assert d.min(axis=1).max() < 0.1
    # the partition equals the planted one up to renaming
    mapping = {int(lab): int(a) for lab, a in zip(labels, assign)}
    assert len(set(mapping.values())) == 4
    assert all(mapping[int(lab)] == int(a) for lab, a in zip(labels, assign))


def test_fit_patterns_keeps_representative_and_drops_zero_motions():
    _, labels, x = planted()
    x = np.concatenate([x, np.zeros((50, 2))])  # 50 pairs with no motion
    p = fit_patterns(x, 4, seed=0, min_motion=0.1, keep_fraction=0.5)
    g = p.assign(x)
    assert (g[-50:] == -1).all()
    kept = g[:-50] >= 0
    assert 0.45 < kept.mean() < 0.55
    # kept pairs are the ones nearest their centre
    _, dist = p.nearest(x[:-50])
    assert dist[kept].max() <= dist[~kept].min() + 1e-6 or dist[kept].mean() < dist[~kept].mean()


def test_patterns_roundtrip_and_are_deterministic():
    _, _, x = planted()
    a = fit_patterns(x, 4, seed=3)
    b = MotionPatterns.from_state_dict(a.state_dict())
    assert np.array_equal(a.assign(x), b.assign(x))
    assert np.array_equal(a.centres, fit_patterns(x, 4, seed=3).centres)


def test_too_few_motions_is_an_error():
    with pytest.raises(ValueError, match="non-zero motions"):
        fit_patterns(np.zeros((10, 2)), 4)
