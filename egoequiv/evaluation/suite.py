"""Run every applicable measurement on the features of a task's frames: ``run_suite``.

``METRICS`` maps a name to an adapter ``fn(ctx: Context) -> dict`` that reads the task through
the context, calls a pure measurement module and returns its keys; adding a measurement is one
module plus one adapter here. An adapter that does not apply raises ``Skip(reason)``; its keys
stay None and the reason is under "skipped". The result always has every key of ``KEYS``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from egoequiv.errors import EgoequivError
from egoequiv.evaluation import (
    egomotion_probe,
    equivariance,
    next_best_view,
    ranking,
    recognition,
    retrieval,
    slowness,
)
from egoequiv.evaluation.context import Context, Skip
from egoequiv.evaluation.metric import EQUIVARIANCE, RECOGNITION, STAGES, Column, Metric
from egoequiv.evaluation.plots import plot_equivariance_per_pattern, plot_retrieval_grid, plot_roc

#: queries ranked against every test frame (a seeded sample of the test pairs beyond this):
#: each costs one distance to every candidate
RANKING_QUERIES = 10_000
RETRIEVAL_QUERIES = 2_000

def _recognition(ctx: Context) -> dict:
    labels, task = ctx.need_labels(), ctx.task
    kw = dict(labels_per_class=ctx.labels_per_class, splits=ctx.splits, seed=ctx.seed,
              num_classes=task.num_classes)
    probe = recognition.few_label_recognition(ctx.z, labels, task.train, task.test, **kw)
    knn = recognition.few_label_recognition(ctx.z, labels, task.train, task.test,
                                            classifier="knn", **kw)
    out = {"probe_top1": probe["top1_mean"], "probe_top1_std": probe["top1_std"],
           "probe_labels_per_class": ctx.labels_per_class,
           "knn_top1": knn["top1_mean"], "knn_top1_std": knn["top1_std"], "topk_k": probe["k"]}
    if ctx.classifier_logits is not None:
        scores = np.asarray(ctx.classifier_logits)[task.test]
        return {**out, "top1_source": "head", "top1_std": None, "topk_std": None,
                "top1": recognition.topk_accuracy(scores, labels[task.test], 1),
                "topk": recognition.topk_accuracy(scores, labels[task.test], probe["k"])}
    return {**out, "top1_source": "linear_probe", "top1": probe["top1_mean"],
            "top1_std": probe["top1_std"], "topk": probe["topk_mean"],
            "topk_std": probe["topk_std"]}


def _equivariance(ctx: Context) -> dict:
    test = ctx.patterned("test")
    r = equivariance.error_with_maps(ctx.maps, ctx.z[test.i], ctx.z[test.j], test.pattern)
    ctx.warnings += [f"equivariance: {w}" for w in r["warnings"]]
    ctx.warnings += [f"equivariance: pattern {g}: the refitted map predicts test pairs worse "
                     f"than no change ({e:.2f} > 1): its fit on training pairs does not carry "
                     "over to the test pairs" for g, e in enumerate(r["per_pattern"])
                     if e is not None and e > 1.0]
    if (path := ctx.plot_path("equivariance_per_pattern.png")):
        plot_equivariance_per_pattern(r["per_pattern"], path, ctx.task.pattern_labels,
                                      ctx.titled("equivariance error per motion pattern "
                                                 "(refitted maps), test pairs"))
    return {"equivariance_error": r["mean"], "equivariance_error_per_pattern": r["per_pattern"],
            "equivariance_pairs": r["num_pairs"]}


def _learned_maps(ctx: Context) -> dict:
    if ctx.learned_maps is None:
        raise Skip("no learned maps given")
    test = ctx.patterned("test")
    zi, zj = ctx.z[test.i], ctx.z[test.j]
    mapped = np.concatenate([np.asarray(ctx.learned_maps(zi[s], test.pattern[s]), np.float64)
                             for s in _slices(len(test))])
    r = equivariance.learned_map_error(mapped, zj, zi, test.pattern, ctx.num_patterns)
    ctx.warnings += [f"learned maps: {w}" for w in r["warnings"]]
    return {"learned_map_error": r["mean"], "learned_map_error_per_pattern": r["per_pattern"]}


def _slices(n: int):
    from egoequiv.evaluation._chunks import chunks

    return list(chunks(n))


def _composite(ctx: Context) -> dict:
    p = ctx.task.test_pairs
    r = equivariance.composite_error(ctx.maps, ctx.z, p.i, p.j, p.pattern,
                                     max_chains=ctx.max_pairs, seed=ctx.seed)
    ctx.warnings += [f"composite: {w}" for w in r["warnings"]]
    return {"composite_equivariance_error": r["mean"],
            "composite_equivariance_error_per_composite": r["per_composite"]}


def _slowness(ctx: Context) -> dict:
    out, curves = {}, {}
    for which, key in (("train", "slowness_auroc_train"), ("test", "slowness_auroc")):
        pos = ctx.cap(ctx.task.pairs if which == "train" else ctx.task.test_pairs, which)
        if len(pos) == 0:
            out[key] = None
            continue
        neg_i, neg_j = ctx.negatives(which, len(pos))
        scores, positives = slowness.pair_scores(ctx.z, pos.i, pos.j, neg_i, neg_j, "l2")
        out[key] = slowness.auroc(scores, positives)
        curves[which] = slowness.roc_curve(scores, positives)
    if curves and (path := ctx.plot_path("slowness_roc.png")):
        plot_roc(curves, path, ctx.titled("slowness ROC"))
    return out


def _ranking(ctx: Context) -> dict:
    test = ctx.patterned("test")
    fitted = ~np.isnan(ctx.maps).any(axis=(1, 2))
    test = ctx.cap(test.select(fitted[test.pattern]), "ranking", RANKING_QUERIES)
    frames = np.asarray(ctx.task.test)
    position = np.full(len(ctx.z), -1)
    position[frames] = np.arange(len(frames))
    predicted = equivariance.apply_maps(ctx.maps, ctx.z[test.i], test.pattern)
    r = ranking.rank_metrics(predicted, ctx.z[frames], position[test.j], ks=(1, 5, 10),
                             exclude_index=position[test.i])  # the query is no candidate
    return {"mrr": r["mrr"], "hits@1": r["hits@1"], "hits@5": r["hits@5"],
            "hits@10": r["hits@10"], "mean_rank": r["mean_rank"],
            "ranking_candidates": r["num_candidates"]}


def _egomotion(ctx: Context) -> dict:
    tr, te = ctx.cap(ctx.task.pairs, "ego-train"), ctx.cap(ctx.task.test_pairs, "ego-test")
    r = egomotion_probe.egomotion_r2(ctx.z[tr.i], ctx.z[tr.j], tr.motion, ctx.z[te.i],
                                     ctx.z[te.j], te.motion)
    ctx.warnings += [f"egomotion probe: {w}" for w in r["warnings"]]
    return {"egomotion_r2": r["r2_mean"], "egomotion_r2_per_dim": r["r2_per_dim"]}


def _next_best_view(ctx: Context) -> dict:
    if ctx.task.table.neighbours.layout != "views":
        raise Skip("next-best-view needs a views layout (objects seen from a grid of views)")
    labels = ctx.need_labels()
    p = ctx.task.test_pairs
    r = next_best_view.next_best_view(ctx.z, labels, p.i, p.j, p.pattern, ctx.maps,
                                      ctx.classify_fn(), seed=ctx.seed)
    ctx.warnings += [f"next-best-view: {w}" for w in r.pop("warnings")]
    return {"next_best_view": r}


def _retrieval(ctx: Context, queries: int = 6, k: int = 6) -> dict:
    test = ctx.patterned("test")
    pick = np.sort(ctx.rng("retrieval").choice(len(test), min(queries, len(test)), False))
    fitted = ~np.isnan(ctx.maps).any(axis=(1, 2))
    sample = ctx.cap(test.select(fitted[test.pattern]), "retrieval-hits", RETRIEVAL_QUERIES)
    _, hit = retrieval.retrieve_after_motion(ctx.z, ctx.maps, sample.i, sample.j,
                                             sample.pattern, ctx.task.test, k=5)
    if ctx.out_dir is not None and fitted[test.pattern[pick]].all():
        q = test.select(pick)
        images = ctx.task.frames.images
        near = retrieval.retrieve_neighbours(ctx.z, q.i, ctx.task.train, k)
        if (path := ctx.plot_path("retrieval_neighbours.png")):
            plot_retrieval_grid(images, q.i, near, None, path,
                                ctx.titled("nearest training images"))
        after, _ = retrieval.retrieve_after_motion(ctx.z, ctx.maps, q.i, q.j, q.pattern,
                                                   ctx.task.test, k)
        if (path := ctx.plot_path("retrieval_after_motion.png")):
            names = ctx.task.pattern_labels
            plot_retrieval_grid(images, q.i, after, q.j, path,
                                ctx.titled("nearest test images to M'_g z(x) after the row's "
                                           "motion (green: the true next view found; orange: "
                                           "missed)"),
                                row_labels=[names[g] for g in q.pattern])
    return {"retrieval_hits@5": float(hit.any(axis=1).mean()) if len(hit) else None}


#: every measurement of the suite, in the order the reports show them (see evaluation.metric)
REGISTRY: tuple[Metric, ...] = (
    Metric("recognition", _recognition,
           ("top1", "top1_std", "topk", "topk_std", "topk_k", "top1_source", "probe_top1",
            "probe_top1_std", "probe_labels_per_class", "knn_top1", "knn_top1_std"),
           (Column("top1", "top-1", "test top-1 accuracy (fraction): the jointly trained "
                   "softmax head where the model has one, else a linear probe on few labels",
                   RECOGNITION, True),
            Column("topk", "top-k", "test top-k accuracy (k in metrics.json: 10 with many "
                   "classes, else smaller)", RECOGNITION),
            Column("probe_top1", "probe top-1", "top-1 of a linear probe on the frozen "
                   "features, with the run's labels per class (probe_labels_per_class)",
                   RECOGNITION, True),
            Column("knn_top1", "kNN top-1", "top-1 of a k-nearest-neighbour classifier on "
                   "the frozen features", RECOGNITION)),
           stages=("train", "validation", "final")),
    Metric("equivariance", _equivariance,
           ("equivariance_error", "equivariance_error_per_pattern", "equivariance_pairs"),
           (Column("equivariance_error", "equiv. error", "mean over motion patterns of "
                   "||M'_g z(x) - z(gx)|| / ||z(x) - z(gx)|| on test pairs, M'_g refitted by "
                   "ridge least squares on training pairs (1 = no better than the identity "
                   "map)", EQUIVARIANCE, False, "equivariance error (refitted maps)",
                   null=1.0),),
           stages=("train", "validation", "final")),
    Metric("learned_maps", _learned_maps,
           ("learned_map_error", "learned_map_error_per_pattern"),
           (Column("learned_map_error", "learned-map error", "the same error with the "
                   "model's own learned maps M_g", EQUIVARIANCE, False, null=1.0),),
           stages=("train", "validation", "final")),
    Metric("composite", _composite,
           ("composite_equivariance_error", "composite_equivariance_error_per_composite"),
           (Column("composite_equivariance_error", "composite error", "the same error for "
                   "two-step motions, composing the fitted single-step maps", EQUIVARIANCE),)),
    Metric("slowness", _slowness, ("slowness_auroc", "slowness_auroc_train"),
           (Column("slowness_auroc", "slowness AUROC", "AUROC of feature distance "
                   "separating temporal neighbours from non-neighbours among test frames "
                   "(1 = perfectly slow features)", EQUIVARIANCE, True, null=0.5),
            Column("slowness_auroc_train", "AUROC (train)", "the same on training frames",
                   EQUIVARIANCE)),
           stages=("final",)),
    Metric("ranking", _ranking,
           ("mrr", "hits@1", "hits@5", "hits@10", "mean_rank", "ranking_candidates"),
           (Column("mrr", "MRR", "mean reciprocal rank of the true z(gx) among the test "
                   "frames (the query excluded) for M'_g z(x)", EQUIVARIANCE, True),
            Column("hits@1", "hits@1", "fraction of test pairs whose true z(gx) is the "
                   "nearest to M'_g z(x), the query excluded", EQUIVARIANCE, True),
            Column("hits@10", "hits@10", "fraction of test pairs whose true z(gx) is among "
                   "the 10 nearest", EQUIVARIANCE)),
           stages=("final",)),
    Metric("egomotion", _egomotion, ("egomotion_r2", "egomotion_r2_per_dim"),
           (Column("egomotion_r2", "egomotion R²", "R^2 of ridge regression from (z(x), "
                   "z(gx)) to the motion, mean over motion dimensions", EQUIVARIANCE, True,
                   null=0.0),)),
    Metric("next_best_view", _next_best_view, ("next_best_view",),
           (Column("nbv_chosen", "NBV chosen", "next-best-view: accuracy after the motion "
                   "whose predicted view is least uncertain (entropy), classifying from both "
                   "views", RECOGNITION, True, "next-best-view accuracy"),
            Column("nbv_random", "NBV random", "next-best-view control: a random second "
                   "motion", RECOGNITION),
            Column("nbv_best", "NBV best", "next-best-view control: the best motion in "
                   "hindsight", RECOGNITION)),
           stages=("final",)),
    Metric("retrieval", _retrieval, ("retrieval_hits@5",)),
)
METRICS: dict[str, Callable[[Context], dict]] = {m.name: m.measure for m in REGISTRY}
KEYS = [k for m in REGISTRY for k in m.keys]
#: the report's table columns, in order
COLUMNS = [c for m in REGISTRY for c in m.columns]


def metrics_for(stage: str) -> tuple[str, ...]:
    """The names of the measurements that run at ``stage`` (``evaluation.metric.STAGES``)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {', '.join(STAGES)}")
    return tuple(m.name for m in REGISTRY if stage in m.stages)


def print_outcome(method: str, warnings: list[str], skipped: dict[str, str] | None) -> None:
    """On stderr, as ``train`` and ``eval`` both show them: each warning
    (``egoequiv: warning: METHOD: ...``), then each skipped measurement with its reason
    (``egoequiv: skipped NAME: REASON``)."""
    for w in warnings:
        print(f"egoequiv: warning: {method}: {w}", file=sys.stderr)
    for name, why in (skipped or {}).items():
        print(f"egoequiv: skipped {name}: {why}", file=sys.stderr)


def check_metric_names(names: list[str] | None) -> None:
    """A one-line error for names that are not measurements (before any data is loaded)."""
    unknown = [n for n in names or () if n not in METRICS]
    if unknown:
        raise EgoequivError(f"metrics: unknown {unknown}; known: {', '.join(METRICS)}")


def run_suite(z: np.ndarray, task, metrics: list[str] | None = None,
              classifier_logits: np.ndarray | None = None, learned_maps=None, seed: int = 0,
              out_dir: str | Path | None = None, classifier=None, **options) -> dict:
    """Every applicable measurement of ``metrics`` (default: all of ``METRICS``).

    ``z`` (N, D): features of every frame of ``task.table``; ``classifier_logits`` (N, C) from
    the jointly trained head (top1 then comes from it; else from a linear probe);
    ``learned_maps(z, pattern) -> M_g z``; ``classifier(z) -> logits`` for next-best-view (else
    a linear probe on the labelled frames). ``options``: labels_per_class, splits, max_pairs,
    ridge (see ``Context``). Plots go to ``out_dir`` when given. Returns a dict with every key
    of ``KEYS`` (None where not measured) plus "metric_seconds", "skipped", "warnings", "plots"
    and "measured" (the names asked for).
    """
    names = list(METRICS) if metrics is None else list(metrics)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {list(METRICS)}")
    z = np.asarray(z, np.float64)
    if z.ndim != 2 or len(z) != len(task.table):
        raise ValueError(f"features must be (N, D) with N = {len(task.table)} frames, "
                         f"got {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("features contain NaN or infinity")
    ctx = Context(z, task, classifier_logits, classifier, learned_maps, seed,
                  None if out_dir is None else Path(out_dir), **options)
    result: dict = {key: None for key in KEYS}
    seconds, skipped = {}, {}
    for name in names:
        start = time.perf_counter()
        try:
            result.update(METRICS[name](ctx))
        except Skip as reason:
            skipped[name] = str(reason)
        seconds[name] = round(time.perf_counter() - start, 4)
    result.update(metric_seconds=seconds, skipped=skipped, warnings=ctx.warnings,
                  plots=ctx.plots, measured=names)
    return result


def features_only(result: dict) -> dict:
    """A suite result of bare features: without a classifier head there is no head top-1,
    only the probe's (``probe_top1``), so the head's keys are dropped."""
    return {k: v for k, v in result.items() if k not in ("top1", "top1_std", "top1_source")}
