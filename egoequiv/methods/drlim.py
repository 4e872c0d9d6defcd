"""drlim (Hadsell, Chopra, LeCun 2006): l2 contrastive loss, temporal neighbours pulled
together, non-neighbours pushed beyond the margin (slow features)."""

import torch

from egoequiv.losses.drlim import drlim_loss
from egoequiv.methods.base import Method


def pair_stack(z: dict, batch: dict):
    """Positive and negative pairs stacked: (z_a, z_b, similar)."""
    a = torch.cat([z["pos_i"], z["neg_i"]])
    b = torch.cat([z["pos_j"], z["neg_j"]])
    similar = torch.cat([torch.ones(len(z["pos_i"]), dtype=torch.bool, device=a.device),
                         torch.zeros(len(z["neg_i"]), dtype=torch.bool, device=a.device)])
    return a, b, similar


class Drlim(Method):
    #: the config keys it reads (self.hp.<key>); lam and feature_layer are the base's
    hyperparameters = ("margin", "contrastive_form")
    pairs = "all"
    negatives = True

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        return {"drlim": drlim_loss(a, b, similar, self.hp.margin, self.hp.contrastive_form)}
