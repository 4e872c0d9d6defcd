"""The backbone registry is the only list: each backbone declares its own config keys, and a
new one with a key of its own needs nothing outside its file and its registry line."""

import pytest
import torch

from egoequiv.config import field_names, load_config, to_dict
from egoequiv.errors import ConfigError
from egoequiv.methods import resolve_config
from egoequiv.models import (
    BACKBONES,
    AlexNet,
    Backbone,
    all_backbone_options,
    build_backbone,
    describe,
)
from egoequiv.utils.options import Option


class _Tiny(Backbone):
    """A backbone from outside the package, with a width of its own."""

    layers = ("fc",)
    options = {"tiny_width": Option(6, "width of the one layer", positive=True)}

    def __init__(self, in_channels: int, image_size: int, tiny_width: int = 6):
        super().__init__()
        self.fc = torch.nn.Linear(in_channels * image_size ** 2, tiny_width)
        self.dims = {"fc": tiny_width}
        self.kwargs = {"in_channels": in_channels, "image_size": image_size,
                       "tiny_width": tiny_width}

    def forward(self, x):
        return {"fc": self.fc(x.flatten(1))}


def test_a_registered_backbone_with_a_key_of_its_own_needs_nothing_else(monkeypatch):
    monkeypatch.setitem(BACKBONES, "tiny", _Tiny)
    cfg = resolve_config(load_config(overrides={"model": "tiny", "tiny_width": "5",
                                                "image_size": 8}))
    assert cfg.backbone == {"tiny_width": 5} and to_dict(cfg)["tiny_width"] == 5
    assert "tiny_width" in field_names()
    net = build_backbone(cfg, 3)
    assert net(torch.zeros(2, 3, 8, 8))["fc"].shape == (2, 5)
    assert [r["key"] for r in describe("tiny")] == ["tiny_width"]
    with pytest.raises(ConfigError, match="tiny_width must be > 0, got 0"):
        load_config(overrides={"model": "tiny", "tiny_width": 0})


def test_every_backbone_declares_documented_keys_whose_defaults_pass_their_checks():
    for name, cls in BACKBONES.items():
        assert issubclass(cls, Backbone) and cls.layers, name
        for key, option in cls.options.items():
            assert isinstance(option, Option) and option.doc, (name, key)
            assert option.parse(key, option.default) == option.default, (name, key)


def test_a_key_shared_by_backbones_has_one_declaration():
    for key, (option, names) in all_backbone_options().items():
        assert all(BACKBONES[n].options[key] is option for n in names), key
    assert {"smallnet", "resnet18"} <= set(all_backbone_options()["feature_dim"][1])


def test_the_backbone_is_built_from_the_configs_own_keys():
    cfg = load_config(overrides={"image_size": 16, "conv_channels": "4,8", "hidden_dim": 12,
                                 "feature_dim": 5})
    net = build_backbone(cfg, 1)
    assert net.dims == {"fc1": 12, "fc2": 5} and net.kwargs["conv_channels"] == [4, 8]
    assert net(torch.zeros(1, 1, 16, 16))["fc2"].shape == (1, 5)


def test_alexnet_builds_at_the_smallest_size_its_check_allows():
    assert AlexNet.check(66) and AlexNet.check(67) is None
    assert AlexNet(1, 67).dims["fc7"] == 4096
    with pytest.raises(RuntimeError):
        AlexNet(1, 66)


def test_describe_lists_each_backbone_with_its_layers_and_keys():
    rows = describe()
    assert [r["backbone"] for r in rows if r["key"] is None] == ["alexnet"]
    smallnet = {r["key"]: r for r in rows if r["backbone"] == "smallnet"}
    assert smallnet["conv_channels"]["default"] == [20, 50]
    assert smallnet["hidden_dim"]["layers"] == ["fc1", "fc2"]
    with pytest.raises(ConfigError, match="model must be one of"):
        describe("vgg")
