"""simclr: invariance SSL on temporal pairs with the InfoNCE loss (Chen et al., 2020): a
frame's neighbour is its positive, every other frame of the batch a negative."""

from egoequiv.losses.simclr import info_nce_loss
from egoequiv.methods.base import Method


class Simclr(Method):
    #: the config keys it reads (self.hp.<key>); lam and feature_layer are the base's
    hyperparameters = ("simclr_temperature",)
    pairs = "all"

    def unsupervised(self, z, batch):
        return {"info_nce": info_nce_loss(z["pos_i"], z["pos_j"], self.hp.simclr_temperature)}
