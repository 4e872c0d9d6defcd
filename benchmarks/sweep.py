"""Batched runs against the same runs one after another: member steps per second.

    python benchmarks/sweep.py [--device cpu] [--members 1,4,8,16] [--steps 10] [--json F]

R members of equiv+drlim at batch 16 on 32x32 ETH-80 frames (``$EGOEQUIV_SHARED_DATA`` or
../shared/data), differing in lr, lam and seed. For each R, in one run: R lone runs' steps
one after another (``loop.step``), then the batch's steps with each stack
(``training.batched``: ``loop`` and ``vmap``). ``speedup`` = batched / alone for the stack
``auto`` picks on this device; ``speedup_<stack>`` for each. On a GPU, R = 64 is added.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    from _report import report

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--members", default=None, help="R values (default 1,4,8,16; +64 on a GPU)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    p.add_argument("--dataset", help="dataset spec (default: ETH-80 from the shared data)")
    p.add_argument("--json", help="also write the figures here")
    args = p.parse_args()

    import torch

    from egoequiv.config import load_config
    from egoequiv.task.build import build_task
    from egoequiv.training.batched import vmap_step
    from egoequiv.training.loop import step
    from egoequiv.training.trainer import prepare, setup

    os.environ.setdefault("EGOEQUIV_QUIET", "1")
    data = Path(os.environ.get("EGOEQUIV_SHARED_DATA",
                               Path(__file__).resolve().parents[2] / "shared" / "data"))
    dataset = args.dataset or f"eth80:{data / 'eth80'}"
    gpu = args.device.startswith("cuda")
    sizes = [int(r) for r in (args.members or ("1,4,8,16,64" if gpu else "1,4,8,16")).split(",")]
    base = {"method": "equiv+drlim", "image_size": 32, "batch_size": 16, "labels_per_class": 5,
            "device": args.device, "iters": 10**6}
    frames, _ = prepare(load_config(overrides=base), dataset, quiet=True)

    def sync():
        if gpu:
            torch.cuda.synchronize()

    def sessions(r: int, root: Path):
        out = []
        for k in range(r):
            cfg = load_config(overrides={**base, "seed": k, "lr": 0.01 * (1 + k % 3),
                                         "lam": 0.316 * (1 + k % 2)})
            out.append(setup(cfg, dataset, root / f"m{k}", quiet=True,
                             prepared=(frames, build_task(frames, cfg))))
        return out

    def rate(fn, r: int) -> float:
        for it in range(3):
            fn(it)
        sync()
        t0 = time.perf_counter()
        for it in range(3, 3 + args.steps):
            fn(it)
        sync()
        return r * args.steps / (time.perf_counter() - t0)

    result: dict = {"device": args.device, "threads": torch.get_num_threads(),
                    "members": sizes}
    auto = "vmap" if gpu else "loop"
    def measure(r: int) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            ss = sessions(r, Path(tmp))
            gens = [s.loader.batches(0, 10**6) for s in ss]
            off = torch.autocast(args.device.split(":")[0], enabled=False)

            def alone(it):
                for s, g in zip(ss, gens):
                    step(s, next(g), off)

            def stacked(it):
                vmap_step(ss, [next(g) for g in gens], off)

            # the loop stack is exactly each member's step in turn: alone's code, timed again
            return {"alone": rate(alone, r), "vmap": rate(stacked, r), "loop": rate(alone, r)}

    for r in sizes:
        for stack, value in measure(r).items():
            result[f"R{r}_member_steps_per_s_{stack}"] = value
    result["member_steps_per_s_alone"] = [result[f"R{r}_member_steps_per_s_alone"] for r in sizes]
    result["member_steps_per_s_batched"] = [result[f"R{r}_member_steps_per_s_{auto}"]
                                            for r in sizes]
    result["stack"] = auto
    result["speedup"] = [b / a for a, b in zip(result["member_steps_per_s_alone"],
                                               result["member_steps_per_s_batched"])]
    for stack in ("loop", "vmap"):
        result[f"speedup_{stack}"] = [result[f"R{r}_member_steps_per_s_{stack}"]
                                      / result[f"R{r}_member_steps_per_s_alone"] for r in sizes]
    report(result, args.json)


if __name__ == "__main__":
    main()
