"""equiv (Jayaraman & Grauman): one learned map M_g per motion pattern, with a contrastive
equivariance loss: a pair is pulled to its own pattern's map, pushed beyond the margin
under the other patterns' maps (or, with equiv_negatives = "frames", from random frames)."""

from egoequiv.losses.equiv import equivariance_loss, equivariance_triplet_loss
from egoequiv.methods.base import Method
from egoequiv.models.maps import make_maps


class Equiv(Method):
    #: the config keys it reads (self.hp.<key>); lam and feature_layer are the base's
    hyperparameters = ("margin", "contrastive_form", "equiv_negatives", "equiv_pull", "map_type",
                       "map_hidden")
    pairs = "patterned"

    def __init__(self, backbone, cfg, num_classes, num_patterns, motion_dim):
        super().__init__(backbone, cfg, num_classes, num_patterns, motion_dim)
        self.maps = make_maps(self.hp.map_type, self.feature_dim, num_patterns,
                              self.hp.map_hidden)
        self.negatives = self.hp.equiv_negatives == "frames"

    @property
    def equiv_margin(self) -> float:
        return self.hp.margin

    def map_features(self, z, pattern):
        return self.maps.apply(z, pattern)

    def equiv_term(self, z, batch):
        form = self.hp.contrastive_form
        if self.hp.equiv_negatives == "frames":
            own = self.maps.apply(z["pos_i"], batch["pattern"])
            return equivariance_triplet_loss(own, z["pos_j"], z["neg_j"], self.equiv_margin, form)
        return equivariance_loss(self.maps(z["pos_i"]), z["pos_j"], batch["pattern"],
                                 self.equiv_margin, form, z_i=z["pos_i"],
                                 pull=self.hp.equiv_pull)

    def unsupervised(self, z, batch):
        return {"equiv": self.equiv_term(z, batch)}
