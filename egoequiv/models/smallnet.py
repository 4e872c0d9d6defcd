"""The small convnet for small images (NORB 32x32, KITTI 32x32, ...).

The paper's exact layer sizes are not available to us; the default (ours) follows its
description, two conv + pool layers and two fully connected layers, with the widths of
Caffe's LeNet (the authors worked in Caffe) and unpadded ("valid") convolutions:

    conv 5x5 (20) -> maxpool 2 -> ReLU -> conv 5x5 (50) -> maxpool 2 -> ReLU
    -> fc1 (500) -> ReLU -> fc2 (64)

Depth and widths are its own config keys (``options``: ``conv_channels``, ``hidden_dim``,
``feature_dim``). ReLU sits after the max-pool (the same function, 4x fewer elements).
"""

from __future__ import annotations

import torch
from torch import nn

from egoequiv.models.backbone import FEATURE_DIM, Backbone
from egoequiv.models.init import glorot_init
from egoequiv.utils.options import Option

#: the side a 5x5 conv + 2x2 pool block needs, and what it leaves
BLOCK_MIN = 6


class SmallConvNet(Backbone):
    layers = ("fc1", "fc2")
    options = {
        "conv_channels": Option([20, 50], "channels of each conv 5x5 + max-pool block; "
                                          "its length is the depth (ours)", positive=True),
        "hidden_dim": Option(500, "fc1 width (ours, as Caffe's LeNet)", positive=True),
        "feature_dim": FEATURE_DIM,
    }

    @classmethod
    def check(cls, image_size: int, conv_channels=(20, 50), **_) -> str | None:
        size = image_size
        for _width in conv_channels:
            if size < BLOCK_MIN:
                return (f"image_size {image_size} is too small for smallnet's "
                        f"{len(conv_channels)} conv 5x5 + pool blocks (each needs at least "
                        f"{BLOCK_MIN} pixels)")
            size = (size - 4) // 2
        return None

    def __init__(self, in_channels: int, image_size: int, conv_channels=(20, 50),
                 hidden_dim: int = 500, feature_dim: int = 64):
        super().__init__()
        why = self.check(image_size, conv_channels)
        if why:
            raise ValueError(why)
        blocks, c, size = [], in_channels, image_size
        for width in conv_channels:
            blocks += [nn.Conv2d(c, width, 5), nn.MaxPool2d(2), nn.ReLU(inplace=True)]
            c, size = width, (size - 4) // 2
        self.conv = nn.Sequential(*blocks)
        self.fc1 = nn.Linear(c * size * size, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, feature_dim)
        self.dims = {"fc1": hidden_dim, "fc2": feature_dim}
        self.kwargs = {"in_channels": in_channels, "image_size": image_size,
                       "conv_channels": list(conv_channels), "hidden_dim": hidden_dim,
                       "feature_dim": feature_dim}  # what rebuilds it (egoequiv export)
        glorot_init(self)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Features of every named layer: fc1 (after ReLU) and fc2 (linear)."""
        h = self.conv(x).flatten(1)
        fc1 = torch.relu(self.fc1(h))
        return {"fc1": fc1, "fc2": self.fc2(fc1)}
