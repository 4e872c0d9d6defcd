"""Backbones (``BACKBONES``) and equivariance maps."""

from egoequiv.models.alexnet import AlexNet
from egoequiv.models.maps import AffineMaps, BottleneckMaps, ContinuousMap, make_maps
from egoequiv.models.smallnet import SmallConvNet

__all__ = ["AlexNet", "SmallConvNet", "AffineMaps", "BottleneckMaps", "ContinuousMap",
           "make_maps", "build_backbone"]


def build_backbone(cfg, in_channels: int):
    """The backbone a Config names; its ``dims`` maps layer names to widths."""
    if cfg.model == "smallnet":
        return SmallConvNet(in_channels, cfg.image_size, cfg.conv_channels, cfg.hidden_dim,
                            cfg.feature_dim)
    if cfg.model == "alexnet":
        return AlexNet(in_channels, cfg.image_size)
    raise ValueError(f"unknown model {cfg.model!r}")
