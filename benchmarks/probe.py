"""The few-label linear probe's speed: scikit-learn (what egoequiv uses) against the torch
L-BFGS probe egoequiv used before (kept here as the reference), same data, same objective.

    python benchmarks/probe.py [--dim 4096] [--classes 397] [--per-class 10] [--json FILE]

Features are random class clusters (the KITTI -> SUN397 setting's shape: fc7 features, 397
classes, few labels each). Reports seconds per fit of each, their ratio, and the share of
test predictions on which the two agree.
"""

from __future__ import annotations

import argparse
import time


def torch_probe(train_z, train_y, c, weight_decay=1e-3, max_iter=200):
    """The probe as egoequiv fitted it before: full-batch L-BFGS in float64 (torch)."""
    import numpy as np
    import torch

    mean, std = train_z.mean(axis=0), train_z.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    x, y = torch.from_numpy((train_z - mean) / std), torch.from_numpy(train_y)
    w = torch.zeros(x.shape[1], c, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(c, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, tolerance_grad=1e-9,
                            tolerance_change=1e-12, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + weight_decay * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return lambda z: ((z - mean) / std) @ w.detach().numpy() + b.detach().numpy()


def main() -> None:
    from _report import report

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=4096)
    p.add_argument("--classes", type=int, default=397)
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--test", type=int, default=4000)
    p.add_argument("--json")
    args = p.parse_args()

    import numpy as np

    from egoequiv.evaluation.recognition import fit_linear_probe

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(args.classes, args.dim))
    train_y = np.repeat(np.arange(args.classes), args.per_class)
    test_y = rng.integers(0, args.classes, args.test)
    noise = 8.0  # overlapping clusters: the probe has work to do (top-1 well below 1)
    train_z = centres[train_y] + noise * rng.normal(size=(len(train_y), args.dim))
    test_z = centres[test_y] + noise * rng.normal(size=(len(test_y), args.dim))

    t0 = time.perf_counter()
    ours = fit_linear_probe(train_z, train_y, args.classes).logits(test_z)
    t_sklearn = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = torch_probe(train_z, train_y, args.classes)(test_z)
    t_torch = time.perf_counter() - t0
    result = {"dim": args.dim, "classes": args.classes, "train": len(train_y),
              "sklearn_s": t_sklearn, "torch_lbfgs_s": t_torch, "speedup": t_torch / t_sklearn,
              "same_prediction": float((ours.argmax(1) == ref.argmax(1)).mean()),
              "top1_sklearn": float((ours.argmax(1) == test_y).mean()),
              "top1_torch": float((ref.argmax(1) == test_y).mean())}
    report(result, args.json)


if __name__ == "__main__":
    main()
