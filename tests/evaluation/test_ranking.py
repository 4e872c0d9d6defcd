import numpy as np
import pytest

from egoequiv.evaluation.ranking import rank_metrics


def test_exact_prediction_gives_mrr_one():
    rng = np.random.default_rng(0)
    cand = rng.normal(size=(300, 8))
    true = rng.integers(0, 300, 100)
    r = rank_metrics(cand[true] + 1e-9, cand, true)
    assert r["mrr"] == 1.0 and r["hits@1"] == 1.0 and r["mean_rank"] == 1.0


def test_constant_features_score_chance():
    c = 50
    r = rank_metrics(np.zeros((10, 3)), np.zeros((c, 3)), np.arange(10), ks=(1, 10))
    assert r["mrr"] == pytest.approx(np.mean(1.0 / np.arange(1, c + 1)))
    assert r["hits@1"] == pytest.approx(1 / c) and r["hits@10"] == pytest.approx(10 / c)
    assert r["mean_rank"] == pytest.approx((c + 1) / 2)


def test_matches_brute_force_ranks():
    rng = np.random.default_rng(1)
    cand = rng.normal(size=(60, 4))
    pred = rng.normal(size=(25, 4))
    true = rng.integers(0, 60, 25)
    d = np.linalg.norm(pred[:, None] - cand[None], axis=2)
    rank = (d < d[np.arange(25), true][:, None]).sum(1) + 1
    r = rank_metrics(pred, cand, true, ks=(1, 5))
    assert r["mrr"] == pytest.approx(np.mean(1 / rank))
    assert r["hits@5"] == pytest.approx(np.mean(rank <= 5))
    assert rank_metrics(pred[:0], cand, true[:0])["mrr"] is None


def test_the_query_can_be_left_out_of_the_candidates():
    # candidates: the query x at 0, the true next view at 1; a "no motion" prediction (0)
    candidates = np.array([[0.0], [1.0], [5.0]])
    predicted = np.array([[0.0]])
    with_query = rank_metrics(predicted, candidates, np.array([1]))
    without = rank_metrics(predicted, candidates, np.array([1]), exclude_index=np.array([0]))
    assert with_query["hits@1"] == 0.0 and without["hits@1"] == 1.0
