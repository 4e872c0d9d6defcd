"""Training-step throughput: pairs/s and achieved FLOP/s as a fraction of this machine's
own matmul FLOP/s, both measured in this run.

    python benchmarks/train_step.py [--method equiv+drlim] [--batch-size 128] [--steps 30]

The step is the real one (egoequiv.training.trainer's batch gathering + Method.forward +
backward + Nesterov SGD) on random uint8 frames, so no data set is needed. FLOPs are
counted by torch's FlopCounterMode on one step (forward + backward). glibc malloc is kept
from returning memory to the OS (it otherwise re-faults the same pages every step), by
setting its tunables before Python starts: this script re-executes itself with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1073741824", "MALLOC_TRIM_THRESHOLD_": "1073741824",
              "MALLOC_TOP_PAD_": "268435456"}


def matmul_flops(n: int = 1024, repeats: int = 20) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t0)


def main() -> None:
    from _report import report

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--method", default="equiv+drlim")
    p.add_argument("--batch-size", type=int, default=128, help="pairs per stream")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--device", default="cpu")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any config override, e.g. --set conv_channels=32,64")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                   help="bf16: autocast the forward pass, as the config's precision=bf16")
    p.add_argument("--compile", action="store_true", help="torch.compile the forward")
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()

    import numpy as np
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from egoequiv.config import load_config, parse_overrides
    from egoequiv.data.tensors import Normalizer
    from egoequiv.methods.batch import STREAMS
    from egoequiv.training.checkpoint import build_method
    from egoequiv.training.loader import to_batch as _to_batch

    cfg = load_config(overrides={"method": args.method, "image_size": args.image_size,
                                 "batch_size": args.batch_size, "channels": 3,
                                 **parse_overrides(args.set)})
    device = torch.device(args.device)
    torch.manual_seed(0)
    method = build_method(cfg, 3, 10, 4, 2).to(device=device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(method.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
    rng = np.random.default_rng(0)
    n = 4096
    images = torch.from_numpy(rng.integers(0, 256, (n, args.image_size, args.image_size, 3),
                                           dtype=np.uint8)).to(device)
    labels = torch.from_numpy(rng.integers(0, 10, n)).to(device)
    norm = Normalizer([0.5] * 3, [0.25] * 3)
    b = args.batch_size

    def indices():
        idx = {"x": rng.integers(0, n, b), "y": None}
        needs = method.needs(method.hp)
        if needs.pairs is not None:
            idx.update(pos_i=rng.integers(0, n, b), pos_j=rng.integers(0, n, b),
                       pattern=rng.integers(0, 4, b), motion=rng.normal(size=(b, 2))
                       .astype(np.float32))
        if needs.negatives:
            idx.update(neg_i=rng.integers(0, n, b), neg_j=rng.integers(0, n, b))
        del idx["y"]
        return idx

    model = torch.compile(method) if args.compile else method
    autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=args.precision == "bf16")

    def step():
        with autocast:
            loss, _ = model(_to_batch(indices(), images, labels, norm, device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:  # counted eagerly
        loss, _ = method(_to_batch(indices(), images, labels, norm, device))
        loss.backward()
    opt.zero_grad(set_to_none=True)
    flops_per_step = counter.get_total_flops()
    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - t0) / args.steps
    mm = matmul_flops() if device.type == "cpu" else float("nan")
    images_per_step = sum(len(v) for k, v in indices().items() if k in STREAMS)
    result = {
        "method": args.method, "batch_size": b, "image_size": args.image_size,
        "device": str(device), "precision": args.precision, "compile": args.compile,
        "threads": torch.get_num_threads(), "images_per_step": images_per_step,
        "steps_per_s": 1 / seconds, "pairs_per_s": b / seconds,
        "images_per_s": images_per_step / seconds,
        "gflop_per_step": flops_per_step / 1e9, "achieved_gflops": flops_per_step / seconds / 1e9,
        "matmul_gflops": mm / 1e9, "fraction_of_matmul": flops_per_step / seconds / mm,
        "projected_50k_iterations_s": 50_000 * seconds,
        "malloc_tuned": all(os.environ.get(k) == v for k, v in MALLOC_ENV.items()),
    }
    report(result, args.json)


if __name__ == "__main__":
    if sys.platform.startswith("linux") and any(os.environ.get(k) != v
                                                for k, v in MALLOC_ENV.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **MALLOC_ENV})
    main()
