"""The batch sampler on a real ETH-80 task: the streams a method's needs name, draws that are a
pure function of (seed, iteration), and neighbours drawn as negatives counted as a warning
that reaches the run's record."""

import dataclasses

import numpy as np
import pytest

from egoequiv.config import load_config
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.methods import Needs
from egoequiv.motion.pairs import are_neighbours
from egoequiv.task.build import build_task
from egoequiv.training.sampler import BatchSampler

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 6, "checkpoint_every": 3, "log_every": 2}


@pytest.fixture(scope="module")
def spec(shared_data):
    return f"eth80:{shared_data / 'eth80'}"


@pytest.fixture(scope="module")
def eth80(spec):
    frames = load_frames(open_source(spec), 16, 1, quiet=True)
    return frames, build_task(frames, load_config(overrides=TINY))


def neighbours_only(task):
    """``task`` with an unlabelled pool of one frame and a neighbour of it: every pair of
    the pool is a neighbour pair (or one frame twice)."""
    f, g = task.pairs.i[0], task.pairs.j[0]
    return dataclasses.replace(task, unlabelled=np.array([f, g]))


def test_streams_follow_the_needs(eth80):
    _, task = eth80
    assert set(BatchSampler(task, Needs(labels=True), 8, seed=0).sample(0)) == {"x", "y"}
    drawn = BatchSampler(task, Needs(pairs="all", negatives=True), 8, seed=0).sample(0)
    assert set(drawn) == {"x", "y", "pos_i", "pos_j", "pattern", "motion", "neg_i", "neg_j"}
    assert not are_neighbours(task.table, drawn["neg_i"], drawn["neg_j"]).any()


def test_patterned_needs_draw_only_patterned_pairs(eth80):
    _, task = eth80
    assert (task.pairs.pattern < 0).any()  # some pairs (diagonal steps) have no pattern
    sampler = BatchSampler(task, Needs(pairs="patterned"), 64, seed=0)
    assert (sampler.sample(0)["pattern"] >= 0).all()
    assert len(sampler.pairs) == int(np.sum(task.pairs.pattern >= 0))
    assert len(BatchSampler(task, Needs(pairs="all"), 64, seed=0).pairs) == len(task.pairs)


def test_draws_are_a_pure_function_of_seed_and_iteration(eth80):
    _, task = eth80
    needs = Needs(pairs="all", negatives=True)
    a, b = BatchSampler(task, needs, 8, seed=1), BatchSampler(task, needs, 8, seed=1)
    later = {k: v.copy() for k, v in a.sample(5).items()}
    b.sample(0), b.sample(1)
    assert all(np.array_equal(later[k], v) for k, v in b.sample(5).items())
    other = BatchSampler(task, needs, 8, seed=2).sample(5)
    assert not np.array_equal(later["pos_i"], other["pos_i"])


def test_neighbours_drawn_as_negatives_are_counted(eth80):
    _, task = eth80
    sampler = BatchSampler(neighbours_only(task), Needs(pairs="all", negatives=True), 8, 0)
    assert sampler.warnings() == []
    left = 0
    for it in range(3):
        drawn = sampler.sample(it)
        left += int(are_neighbours(task.table, drawn["neg_i"], drawn["neg_j"]).sum())
    assert left == 24 and sampler.neighbour_negatives == 24
    assert sampler.warnings() == [sampler.warnings()[0]]
    assert sampler.warnings()[0].startswith("training batches: 24 of 24 negative pairs are "
                                            "neighbours")
    clean = BatchSampler(task, Needs(pairs="all", negatives=True), 8, seed=0)
    clean.sample(0)
    assert clean.negatives_drawn == 8 and clean.warnings() == []


def test_the_warning_reaches_the_run_record(tmp_path, spec, eth80):
    from egoequiv.training.trainer import train

    frames, task = eth80
    cfg = load_config(overrides={**TINY, "method": "drlim"})
    result = train(cfg, spec, tmp_path, quiet=True, prepared=(frames, neighbours_only(task)),
                   metrics=["recognition"])
    assert "training batches: 48 of 48 negative pairs are neighbours" in \
        " ".join(result["warnings"])
