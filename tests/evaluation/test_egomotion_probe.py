import numpy as np
import pytest

from egoequiv.evaluation.egomotion_probe import egomotion_r2


def test_features_holding_the_pose_give_r2_one():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(2000, 3))
    z = np.c_[pose @ rng.normal(size=(3, 6)), rng.normal(size=(2000, 2))]
    i, j = np.arange(0, 2000, 2), np.arange(1, 2000, 2)
    motion = pose[j] - pose[i]
    tr, te = slice(0, 700), slice(700, 1000)
    r = egomotion_r2(z[i][tr], z[j][tr], motion[tr], z[i][te], z[j][te], motion[te], ridge=1e-8)
    assert r["r2_per_dim"] == [pytest.approx(1.0, abs=1e-6)] * 3
    noise = rng.normal(size=z.shape)
    r = egomotion_r2(noise[i][tr], noise[j][tr], motion[tr], noise[i][te], noise[j][te],
                     motion[te])
    assert r["r2_mean"] < 0.05


def test_constant_motion_dimension_is_undefined():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(100, 4))
    motion = np.c_[rng.normal(size=100), np.zeros(100)]
    r = egomotion_r2(z[:50], z[50:], motion[:50], z[:50], z[50:], motion[50:])
    assert r["r2_per_dim"][1] is None and r["warnings"]
    assert r["r2_mean"] == r["r2_per_dim"][0]
    assert egomotion_r2(z[:0], z[:0], motion[:0], z, z, motion)["r2_mean"] is None
