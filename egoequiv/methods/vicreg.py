"""vicreg: invariance SSL on temporal pairs (Bardes et al., 2022): neighbouring frames map
to the same features, kept from collapsing by the variance and covariance terms."""

from egoequiv.losses.vicreg import vicreg_terms
from egoequiv.methods.base import Method


class Vicreg(Method):
    #: the config keys it reads (self.hp.<key>); lam and feature_layer are the base's
    hyperparameters = ("vicreg_sim", "vicreg_var", "vicreg_cov")
    pairs = "all"

    def unsupervised(self, z, batch):
        t = vicreg_terms(z["pos_i"], z["pos_j"])
        hp = self.hp
        return {"invariance": hp.vicreg_sim * t["invariance"],
                "variance": hp.vicreg_var * t["variance"],
                "covariance": hp.vicreg_cov * t["covariance"]}
