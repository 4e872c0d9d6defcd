"""Batched runs: each member equals its run trained alone (weights and metrics), a member
that diverges leaves the others untouched, and a killed batch resumes exactly."""

from __future__ import annotations

import json

import pytest
import torch

from egoequiv.config import load_config
from egoequiv.errors import EgoequivError
from egoequiv.methods import METHODS
from egoequiv.training.batched import train_batched
from egoequiv.training.trainer import read_checkpoint, train

ITERS = 300
BASE = {"method": "equiv+drlim", "image_size": 16, "hidden_dim": 64, "feature_dim": 16,
        "labels_per_class": 3, "iters": ITERS, "log_every": 50, "checkpoint_every": 100}
#: three members that differ in lr, lam and label split (and seed), and one that diverges
MEMBERS = [{"lr": 0.01, "lam": 1.0, "label_split": 0, "seed": 0},
           {"lr": 0.003, "lam": 0.316, "label_split": 1, "seed": 1},
           {"lr": 0.02, "lam": 3.16, "label_split": 2, "seed": 2}]
DIVERGES = {"lr": 1e3, "lam": 1.0, "label_split": 0, "seed": 3}
METRICS = ("top1", "equivariance_error", "learned_map_error")


def cfg(values, **more):
    return load_config(overrides={**BASE, **values, **more})


@pytest.fixture(scope="module")
def eth80(shared_data):
    return f"eth80:{shared_data / 'eth80'}"


@pytest.fixture(scope="module")
def alone(eth80, tmp_path_factory):
    """Each member's run trained alone: (metrics, weights)."""
    out = []
    for k, values in enumerate(MEMBERS):
        d = tmp_path_factory.mktemp(f"alone{k}")
        metrics = train(cfg(values), eth80, d, quiet=True)
        out.append((metrics, read_checkpoint(d / "checkpoint.pt")["model"]))
    return out


def relative_gap(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).norm() / (b[k].norm() + 1e-12)) for k in b)


def test_each_member_equals_its_run_alone_and_a_divergence_stays_its_own(
        eth80, alone, tmp_path):
    dirs = [tmp_path / f"m{k}" for k in range(4)]
    results = train_batched([cfg(v) for v in MEMBERS + [DIVERGES]], eth80, dirs, quiet=True,
                            stack="loop")
    for k, (metrics, weights) in enumerate(alone):
        state = read_checkpoint(dirs[k] / "checkpoint.pt")
        assert relative_gap(state["model"], weights) == 0.0  # the lone run's own operations
        for key in METRICS:
            assert results[k][key] == pytest.approx(metrics[key], abs=1e-3), (k, key)
        on_disk = json.loads((dirs[k] / "metrics.json").read_text())
        assert on_disk["top1"] == results[k]["top1"]
        assert (dirs[k] / "config.json").exists() and (dirs[k] / "metrics.csv").exists()
        assert state["config"]["lr"] == MEMBERS[k]["lr"]
    assert "diverged" in results[3] and results[3]["top1"] is None
    assert "diverged" in json.loads((dirs[3] / "metrics.json").read_text())


def test_vmap_members_equal_their_runs_alone_to_float_rounding(eth80, tmp_path):
    """One stacked step for all members: each step agrees with the lone runs' to float
    rounding (grouped convolutions sum in another order); over hundreds of steps the
    trajectories separate as any two float orders do (docs/scale.md), so the comparison
    is over a few steps. A diverging member changes no other member's numbers."""
    iters = {"iters": 5, "checkpoint_every": 5}
    lone = []
    for k, values in enumerate(MEMBERS):
        train(cfg(values, **iters), eth80, tmp_path / f"a{k}", quiet=True, metrics=())
        lone.append(read_checkpoint(tmp_path / f"a{k}" / "checkpoint.pt")["model"])
    three = [tmp_path / f"v{k}" for k in range(3)]
    four = [tmp_path / f"w{k}" for k in range(4)]
    train_batched([cfg(v, **iters) for v in MEMBERS], eth80, three, quiet=True,
                  stack="vmap", metrics=())
    results = train_batched([cfg(v, **iters) for v in MEMBERS + [DIVERGES]], eth80, four,
                            quiet=True, stack="vmap", metrics=())
    for k in range(3):
        mine = read_checkpoint(three[k] / "checkpoint.pt")["model"]
        assert 0 < relative_gap(mine, lone[k]) < 1e-4
        assert relative_gap(read_checkpoint(four[k] / "checkpoint.pt")["model"], mine) < 1e-6
    assert "diverged" in results[3]


def test_a_killed_batch_resumes_exactly(eth80, alone, tmp_path):
    dirs = [tmp_path / f"m{k}" for k in range(3)]
    cfgs = [cfg(v) for v in MEMBERS]

    def kill(iteration):
        if iteration == 170:  # between checkpoints: 100 is saved, 170 is lost
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_batched(cfgs, eth80, dirs, quiet=True, stack="loop", callback=kill)
    assert read_checkpoint(dirs[0] / "checkpoint.pt")["iteration"] == 100
    # a batch does not overwrite finished work unless asked to resume it
    with pytest.raises(EgoequivError, match="exists: resume it"):
        train_batched(cfgs, eth80, dirs, quiet=True)
    results = train_batched(cfgs, eth80, dirs, resume=True, quiet=True, stack="loop")
    for k, (metrics, weights) in enumerate(alone):
        assert relative_gap(read_checkpoint(dirs[k] / "checkpoint.pt")["model"], weights) == 0
        assert results[k]["top1"] == metrics["top1"]


def test_a_member_resumed_ahead_waits_for_the_batch(eth80, alone, tmp_path):
    """Member 0 resumes from iteration 200, member 1 (diverging) starts at 0 and drops out
    at its first log: member 0 still trains to the end, to the lone run's weights."""
    dirs = [tmp_path / "ahead", tmp_path / "diverges"]

    def kill(iteration):
        if iteration == 250:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg(MEMBERS[0]), eth80, dirs[0], quiet=True, callback=kill)
    assert read_checkpoint(dirs[0] / "checkpoint.pt")["iteration"] == 200
    results = train_batched([cfg(MEMBERS[0]), cfg(DIVERGES)], eth80, dirs, resume=True,
                            quiet=True, stack="loop")
    assert results[0]["iterations"] == ITERS and "diverged" in results[1]
    weights = read_checkpoint(dirs[0] / "checkpoint.pt")["model"]
    assert relative_gap(weights, alone[0][1]) == 0


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_takes_a_stacked_step(method, eth80, tmp_path):
    """``auto`` stacks every method on a GPU: each must run under vmap, with the numbers of
    its lone steps to float rounding."""
    tiny = {"method": method, "iters": 2, "log_every": 1, "checkpoint_every": 2,
            "conv_channels": [4, 8], "hidden_dim": 16}
    members = [cfg({**tiny, "seed": k, "lr": 0.01 * (k + 1)}) for k in range(2)]
    stacked = train_batched(members, eth80, [tmp_path / "v0", tmp_path / "v1"], quiet=True,
                            stack="vmap", metrics=())
    looped = train_batched(members, eth80, [tmp_path / "l0", tmp_path / "l1"], quiet=True,
                           stack="loop", metrics=())
    for k in range(2):
        a = read_checkpoint(tmp_path / f"v{k}" / "checkpoint.pt")["model"]
        b = read_checkpoint(tmp_path / f"l{k}" / "checkpoint.pt")["model"]
        assert relative_gap(a, b) < 1e-4, (method, k)
        assert stacked[k]["history"][-1]["loss"] == pytest.approx(
            looped[k]["history"][-1]["loss"], rel=1e-4)


def test_members_may_differ_only_in_numbers(eth80, tmp_path):
    with pytest.raises(EgoequivError, match="differ only in .*: method"):
        train_batched([cfg({}), cfg({}, method="drlim")], eth80,
                      [tmp_path / "a", tmp_path / "b"], quiet=True)
    with pytest.raises(EgoequivError, match="differ only in .*: iters"):
        train_batched([cfg({}), cfg({"iters": 10})], eth80, [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(EgoequivError, match="share an output folder"):
        train_batched([cfg({}), cfg({"seed": 1})], eth80, [tmp_path / "a", tmp_path / "a"])


def test_vmap_refuses_a_backbone_with_running_statistics(eth80, tmp_path):
    resnet = {"model": "resnet18", "iters": 2}
    with pytest.raises(EgoequivError, match="stack=vmap.*running statistics"):
        train_batched([cfg(resnet), cfg({**resnet, "seed": 1})], eth80,
                      [tmp_path / "a", tmp_path / "b"], quiet=True, stack="vmap")


def test_weights_tensors_are_independent_copies(alone):
    # guards the comparison above: two different members do differ
    assert relative_gap(alone[0][1], alone[1][1]) > 1e-2
    assert torch.isfinite(next(iter(alone[0][1].values()))).all()
