"""drlim (Hadsell, Chopra, LeCun 2006): l2 contrastive loss, temporal neighbours pulled
together, non-neighbours pushed beyond the margin (slow features)."""

import torch

from egoequiv.losses.drlim import drlim_loss
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.hyperparameter import Hyperparameter

MARGIN = Hyperparameter(1.0, "contrastive margin of drlim, temporal and equiv (paper: 1.0)",
                        positive=True)
CONTRASTIVE_FORM = Hyperparameter(
    "legacy", "legacy (the authors' Caffe) or hadsell (Hadsell et al. 2006); docs/losses.md",
    choices=("legacy", "hadsell"))


def pair_stack(z: dict, batch: dict):
    """Positive and negative pairs stacked: (z_a, z_b, similar)."""
    a = torch.cat([z["pos_i"], z["neg_i"]])
    b = torch.cat([z["pos_j"], z["neg_j"]])
    similar = torch.cat([torch.ones(len(z["pos_i"]), dtype=torch.bool, device=a.device),
                         torch.zeros(len(z["neg_i"]), dtype=torch.bool, device=a.device)])
    return a, b, similar


class Drlim(Method):
    hyperparameters = {"margin": MARGIN, "contrastive_form": CONTRASTIVE_FORM}
    requires = Needs(pairs="all", negatives=True)

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        return {"drlim": drlim_loss(a, b, similar, self.hp.margin, self.hp.contrastive_form)}
