"""The documented loss wrappers, at their defaults, compute the methods' own terms at theirs
(the wrappers' losses are checked against brute force in tests/losses)."""

import pytest
import torch

from egoequiv.config import load_config
from egoequiv.losses import ContinuousEquivarianceLoss, EquivarianceLoss
from egoequiv.methods import resolve_config
from egoequiv.methods.batch import Features, Layout
from egoequiv.training.checkpoint import build_method

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8}
B, G = 6, 4


def method_and_features(**kw):
    torch.manual_seed(0)
    method = build_method(resolve_config(load_config(overrides={**TINY, **kw})), 1, 0, G, 2)
    gen = torch.Generator().manual_seed(1)
    layout = Layout.of({s: B for s in ("pos_i", "pos_j", "neg_i", "neg_j")})
    z = Features(torch.randn(4 * B, method.feature_dim, generator=gen), layout)
    batch = {"pattern": torch.randint(0, G, (B,), generator=gen),
             "motion": torch.randn(B, 2, generator=gen)}
    return method, z, batch


@pytest.mark.parametrize("name", ["equiv", "equiv+drlim"])
def test_equivariance_loss_at_its_defaults_is_the_methods_term(name):
    method, z, batch = method_and_features(method=name)
    want = method.equiv_term(z, batch)
    loss = EquivarianceLoss(margin=method.equiv_margin)
    got = loss(method.maps(z["pos_i"]), z["pos_j"], batch["pattern"], z_i=z["pos_i"])
    assert got.item() == pytest.approx(want.item(), rel=1e-6)
    absolute = EquivarianceLoss(margin=method.equiv_margin, pull="absolute")
    other = absolute(method.maps(z["pos_i"]), z["pos_j"], batch["pattern"])
    assert other.item() != pytest.approx(want.item(), rel=1e-3)  # the pull matters here


def test_the_triplet_form_is_the_methods_term():
    method, z, batch = method_and_features(method="equiv", equiv_negatives="frames")
    loss = EquivarianceLoss(margin=method.equiv_margin, negatives="frames")
    got = loss(method.maps(z["pos_i"]), z["pos_j"], batch["pattern"], z_neg=z["neg_j"])
    assert got.item() == pytest.approx(method.equiv_term(z, batch).item(), rel=1e-6)


def test_continuous_equivariance_loss_at_its_default_is_the_methods_term():
    method, z, batch = method_and_features(method="equiv+drlim-continuous")
    want = method.unsupervised(z, batch)["equiv"]
    mapped = method.map(z["pos_i"], batch["motion"])
    got = ContinuousEquivarianceLoss()(mapped, z["pos_j"], z_i=z["pos_i"])
    assert got.item() == pytest.approx(want.item(), rel=1e-6)
