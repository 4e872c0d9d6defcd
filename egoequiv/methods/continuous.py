"""equiv+drlim-continuous: the non-discrete variant. The map depends on the pair's
continuous (z-scored) motion; its loss is not contrastive, so drlim keeps features from
collapsing (the paper uses it only together with drlim)."""

from egoequiv.losses.continuous import continuous_equivariance_loss
from egoequiv.losses.drlim import drlim_loss
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.drlim import CONTRASTIVE_FORM, MARGIN, pair_stack
from egoequiv.methods.equiv import EQUIV_PULL
from egoequiv.methods.equiv_drlim import DRLIM_WEIGHT
from egoequiv.models.maps import ContinuousMap


class EquivDrlimContinuous(Method):
    hyperparameters = {"margin": MARGIN, "contrastive_form": CONTRASTIVE_FORM,
                       "equiv_pull": EQUIV_PULL, "drlim_weight": DRLIM_WEIGHT}
    requires = Needs(pairs="all", negatives=True)

    def __init__(self, backbone, cfg, num_classes, num_patterns, motion_dim, check_values=None):
        super().__init__(backbone, cfg, num_classes, num_patterns, motion_dim, check_values)
        self.map = self.make_map(motion_dim)

    def make_map(self, motion_dim: int):
        """The map M(m) of the continuous motion m (a subclass may use another form)."""
        return ContinuousMap(self.feature_dim, motion_dim)

    def unsupervised(self, z, batch):
        mapped = self.map(z["pos_i"], batch["motion"])
        a, b, similar = pair_stack(z, batch)
        drlim = drlim_loss(a, b, similar, self.hp.margin, self.hp.contrastive_form)
        equiv = continuous_equivariance_loss(mapped, z["pos_j"], z["pos_i"], self.hp.equiv_pull)
        return {"equiv": equiv,
                "drlim": self.hp.drlim_weight * drlim}
