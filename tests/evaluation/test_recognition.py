import numpy as np
import pytest

from egoequiv.evaluation.recognition import (
    ABSENT,
    default_topk,
    few_label_recognition,
    fit_linear_probe,
    knn_classify,
    linear_probe,
    topk_accuracy,
)


def test_known_confusion_gives_known_accuracy():
    # 10 images of 3 classes; the classifier confuses images 0..2 (true 0) for class 1
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    pred = labels.copy()
    pred[:3] = 1
    scores = np.eye(3)[pred] + 0.5 * np.eye(3)[labels]  # true class second best
    assert topk_accuracy(scores, labels, 1) == pytest.approx(0.7)
    assert topk_accuracy(scores, labels, 2) == 1.0
    assert topk_accuracy(scores, np.r_[labels[:9], -1], 1) == pytest.approx(6 / 9)


def test_ties_count_in_expectation():
    assert topk_accuracy(np.zeros((8, 4)), np.arange(8) % 4, 1) == pytest.approx(0.25)
    assert topk_accuracy(np.zeros((8, 4)), np.arange(8) % 4, 3) == pytest.approx(0.75)
    assert default_topk(397) == 10 and default_topk(8) == 4 and default_topk(3) == 2


def _clusters(rng, n_per, c, d=16, spread=0.1):
    centres = rng.normal(size=(c, d)) * 3
    y = np.repeat(np.arange(c), n_per)
    return centres[y] + spread * rng.normal(size=(len(y), d)), y


def test_separable_clusters_are_classified_perfectly():
    rng = np.random.default_rng(0)
    z, y = _clusters(rng, 40, 5)
    train, test = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    assert topk_accuracy(linear_probe(z[train], y[train], z[test]), y[test]) == 1.0
    assert topk_accuracy(knn_classify(z[train], y[train], z[test], k=3), y[test]) == 1.0
    assert topk_accuracy(knn_classify(z[train], y[train], z[test], 1, "l2"), y[test]) == 1.0


def test_knn_votes():
    train = np.array([[0.0], [1.0], [2.0], [10.0]])
    scores = knn_classify(train, np.array([0, 0, 1, 1]), np.array([[0.2], [9.0]]), 3, "l2")
    assert scores.argmax(1).tolist() == [0, 1]
    assert np.round(scores).tolist() == [[2, 1], [1, 2]]


def test_few_label_recognition_is_deterministic_and_chance_on_noise():
    rng = np.random.default_rng(1)
    z, y = _clusters(rng, 30, 4)
    train, test = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    r = few_label_recognition(z, y, train, test, labels_per_class=3, splits=3, seed=7)
    assert r["top1_mean"] == 1.0 and r["top1_std"] == 0.0 and r["k"] == 2
    noise = rng.normal(size=z.shape)
    a = few_label_recognition(noise, y, train, test, 5, 4, seed=3)
    b = few_label_recognition(noise, y, train, test, 5, 4, seed=3)
    assert a == b
    assert 0.0 < a["top1_mean"] < 0.6 and a["top1_std"] > 0
    k = few_label_recognition(noise, y, train, test, 5, 2, classifier="knn", k=1)
    assert k["topk_mean"] == k["top1_mean"]
    with pytest.raises(ValueError):
        few_label_recognition(z, y, train, test, 3, 1, classifier="svm")


def brute_force_probe(z, y, c, weight_decay):
    """The probe's objective written out (mean cross-entropy + wd ||W||^2, bias free),
    minimised by scipy's L-BFGS-B from zero: the reference the sklearn fit must match."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    mean, std = z.mean(0), z.std(0)
    x = (z - mean) / std
    d = x.shape[1]

    def objective(theta):
        w, b = theta[:d * c].reshape(d, c), theta[d * c:]
        logits = x @ w + b
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        loss = -log_p[np.arange(len(y)), y].mean() + weight_decay * (w * w).sum()
        g = np.exp(log_p)
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        grad_w = x.T @ g + 2 * weight_decay * w
        return loss, np.concatenate([grad_w.ravel(), g.sum(0)])

    res = minimize(objective, np.zeros(d * c + c), jac=True, method="L-BFGS-B",
                   options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15})
    return (((z - mean) / std) @ res.x[:d * c].reshape(d, c) + res.x[d * c:])


@pytest.mark.parametrize("classes, weight_decay", [(2, 1e-3), (5, 1e-3), (5, 1e-1)])
def test_probe_matches_its_objective_minimised_by_brute_force(classes, weight_decay):
    rng = np.random.default_rng(classes)
    z, y = _clusters(rng, 12, classes, d=8, spread=2.0)  # overlapping: the penalty matters
    ours = fit_linear_probe(z, y, classes, weight_decay, max_iter=2000, tol=1e-8).logits(z)
    ref = brute_force_probe(z, y, classes, weight_decay)
    # logits are defined up to a per-row constant: compare them centred
    centred = [a - a.mean(axis=1, keepdims=True) for a in (ours, ref)]
    np.testing.assert_allclose(centred[0], centred[1], atol=1e-2)  # a float32 fit
    assert (ours.argmax(1) == ref.argmax(1)).all()


def test_probe_never_predicts_a_class_without_training_images():
    rng = np.random.default_rng(0)
    z, y = _clusters(rng, 10, 3)
    logits = fit_linear_probe(z, y, num_classes=5).logits(z)
    assert logits.shape == (30, 5) and (logits[:, 3:] == ABSENT).all()
    assert (logits.argmax(1) == y).all()
    one = fit_linear_probe(z[y == 1], y[y == 1], num_classes=3).logits(z)
    assert (one.argmax(1) == 1).all()
