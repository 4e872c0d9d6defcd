"""An AlexNet-style network for 227x227 images (Krizhevsky et al. 2012, Caffe's one-tower
variant), written by hand. fc6 and fc7 (4096-d) can carry the unsupervised loss; pool5 (the
last max-pool's 256 x 6 x 6 at 227, flattened) is the layer a linear evaluation reads, as on
the paper's project page."""

from __future__ import annotations

import torch
from torch import nn

from egoequiv.models.backbone import Backbone
from egoequiv.models.init import glorot_init

#: the smallest side its conv stack accepts: after the 11x11 stride-4 conv and three 3x3
#: stride-2 max-pools one pixel must be left
MIN_IMAGE = 67


class AlexNet(Backbone):
    layers = ("pool5", "fc6", "fc7")

    @classmethod
    def check(cls, image_size: int, **_) -> str | None:
        if image_size < MIN_IMAGE:
            return f"model alexnet needs image_size >= {MIN_IMAGE} (227 usual), got {image_size}"
        return None

    def __init__(self, in_channels: int = 3, image_size: int = 227, width: int = 4096,
                 dropout: float = 0.5):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, 96, 11, stride=4), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, in_channels, image_size, image_size)).numel()
        self.fc6 = nn.Linear(flat, width)
        self.fc7 = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)
        self.dims = {"pool5": flat, "fc6": width, "fc7": width}
        self.kwargs = {"in_channels": in_channels, "image_size": image_size, "width": width,
                       "dropout": dropout}  # what rebuilds it (egoequiv export)
        glorot_init(self)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pool5 = self.conv(x).flatten(1)
        fc6 = torch.relu(self.fc6(pool5))
        fc7 = torch.relu(self.fc7(self.drop(fc6)))
        return {"pool5": pool5, "fc6": fc6, "fc7": fc7}
