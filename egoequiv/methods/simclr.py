"""simclr: invariance SSL on temporal pairs with the InfoNCE loss (Chen et al., 2020): a
frame's neighbour is its positive, every other frame of the batch a negative."""

from egoequiv.losses.simclr import info_nce_loss
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.hyperparameter import Hyperparameter


class Simclr(Method):
    hyperparameters = {
        "simclr_temperature": Hyperparameter(0.1, "the InfoNCE temperature (Chen et al. used "
                                             "0.1-0.5)", positive=True),
    }
    requires = Needs(pairs="all")

    def unsupervised(self, z, batch):
        return {"info_nce": info_nce_loss(z["pos_i"], z["pos_j"], self.hp.simclr_temperature)}
