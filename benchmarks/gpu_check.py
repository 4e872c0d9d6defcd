"""Every GPU check in one run, for the few minutes a GPU is lent (see the device tool).

    python benchmarks/gpu_check.py --out DIR [--iters 50000]

1. ``train_step.py --device cuda`` at 16 pairs/step: fp32, bf16 autocast, torch.compile;
   and fp32 at 128 (steps/s, projected time of 50,000 iterations).
2. The NORB protocol's length for real: ``egoequiv train`` of equiv+drlim, batch 16, on a
   synthetic views set in frames-csv (smallNORB's grid, 32x32 grey; no data set travels to
   the GPU machine), ``--iters`` iterations; its ``train_seconds``. The paper reports about
   15 minutes on a K40; our target is 2 minutes on one H100.
3. A tenth of that run with the frames on the GPU and again streamed from disk
   (``device_cache_mb=0``): steps/s of each, and whether the weights are bit-identical.
4. ``sweep.py``: R batched members (vmap) against the same R runs one after another.
Results: DIR/summary.json and DIR/logs.txt (runs and caches go to --work).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_views_set(root: Path, objects: int = 10, size: int = 32) -> Path:
    """10 toys x 9 elevations x 18 azimuths of smooth random 32x32 grey frames."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True, exist_ok=True)
    rows = ["image,sequence,time,label,motor_elevation_deg,motor_azimuth_deg"]
    for obj in range(objects):
        base = rng.normal(size=(size * 2, size * 2))
        for e in range(9):
            for a in range(18):
                shifted = np.roll(np.roll(base, 2 * a, axis=1), e, axis=0)[:size, :size]
                img = (255 / (1 + np.exp(-shifted))).astype(np.uint8)
                name = f"images/{obj}_{e}_{a}.png"
                Image.fromarray(img).save(root / name)
                rows.append(f"{name},toy{obj},{e * 18 + a},class{obj % 5},{30 + 5 * e},"
                            f"{20 * a}")
    (root / "frames.csv").write_text("\n".join(rows) + "\n")
    (root / "frames.json").write_text(json.dumps(
        {"layout": "views", "steps": {"elevation_deg": 5, "azimuth_deg": 20}}))
    return root / "frames.csv"


def run(cmd: list[str], log: Path, timeout: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    seconds = time.perf_counter() - t0
    print(f"[{rc}] {seconds:7.1f} s  {' '.join(cmd[1:])}", flush=True)
    return rc, seconds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--iters", type=int, default=50_000)
    p.add_argument("--device", default="cuda", help="cpu: a dry run of this script")
    p.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "egoequiv-gpu-check"),
                   help="where the runs and caches go (default: under the temp folder)")
    p.add_argument("--skip-steps", action="store_true", help="only the training runs (2, 3)")
    args = p.parse_args()
    results, work = Path(args.out), Path(args.work)
    results.mkdir(parents=True, exist_ok=True)
    out = work / "runs"
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    summary: dict = {}
    step = [py, str(HERE / "train_step.py"), "--device", args.device, "--steps",
            "2000" if args.device == "cuda" else "20"]
    for name, extra, timeout in [("ts16_fp32", ["--batch-size", "16"], 120),
                                 ("ts16_bf16", ["--batch-size", "16", "--precision", "bf16"],
                                  120),
                                 ("ts16_compile", ["--batch-size", "16", "--compile"], 240),
                                 ("ts128_fp32", ["--batch-size", "128"], 120)
                                 ][:0 if args.skip_steps else None]:
        rc, _ = run([*step, *extra, "--json", str(out / f"{name}.json")], out / f"{name}.log",
                    timeout)
        if rc == 0:
            r = json.loads((out / f"{name}.json").read_text())
            summary[name] = {k: r[k] for k in ("steps_per_s", "projected_50k_iterations_s",
                                               "achieved_gflops")}
    data = make_views_set(work / "views")
    os.environ["EGOEQUIV_CACHE"] = str(work / "cache")
    train = [py, "-m", "egoequiv.cli.main", "train", "--dataset", f"frames-csv:{data}",
             "--method", "equiv+drlim", "--device", args.device, "--quiet",
             "--set", "channels=1", "--set", "batch_size=16", "--set", "log_every=1000",
             "--set", "checkpoint_every=100000"]
    for name, extra in [("protocol_fp32", ["--iters", str(args.iters)]),
                        ("protocol_bf16", ["--iters", str(args.iters // 5),
                                           "--set", "precision=bf16"]),
                        ("tenth_device", ["--iters", str(args.iters // 10)]),
                        ("tenth_streamed", ["--iters", str(args.iters // 10),
                                            "--set", "device_cache_mb=0"])]:
        rc, wall = run([*train, *extra, "--out", str(out / name)], out / f"{name}.log", 400)
        metrics = out / name / "metrics.json"
        if rc == 0 and metrics.exists():
            m = json.loads(metrics.read_text())
            summary[name] = {"iterations": m["iterations"], "train_seconds": m["train_seconds"],
                             "wall_seconds": round(wall, 1),
                             "steps_per_s": m["iterations"] / m["train_seconds"],
                             "equivariance_error": m["equivariance_error"], "top1": m["top1"]}
    rc, _ = run([py, str(HERE / "sweep.py"), "--device", args.device, "--dataset",
                 f"frames-csv:{data}", "--steps", "200" if args.device == "cuda" else "3",
                 "--json", str(out / "sweep.json")], out / "sweep.log", 300)
    if rc == 0:
        r = json.loads((out / "sweep.json").read_text())
        summary["sweep"] = {k: r[k] for k in ("members", "member_steps_per_s_alone",
                                              "member_steps_per_s_batched", "speedup")}
    a, b = out / "tenth_device" / "checkpoint.pt", out / "tenth_streamed" / "checkpoint.pt"
    if a.exists() and b.exists():
        import torch

        from egoequiv.training.checkpoint import read_checkpoint

        sa, sb = read_checkpoint(a)["model"], read_checkpoint(b)["model"]
        summary["streamed_equals_device"] = all(torch.equal(sa[k], sb[k]) for k in sa)
    (results / "summary.json").write_text(json.dumps(summary, indent=2))
    logs = [f"==== {log.name}\n{log.read_text()[-4000:]}" for log in sorted(out.glob("*.log"))]
    (results / "logs.txt").write_text("\n".join(logs))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
