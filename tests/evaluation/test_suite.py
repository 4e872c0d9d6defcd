"""The suite end to end on real ETH-80 views, with features synthesised from the view angles."""

import dataclasses
import json

import numpy as np
import pytest

from egoequiv.config import Config
from egoequiv.data.cache import Frames, load_frames
from egoequiv.data.registry import open_source
from egoequiv.evaluation.equivariance import apply_maps, fit_maps
from egoequiv.evaluation.suite import KEYS, METRICS, run_suite
from egoequiv.task.build import build_task

STEPS = [(-23.0, 0.0), (0.0, -23.0), (0.0, 23.0), (23.0, 0.0)]  # (polar, azimuth) degrees
FAST = dict(labels_per_class=5, splits=2)


@pytest.fixture(scope="module")
def task(shared_data):
    frames = load_frames(open_source(f"eth80:{shared_data}/eth80"), 16, 1, quiet=True)
    task = build_task(frames, Config())
    # patterns = exact view steps, so that a feature rotating with the view is exactly equivariant
    def exact(pairs):
        hit = (pairs.motion[:, None, :] == np.array(STEPS)[None]).all(axis=2)
        return dataclasses.replace(pairs, pattern=np.where(hit.any(axis=1), hit.argmax(axis=1), -1))

    task = dataclasses.replace(task, pairs=exact(task.pairs), test_pairs=exact(task.test_pairs))
    assert task.patterns.num_patterns == len(STEPS)
    return task


def equivariant_features(task, seed=0):
    """(polar, cos azimuth, sin azimuth, a random code per object): each step is affine."""
    t = task.table
    polar, az = np.deg2rad(t.motor[:, 0]), np.deg2rad(t.motor[:, 1])
    code = np.random.default_rng(seed).normal(size=(len(t.sequence_names), 4))[t.sequence]
    return np.c_[polar, np.cos(az), np.sin(az), code]


def test_exactly_equivariant_features(task, tmp_path):
    z = equivariant_features(task)
    p = task.pairs
    maps = fit_maps(z[p.i], z[p.j], p.pattern, 4)
    logits = np.eye(task.num_classes)[task.table.labels] * 5.0
    r = run_suite(z, task, classifier_logits=logits, out_dir=tmp_path, seed=0,
                  learned_maps=lambda zz, g: apply_maps(maps, zz, g), **FAST)
    assert set(KEYS) <= set(r) and set(r["metric_seconds"]) == set(METRICS)
    assert r["skipped"] == {}
    assert r["top1"] == 1.0 and r["top1_source"] == "head" and r["topk_k"] == 4
    assert r["equivariance_error"] < 1e-3 and len(r["equivariance_error_per_pattern"]) == 4
    assert r["learned_map_error"] < 1e-3
    assert r["composite_equivariance_error"] < 1e-3
    assert r["mrr"] == pytest.approx(1.0) and r["hits@1"] == pytest.approx(1.0)
    assert r["retrieval_hits@5"] == 1.0
    assert r["slowness_auroc"] > 0.9 and r["slowness_auroc_train"] > 0.9
    assert r["egomotion_r2_per_dim"][0] > 0.99  # polar motion is linear in the features
    assert r["next_best_view"]["num_starts"] > 0
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(r["plots"])
    assert len(r["plots"]) == 4
    json.dumps(r)  # JSON-ready


def test_noise_features(task):
    z = np.random.default_rng(1).normal(size=(len(task.table), 16))
    r = run_suite(z, task, metrics=["equivariance", "ranking", "slowness", "recognition"],
                  seed=3, **FAST)
    assert 0.65 < r["equivariance_error"] < 0.85
    assert r["mrr"] < 0.05
    assert 0.45 < r["slowness_auroc"] < 0.55
    assert r["top1_source"] == "linear_probe" and r["top1"] < 0.3
    assert r["composite_equivariance_error"] is None  # not asked for
    again = run_suite(z, task, metrics=["equivariance", "ranking", "slowness", "recognition"],
                      seed=3, **FAST)
    assert {k: v for k, v in again.items() if k != "metric_seconds"} == \
        {k: v for k, v in r.items() if k != "metric_seconds"}


def test_constant_features_are_undefined_not_a_crash(task):
    z = np.ones((len(task.table), 8))
    r = run_suite(z, task, metrics=["equivariance", "composite", "ranking", "slowness"], **FAST)
    assert r["equivariance_error"] is None and r["composite_equivariance_error"] is None
    assert any("0/0" in w for w in r["warnings"])
    assert r["slowness_auroc"] == 0.5
    # every candidate but the excluded query ties: chance among the other C - 1
    assert r["hits@1"] == pytest.approx(1 / (r["ranking_candidates"] - 1))


def test_unlabelled_source_skips_recognition(task):
    table = dataclasses.replace(task.table, labels=None, class_names=None)
    plain = dataclasses.replace(task, frames=Frames(table, task.frames.images))
    r = run_suite(equivariant_features(task), plain, metrics=["recognition", "next_best_view"])
    assert set(r["skipped"]) == {"recognition", "next_best_view"} and r["top1"] is None


def test_bad_inputs_are_refused(task):
    with pytest.raises(ValueError, match="unknown metrics"):
        run_suite(np.zeros((len(task.table), 2)), task, metrics=["nope"])
    with pytest.raises(ValueError, match="frames"):
        run_suite(np.zeros((3, 2)), task)


def test_a_refit_worse_than_no_change_is_flagged(task):
    # test frames move the other way in polar angle (a shift, so the fitted shift is wrong;
    # the azimuth rotations commute with the flip and stay exact)
    z = equivariant_features(task)
    test = np.zeros(len(z), bool)
    test[task.test] = True
    z[test, :3] *= -1.0
    r = run_suite(z, task, metrics=["equivariance"], **FAST)
    worse = [w for w in r["warnings"] if "worse than no change" in w]
    per = r["equivariance_error_per_pattern"]
    assert len(worse) == sum(e > 1 for e in per) == 2  # the two polar steps
    assert per[0] == pytest.approx(2.0) and per[1] < 1e-6
    r_ok = run_suite(equivariant_features(task), task, metrics=["equivariance"], **FAST)
    assert not [w for w in r_ok["warnings"] if "worse than no change" in w]
