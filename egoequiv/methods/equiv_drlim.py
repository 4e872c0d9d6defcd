"""equiv+drlim: the equivariance loss (margin 0.1) plus drlim (margin 1.0, weight
``drlim_weight``), the paper's best combination."""

from egoequiv.losses.drlim import drlim_loss
from egoequiv.methods.drlim import pair_stack
from egoequiv.methods.equiv import Equiv


class EquivDrlim(Equiv):
    negatives = True

    def __init__(self, *args):
        super().__init__(*args)
        self.negatives = True

    @property
    def equiv_margin(self) -> float:
        return self.cfg.equiv_margin_with_drlim

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        drlim = drlim_loss(a, b, similar, self.cfg.margin, self.cfg.contrastive_form)
        return {"equiv": self.equiv_term(z, batch), "drlim": self.cfg.drlim_weight * drlim}
