"""map_decay: the pull of equiv's maps towards the identity, checked against brute force."""

import numpy as np
import pytest
import torch

from egoequiv.config import load_config
from egoequiv.methods.batch import make_batch
from egoequiv.models.maps import AffineMaps, BottleneckMaps
from egoequiv.training.checkpoint import build_method


def test_affine_distance_from_identity_is_the_mean_squared_frobenius_distance():
    torch.manual_seed(0)
    maps = AffineMaps(5, 3)
    with torch.no_grad():
        maps.weight.add_(torch.randn_like(maps.weight))
        maps.bias.normal_()
    w, b = maps.weight.detach().numpy(), maps.bias.detach().numpy()
    brute = np.mean([np.sum((w[g] - np.eye(5)) ** 2) + np.sum(b[g] ** 2) for g in range(3)])
    assert maps.distance_from_identity().item() == pytest.approx(brute, rel=1e-5)


def test_bottleneck_distance_is_zero_exactly_when_it_is_the_identity():
    maps = BottleneckMaps(6, 2, hidden=4)
    assert maps.distance_from_identity().item() == 0.0  # it starts at the identity
    z = torch.randn(3, 6)
    assert torch.equal(maps.apply(z, torch.tensor([0, 1, 0])), z)
    with torch.no_grad():
        maps.up[1, 0, 0] = 2.0
    assert maps.distance_from_identity().item() == pytest.approx(4.0 / 2)


@pytest.mark.parametrize("method", ["equiv", "equiv+drlim"])
def test_map_decay_adds_its_weight_times_the_distance_to_the_equivariance_term(method):
    def equiv_part(decay):
        cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                     "hidden_dim": 16, "feature_dim": 8, "method": method,
                                     "map_decay": decay})
        torch.manual_seed(0)
        m = build_method(cfg, 1, 0, 4, 2)
        with torch.no_grad():
            m.maps.weight.add_(0.1 * torch.randn_like(m.maps.weight))
        g = torch.Generator().manual_seed(1)
        batch = make_batch({s: torch.randn(6, 1, 16, 16, generator=g) for s in
                            ("pos_i", "pos_j", "neg_i", "neg_j")},
                           pattern=torch.tensor([0, 1, 2, 3, 0, 1]))
        _, parts = m(batch)
        return parts["equiv"].item(), m.maps.distance_from_identity().item()

    plain, distance = equiv_part(0.0)
    decayed, same = equiv_part(0.5)
    assert same == distance > 0
    assert decayed == pytest.approx(plain + 0.5 * distance, rel=1e-5)
