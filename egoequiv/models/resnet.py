"""ResNet-18 (He et al., CVPR 2016), written to the backbone protocol (``models/__init__``).

Four stages of two BasicBlocks (64, 128, 256, 512 channels; BatchNorm; stride 2 from the
second stage on), global average pooling, then ``fc`` (512 -> ``feature_dim``, linear): the
layers are ``pool`` (512-d, after ReLU) and ``fc``. The stem follows the image size: for
small images (below 64 pixels, NORB's 32x32) the CIFAR stem of He et al. (one 3x3 conv,
stride 1, no max-pool); otherwise the standard one (7x7 conv, stride 2, 3x3 max-pool),
as at 224.
"""

from __future__ import annotations

import torch
from torch import nn

from egoequiv.models.backbone import FEATURE_DIM, Backbone

#: images smaller than this get the CIFAR stem
SMALL_IMAGE = 64


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.short = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.short = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                       nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.short(x))


class ResNet18(Backbone):
    layers = ("pool", "fc")
    options = {"feature_dim": FEATURE_DIM}

    def __init__(self, in_channels: int = 3, image_size: int = 32, feature_dim: int = 64):
        super().__init__()
        if image_size < SMALL_IMAGE:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False),
                                      nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        blocks, c = [], 64
        for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(c, width, stride), BasicBlock(width, width, 1)]
            c = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, feature_dim)
        self.dims = {"pool": 512, "fc": feature_dim}
        self.kwargs = {"in_channels": in_channels, "image_size": image_size,
                       "feature_dim": feature_dim}  # what rebuilds it (egoequiv export)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pool = self.blocks(self.stem(x)).mean(dim=(2, 3))
        return {"pool": pool, "fc": self.fc(pool)}
