"""equiv+drlim-sie: the continuous variant with an SIE-style predictor (Garrido et al.,
2023): a hypernetwork makes the map's weights from the continuous motion
(``models.maps.HyperMap``), beside our map that is linear in the motion. The loss is
equiv+drlim-continuous's."""

from egoequiv.methods.continuous import EquivDrlimContinuous
from egoequiv.models.maps import HyperMap

#: the hypernetwork's hidden width (ours)
SIE_HIDDEN = 64


class EquivDrlimSie(EquivDrlimContinuous):
    def make_map(self, motion_dim: int):
        return HyperMap(self.feature_dim, motion_dim, SIE_HIDDEN)
