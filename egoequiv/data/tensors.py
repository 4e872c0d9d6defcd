"""uint8 frames -> normalised float input tensors, on the training device."""

from __future__ import annotations

import numpy as np
import torch


class Normalizer:
    """Per-channel mean/std of the training frames, applied on the device."""

    def __init__(self, mean, std):
        self.mean = torch.as_tensor(np.asarray(mean, dtype=np.float32))
        self.std = torch.as_tensor(np.asarray(std, dtype=np.float32))

    @classmethod
    def fit(cls, images: np.ndarray, index: np.ndarray, max_images: int = 2000) -> Normalizer:
        sample = np.asarray(images[np.sort(index[:: max(1, len(index) // max_images)])],
                            dtype=np.float32) / 255.0
        return cls(sample.mean(axis=(0, 1, 2)), sample.std(axis=(0, 1, 2)) + 1e-3)

    def __call__(self, images_u8: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) uint8 -> (B, C, H, W) float32 in channels_last memory layout."""
        mean, std = self.mean.to(images_u8.device), self.std.to(images_u8.device)
        x = (images_u8.float() / 255.0 - mean) / std
        return x.permute(0, 3, 1, 2)  # an NHWC buffer viewed as NCHW is channels_last

    def state_dict(self) -> dict:
        return {"mean": self.mean.numpy(), "std": self.std.numpy()}
