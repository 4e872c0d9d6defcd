import pytest
import torch

from egoequiv.models import AffineMaps, AlexNet, BottleneckMaps, ContinuousMap, SmallConvNet


def test_smallnet_layers_and_widths():
    net = SmallConvNet(1, 32, conv_channels=(8, 16), hidden_dim=20, feature_dim=10)
    out = net(torch.zeros(3, 1, 32, 32))
    assert out["fc1"].shape == (3, 20) and out["fc2"].shape == (3, 10)
    assert (out["fc1"] >= 0).all()  # fc1 is after its ReLU
    with pytest.raises(ValueError, match="too small"):
        SmallConvNet(1, 16, conv_channels=(8, 8, 8))


def test_smallnet_channels_last_gives_same_features():
    torch.manual_seed(0)
    net = SmallConvNet(3, 16, (4, 8), 12, 6)
    x = torch.randn(2, 3, 16, 16)
    a = net(x)["fc2"]
    b = net.to(memory_format=torch.channels_last)(x.to(memory_format=torch.channels_last))["fc2"]
    assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.slow
def test_alexnet_shapes():
    net = AlexNet(3, 227)
    x = torch.rand(2, 3, 227, 227)
    out = net(x)
    assert out["fc6"].shape == (2, 4096) and out["fc7"].shape == (2, 4096)
    assert out["pool5"].shape == (2, 256 * 6 * 6) and net.dims["pool5"] == 9216
    assert torch.equal(out["pool5"], net.conv(x).flatten(1))  # the last max-pool's output
    assert torch.allclose(out["fc6"], torch.relu(net.fc6(out["pool5"])))


def test_affine_maps_start_near_identity_and_apply_own_map():
    maps = AffineMaps(5, 3, init_noise=0.0)
    z = torch.randn(4, 5)
    assert torch.allclose(maps(z), z[:, None, :].expand(4, 3, 5))
    with torch.no_grad():
        maps.weight[1] = 2 * torch.eye(5)
        maps.bias[1] = 1.0
    p = torch.tensor([0, 1, 2, 1])
    own = maps.apply(z, p)
    assert torch.allclose(own[1], 2 * z[1] + 1) and torch.allclose(own[0], z[0])
    assert torch.allclose(maps(z)[torch.arange(4), p], own)


def test_bottleneck_maps_start_at_identity():
    maps = BottleneckMaps(6, 2, hidden=4)
    z = torch.randn(3, 6)
    assert torch.allclose(maps.apply(z, torch.tensor([0, 1, 1])), z)


def test_continuous_map_is_identity_at_zero_motion_and_linear_in_motion():
    m = ContinuousMap(4, 2)
    with torch.no_grad():
        m.basis.normal_()
    z = torch.randn(3, 4)
    assert torch.allclose(m(z, torch.zeros(3, 2)), z)
    d1 = m(z, torch.ones(3, 2)) - z
    d2 = m(z, 2 * torch.ones(3, 2)) - z
    assert torch.allclose(d2, 2 * d1, atol=1e-5)
