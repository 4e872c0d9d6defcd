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


def pair_stack(z, batch: dict):
    """Positive and negative pairs stacked: (z_a, z_b, similar), views of the batch's
    features (the layout puts ``pos_i``, ``neg_i`` and ``pos_j``, ``neg_j`` side by side)."""
    a, b = z.span("pos_i", "neg_i"), z.span("pos_j", "neg_j")
    similar = torch.arange(len(a), device=a.device) < len(z["pos_i"])
    return a, b, similar


class Drlim(Method):
    hyperparameters = {"margin": MARGIN, "contrastive_form": CONTRASTIVE_FORM}
    requires = Needs(pairs="all", negatives=True)

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        return {"drlim": drlim_loss(a, b, similar, self.hp.margin, self.hp.contrastive_form)}
