"""The SIE-style hypernetwork map: identity at the start, then a map that depends on the
motion non-linearly."""

import torch

from egoequiv.models.maps import HyperMap


def test_starts_at_the_identity_and_learns_a_motion_dependent_map():
    torch.manual_seed(0)
    m = HyperMap(dim=4, motion_dim=2, hidden=8)
    z, motion = torch.randn(5, 4), torch.randn(5, 2)
    assert torch.equal(m(z, motion), z)
    torch.nn.init.normal_(m.out.weight)
    a = m(z, motion)
    b = m(z, 2 * motion)
    assert a.shape == (5, 4) and not torch.allclose(a, z)
    assert not torch.allclose(b - z, 2 * (a - z))  # not linear in the motion
