"""equiv+drlim-sie: the continuous variant with an SIE-style predictor (Garrido et al.,
2023): a hypernetwork makes the map's weights from the continuous motion
(``models.maps.HyperMap``), beside our map that is linear in the motion. The loss is
equiv+drlim-continuous's."""

from egoequiv.methods.continuous import EquivDrlimContinuous
from egoequiv.methods.hyperparameter import Hyperparameter
from egoequiv.models.maps import HyperMap


class EquivDrlimSie(EquivDrlimContinuous):
    hyperparameters = {
        "sie_hidden": Hyperparameter(64, "the hypernetwork's hidden width (ours)",
                                     positive=True),
    }

    def make_map(self, motion_dim: int):
        return HyperMap(self.feature_dim, motion_dim, self.hp.sie_hidden)
