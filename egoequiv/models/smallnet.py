"""The small convnet for small images (NORB 32x32, KITTI 32x32, ...).

The paper's exact layer sizes are not available to us; the default (ours) follows its
description, two conv + pool layers and two fully connected layers, with the widths of
Caffe's LeNet (the authors worked in Caffe) and unpadded ("valid") convolutions:

    conv 5x5 (20) -> maxpool 2 -> ReLU -> conv 5x5 (50) -> maxpool 2 -> ReLU
    -> fc1 (500) -> ReLU -> fc2 (64)

Depth and widths come from the config (``conv_channels``, ``hidden_dim``, ``feature_dim``).
ReLU sits after the max-pool (the same function, 4x fewer elements).
"""

from __future__ import annotations

import torch
from torch import nn

from egoequiv.models.init import glorot_init


class SmallConvNet(nn.Module):
    layers = ("fc1", "fc2")

    def __init__(self, in_channels: int, image_size: int, conv_channels=(20, 50),
                 hidden_dim: int = 500, feature_dim: int = 64):
        super().__init__()
        blocks, c, size = [], in_channels, image_size
        for width in conv_channels:
            if size < 6:
                raise ValueError(f"image_size {image_size} is too small for "
                                 f"{len(conv_channels)} conv 5x5 + pool blocks")
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
