"""equiv+drlim: the equivariance loss (margin 0.1) plus drlim (margin 1.0, weight
``drlim_weight``), the paper's best combination."""

from egoequiv.losses.drlim import drlim_loss
from egoequiv.methods.base import Needs
from egoequiv.methods.drlim import pair_stack
from egoequiv.methods.equiv import Equiv
from egoequiv.methods.hyperparameter import Hyperparameter

DRLIM_WEIGHT = Hyperparameter(1.0, "drlim's weight beside the equivariance loss (paper: "
                              "kept from drlim's own search)")


class EquivDrlim(Equiv):
    hyperparameters = {
        "equiv_margin_with_drlim": Hyperparameter(0.1, "the equivariance margin beside drlim "
                                                  "(paper: 0.1)", positive=True),
        "drlim_weight": DRLIM_WEIGHT,
    }
    requires = Needs(pairs="patterned", negatives=True)

    @property
    def equiv_margin(self) -> float:
        return self.hp.equiv_margin_with_drlim

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        drlim = drlim_loss(a, b, similar, self.hp.margin, self.hp.contrastive_form)
        return {"equiv": self.equiv_term(z, batch), "drlim": self.hp.drlim_weight * drlim}
