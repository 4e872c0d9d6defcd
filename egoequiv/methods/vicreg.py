"""vicreg: invariance SSL on temporal pairs (Bardes et al., 2022): neighbouring frames map
to the same features, kept from collapsing by the variance and covariance terms."""

from egoequiv.losses.vicreg import vicreg_terms
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.hyperparameter import Hyperparameter

_SCALED = "Bardes et al.'s 25 : 25 : 1 divided by 25 (ours: at 25 : 25 : 1 it diverged at lr " \
    "0.01 on ETH-80; scaled, lr and lam suit it as they suit the other methods)"


class Vicreg(Method):
    hyperparameters = {
        "vicreg_sim": Hyperparameter(1.0, f"the invariance term's weight: {_SCALED}"),
        "vicreg_var": Hyperparameter(1.0, "the variance term's weight (see vicreg_sim)"),
        "vicreg_cov": Hyperparameter(0.04, "the covariance term's weight (see vicreg_sim)"),
    }
    requires = Needs(pairs="all")

    def unsupervised(self, z, batch):
        t = vicreg_terms(z["pos_i"], z["pos_j"])
        hp = self.hp
        return {"invariance": hp.vicreg_sim * t["invariance"],
                "variance": hp.vicreg_var * t["variance"],
                "covariance": hp.vicreg_cov * t["covariance"]}
