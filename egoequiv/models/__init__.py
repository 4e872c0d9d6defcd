"""Backbones and equivariance maps.

A backbone is an ``nn.Module`` with:

- ``layers``: the names of the layers whose features it returns, bottom to top (the last
  one carries the unsupervised loss unless ``feature_layer`` names another);
- ``dims``: {layer name: feature width};
- ``forward(x)``: (B, C, H, W) normalised images -> {layer name: (B, width) features};
- ``kwargs``: the constructor's arguments (``egoequiv export`` writes them beside the
  weights, so ``Class(**kwargs).load_state_dict(weights)`` rebuilds it).

``BACKBONES`` maps a config's ``model`` to a function building one from the config and the
input channel count; adding a backbone is one file and one line here.
"""

from egoequiv.models.alexnet import AlexNet
from egoequiv.models.maps import AffineMaps, BottleneckMaps, ContinuousMap, make_maps
from egoequiv.models.resnet import ResNet18
from egoequiv.models.smallnet import SmallConvNet

__all__ = ["AlexNet", "SmallConvNet", "ResNet18", "AffineMaps", "BottleneckMaps",
           "ContinuousMap", "make_maps", "build_backbone", "BACKBONES"]

BACKBONES = {
    "smallnet": lambda cfg, c: SmallConvNet(c, cfg.image_size, cfg.conv_channels,
                                            cfg.hidden_dim, cfg.feature_dim),
    "alexnet": lambda cfg, c: AlexNet(c, cfg.image_size),
    "resnet18": lambda cfg, c: ResNet18(c, cfg.image_size, cfg.feature_dim),
}


def build_backbone(cfg, in_channels: int):
    """The backbone a Config names (``cfg.model``)."""
    if cfg.model not in BACKBONES:
        raise ValueError(f"unknown model {cfg.model!r}; valid: {', '.join(BACKBONES)}")
    return BACKBONES[cfg.model](cfg, in_channels)
