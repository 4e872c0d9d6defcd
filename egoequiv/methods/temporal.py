"""temporal (Mobahi, Collobert, Weston 2009): l1 temporal coherence with a margin for
non-neighbours."""

from egoequiv.losses.temporal import temporal_coherence_loss
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.drlim import MARGIN, pair_stack


class Temporal(Method):
    hyperparameters = {"margin": MARGIN}
    requires = Needs(pairs="all", negatives=True)

    def unsupervised(self, z, batch):
        a, b, similar = pair_stack(z, batch)
        return {"temporal": temporal_coherence_loss(a, b, similar, self.hp.margin)}
