"""lsm (Agrawal, Carreira, Malik 2015, "Learning to see by moving"): classify a pair's
egomotion from the two frames' concatenated features, each motion dimension binned
separately (20 uniform bins + 2 overflow bins on the z-scored motion)."""

import torch
from torch import nn

from egoequiv.losses.lsm import lsm_bin_targets, lsm_loss
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.hyperparameter import Hyperparameter

NUM_BINS = 20


class Lsm(Method):
    hyperparameters = {
        "lsm_hidden": Hyperparameter(256, "the motion classifier's hidden width (ours)",
                                     positive=True),
        "lsm_bin_width": Hyperparameter(0.25, "bin width in z-score units (ours)",
                                        positive=True),
    }
    requires = Needs(pairs="all")

    def __init__(self, backbone, cfg, num_classes, num_patterns, motion_dim, check_values=None):
        super().__init__(backbone, cfg, num_classes, num_patterns, motion_dim, check_values)
        self.motion_dim = motion_dim
        self.motion_head = nn.Sequential(
            nn.Linear(2 * self.feature_dim, self.hp.lsm_hidden), nn.ReLU(inplace=True),
            nn.Linear(self.hp.lsm_hidden, motion_dim * (NUM_BINS + 2)),
        )

    def unsupervised(self, z, batch):
        logits = self.motion_head(torch.cat([z["pos_i"], z["pos_j"]], dim=1))
        logits = logits.view(len(logits), self.motion_dim, NUM_BINS + 2)
        targets = lsm_bin_targets(batch["motion"], self.hp.lsm_bin_width, NUM_BINS,
                                  self.check_values)
        return {"lsm": lsm_loss(logits, targets, self.check_values)}
