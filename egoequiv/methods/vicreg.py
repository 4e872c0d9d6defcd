"""vicreg: invariance SSL on temporal pairs (Bardes et al., 2022): neighbouring frames map
to the same features, kept from collapsing by the variance and covariance terms."""

from egoequiv.losses.vicreg import vicreg_terms
from egoequiv.methods.base import Method


class Vicreg(Method):
    pairs = "all"

    def unsupervised(self, z, batch):
        t = vicreg_terms(z["pos_i"], z["pos_j"])
        cfg = self.cfg
        return {"invariance": cfg.vicreg_sim * t["invariance"],
                "variance": cfg.vicreg_var * t["variance"],
                "covariance": cfg.vicreg_cov * t["covariance"]}
