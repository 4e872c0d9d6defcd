"""A method's needs (pairs, negatives, labels) have one answer, ``Method.needs``: the batch the
real sampler draws from them trains every method, and each stream they name is one the
method reads."""

import dataclasses

import pytest
import torch

from egoequiv.config import load_config
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.data.tensors import Normalizer
from egoequiv.methods import METHODS, Method, Needs, method_needs, resolve_config
from egoequiv.methods.batch import make_batch
from egoequiv.task.build import build_task
from egoequiv.training.checkpoint import build_method
from egoequiv.training.loader import BatchLoader
from egoequiv.training.sampler import BatchSampler

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8}
VARIANTS = [{"method": m} for m in METHODS] + [{"method": "equiv",
                                                "equiv_negatives": "frames"}]
PAIR_STREAMS, NEGATIVE_STREAMS = ("pos_i", "pos_j"), ("neg_i", "neg_j")


def tiny(**kw):
    return resolve_config(load_config(overrides={**TINY, **kw}))


@pytest.fixture(scope="module")
def eth80(shared_data):
    frames = load_frames(open_source(f"eth80:{shared_data / 'eth80'}"), 16, 1, quiet=True)
    return frames, build_task(frames, tiny())


def built(cfg, task):
    torch.manual_seed(0)
    return build_method(cfg, 1, task.num_classes, task.patterns.num_patterns,
                        task.pairs.motion.shape[1])


def first_batch(needs, frames, task):
    sampler = BatchSampler(task, needs, 8, seed=0)
    loader = BatchLoader(sampler, frames.images, task.table.labels,
                         Normalizer.fit(frames.images, task.train), torch.device("cpu"), 64)
    return next(loader.batches(0, 1))


def without(batch, dropped):
    """The batch without the streams ``dropped`` (and without ``y`` when ``x`` goes)."""
    layout = batch["layout"]
    kept = {s: batch["frames"][layout.rows(s)] for s in layout.streams if s not in dropped}
    fields = {k: v for k, v in batch.items() if k not in ("frames", "layout")
              and not (k == "y" and "x" in dropped)}
    return make_batch(kept, **fields)


class _Pushed(Method):
    """A method from outside the package that declares its needs on the class alone."""

    requires = Needs(pairs="all", negatives=True)

    def unsupervised(self, z, batch):
        pull = (z["pos_i"] - z["pos_j"]).pow(2).sum(dim=1).mean()
        push = torch.relu(1 - (z["neg_i"] - z["neg_j"]).pow(2).sum(dim=1)).mean()
        return {"pushed": pull + push}


def test_a_new_method_declaring_only_its_class_needs_trains_a_step(monkeypatch, eth80):
    frames, task = eth80
    monkeypatch.setitem(METHODS, "pushed", _Pushed)
    cfg = tiny(method="pushed")
    assert method_needs(cfg) == Needs(pairs="all", negatives=True)
    method = built(cfg, task)
    batch = first_batch(method.needs(method.hp), frames, task)
    assert set(PAIR_STREAMS + NEGATIVE_STREAMS) <= set(batch["layout"].streams)
    before = [p.detach().clone() for p in method.parameters()]
    optimizer = torch.optim.SGD(method.parameters(), lr=0.1)
    loss, parts = method(batch)
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss) and parts["pushed"] > 0
    assert any(not torch.equal(a, p) for a, p in zip(before, method.parameters()))


@pytest.mark.parametrize("overrides", VARIANTS, ids=lambda o: "-".join(o.values()))
def test_needs_agree_with_what_each_method_reads(eth80, overrides):
    frames, task = eth80
    cfg = tiny(**overrides)
    method = built(cfg, task)
    needs = method_needs(cfg)
    assert method.needs(method.hp) == needs
    batch = first_batch(method.needs(method.hp), frames, task)
    _, parts = method(batch)  # the drawn batch holds every stream the method reads
    assert parts
    for streams, declared in ((PAIR_STREAMS, needs.pairs is not None),
                              (NEGATIVE_STREAMS, needs.negatives)):
        drawn = set(batch["layout"].streams)
        assert set(streams) <= drawn if declared else not set(streams) & drawn
        if declared:  # and each one it names is read
            with pytest.raises(KeyError):
                method(without(batch, streams))
    every = first_batch(Needs(pairs="patterned", negatives=True), frames, task)
    assert needs.labels == (not method(without(every, ("x",)))[1])  # labels: its only signal


def test_equiv_draws_negatives_only_for_its_triplet_form():
    assert method_needs(tiny(method="equiv")) == Needs(pairs="patterned")
    assert method_needs(tiny(method="equiv", equiv_negatives="frames")).negatives
    assert method_needs(tiny(method="equiv+drlim", equiv_negatives="maps")).negatives


def test_needs_are_frozen_and_checked():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Needs(pairs="all").negatives = True
    with pytest.raises(ValueError, match="Needs: pairs must be None, 'all' or 'patterned', "
                                         "got 'some'") as e:
        Needs(pairs="some")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="needs pairs, negatives or labels"):
        Needs()


def test_needs_set_as_loose_class_attributes_are_refused():
    with pytest.raises(TypeError, match="_Loose: declare pairs, negatives in requires = "
                                        "Needs"):
        class _Loose(Method):
            pairs = "all"
            negatives = True

