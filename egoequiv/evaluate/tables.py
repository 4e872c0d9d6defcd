"""Markdown tables of measurements (rows: methods; columns: mean ± std), shared by the demo
report and ``egoequiv report``."""

from __future__ import annotations

MEANINGS = {
    "top1": "test top-1 accuracy of the jointly trained softmax head (fraction)",
    "topk": "test top-k accuracy (k = 10 with many classes, else smaller; see metrics.json)",
    "probe_top1": "top-1 of a linear probe on the frozen features, few labels per class",
    "knn_top1": "top-1 of a k-nearest-neighbour classifier on the frozen features",
    "equivariance_error": "mean over motion patterns of ||M'_g z(x) - z(gx)|| / "
                          "||z(x) - z(gx)|| on test pairs, M'_g refitted by least squares "
                          "on training pairs (1 = no better than the identity map)",
    "learned_map_error": "the same error with the model's own learned maps M_g",
    "composite_equivariance_error": "the error for two-step motions, composing the "
                                    "fitted single-step maps",
    "slowness_auroc": "AUROC of feature distance separating temporal neighbours from "
                      "non-neighbours (test frames)",
    "mrr": "mean reciprocal rank of the true z(gx) among all test frames for M'_g z(x)",
    "hits@10": "fraction of pairs whose true z(gx) is among the 10 nearest to M'_g z(x)",
    "egomotion_r2": "R^2 of ridge regression from (z(x), z(gx)) to the motion, mean over "
                    "motion dimensions",
    "train_seconds": "training wall time in seconds",
}


def cell(stat: dict | None) -> str:
    if not stat:
        return "–"
    if stat.get("n", 1) > 1:
        return f"{stat['mean']:.3f} ± {stat['std']:.3f}"
    return f"{stat['mean']:.3f}"


def markdown_table(summary: dict, columns) -> str:
    """``summary[method][column] = {"mean", "std", "n"}`` -> a markdown table; columns that
    no method has are left out."""
    cols = [c for c in columns if any(c in s for s in summary.values())]
    head = "| method | " + " | ".join(cols) + " |"
    rule = "|---|" + "---|" * len(cols)
    rows = [f"| {m} | " + " | ".join(cell(s.get(c)) for c in cols) + " |"
            for m, s in summary.items()]
    return "\n".join([head, rule, *rows])
