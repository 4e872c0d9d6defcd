"""``egoequiv eval``, ``probe`` and ``report`` end to end on real ETH-80 frames."""

import json

import numpy as np
import torch

from egoequiv.cli.main import main
from egoequiv.config import load_config
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.data.tensors import Normalizer
from egoequiv.task.build import build_task
from egoequiv.training.checkpoint import build_method, save_checkpoint


def test_probe_eval_and_report(shared_data, tmp_path, capsys):
    spec = f"eth80:{shared_data}/eth80"
    feats = tmp_path / "noise.npy"
    np.save(feats, np.random.default_rng(0).normal(size=(3280, 16)).astype(np.float32))
    assert main(["probe", "--features", str(feats), "--dataset", spec, "--out",
                 str(tmp_path / "probe"), "--metrics", "equivariance,slowness",
                 "--no-plots"]) == 0
    m = json.loads((tmp_path / "probe" / "metrics.json").read_text())
    assert m["method"] == "noise" and 0.6 < m["equivariance_error"] < 0.9
    assert m["top1"] is None and "mrr" in m  # features have no head: no head top-1
    assert main(["probe", "--features", str(feats), "--dataset", spec, "--out",
                 str(tmp_path / "probe_rec"), "--metrics", "recognition", "--splits", "1",
                 "--no-plots"]) == 0
    rec = json.loads((tmp_path / "probe_rec" / "metrics.json").read_text())
    assert rec["top1"] is None and 0 <= rec["probe_top1"] <= 1
    assert rec["probe_labels_per_class"] == 10 and rec["provenance"] == "probe"
    np.save(tmp_path / "bad.npy", np.zeros((4, 2)))
    assert main(["probe", "--features", str(tmp_path / "bad.npy"), "--dataset", spec,
                 "--out", str(tmp_path / "x")]) == 2
    assert "expected 3280 rows" in capsys.readouterr().err

    # an untrained equiv+drlim checkpoint, evaluated
    cfg = load_config(overrides={"image_size": 16, "method": "equiv+drlim"})
    frames = load_frames(open_source(spec), 16, 1, quiet=True)
    task = build_task(frames, cfg)
    torch.manual_seed(0)
    method = build_method(cfg, 1, task.num_classes, task.patterns.num_patterns, 2)
    optimizer = torch.optim.SGD(method.parameters(), lr=0.1)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    save_checkpoint(ckpt, method=method, optimizer=optimizer, iteration=0, cfg=cfg,
                    dataset=spec, normalizer=Normalizer([0.5], [0.25]),
                    patterns=task.patterns, shape={"in_channels": 1,
                                                   "num_classes": task.num_classes,
                                                   "num_patterns": task.patterns.num_patterns,
                                                   "motion_dim": 2})
    assert main(["eval", "--checkpoint", str(ckpt), "--device", "cpu", "--metrics",
                 "recognition,equivariance,learned_maps,next_best_view", "--splits", "1",
                 "--no-plots"]) == 0
    e = json.loads((tmp_path / "run" / "eval" / "metrics.json").read_text())
    assert e["method"] == "equiv+drlim" and e["top1_source"] == "head"
    assert e["equivariance_error"] is not None and e["next_best_view"]["num_starts"] > 0
    assert e["learned_map_error"] is not None or "learned_maps" in e["skipped"]

    assert main(["report", str(tmp_path / "probe"), str(tmp_path / "run"), "--out",
                 str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    assert "| noise | 1 |" in text and "| equiv+drlim | 1 |" in text
