"""equiv (Jayaraman & Grauman): one learned map M_g per motion pattern, with a contrastive
equivariance loss: a pair is pulled to its own pattern's map, pushed beyond the margin
under the other patterns' maps (or, with equiv_negatives = "frames", from random frames)."""

from dataclasses import replace

from egoequiv.losses.equiv import (
    DEFAULT_PULL,
    equivariance_loss,
    equivariance_triplet_loss,
)
from egoequiv.methods.base import Method, Needs
from egoequiv.methods.drlim import CONTRASTIVE_FORM, MARGIN
from egoequiv.methods.hyperparameter import Hyperparameter
from egoequiv.models.maps import make_maps

EQUIV_PULL = Hyperparameter(
    DEFAULT_PULL, "relative (ours, default): each pair's pull divided by its own feature "
    "displacement, the scale-free form of the appendix's requirement that a map predict "
    "better than 'no change'; absolute: the paper's contrastive pull (docs/losses.md)",
    choices=("relative", "absolute"))


class Equiv(Method):
    hyperparameters = {
        "margin": MARGIN, "contrastive_form": CONTRASTIVE_FORM, "equiv_pull": EQUIV_PULL,
        "equiv_negatives": Hyperparameter(
            "maps", "maps: push a pair under the other patterns' maps; frames: a triplet "
            "against random frames", choices=("maps", "frames")),
        "map_type": Hyperparameter("auto", "the maps M_g: affine, bottleneck (ReLU MLP, for "
                                   "4096-d features), auto: by width",
                                   choices=("auto", "affine", "bottleneck")),
        "map_hidden": Hyperparameter(256, "bottleneck map width (ours)", positive=True),
        "map_decay": Hyperparameter(0.0, "weight of a pull of every map towards the identity "
                                    "(ours; the paper has none): the mean over maps of "
                                    "||M_g - I||^2, which keeps maps that fit the training "
                                    "objects from turning into ones that only fit them "
                                    "(docs/results.md)"),
    }
    requires = Needs(pairs="patterned")

    def __init__(self, backbone, cfg, num_classes, num_patterns, motion_dim, check_values=None):
        super().__init__(backbone, cfg, num_classes, num_patterns, motion_dim, check_values)
        self.maps = make_maps(self.hp.map_type, self.feature_dim, num_patterns,
                              self.hp.map_hidden)

    @classmethod
    def needs(cls, hp):
        needs = super().needs(hp)
        # the triplet form pushes a pair against random frames
        return replace(needs, negatives=needs.negatives or hp.equiv_negatives == "frames")

    @property
    def equiv_margin(self) -> float:
        return self.hp.margin

    def map_features(self, z, pattern):
        return self.maps.apply(z, pattern)

    def equiv_term(self, z, batch):
        form = self.hp.contrastive_form
        if self.hp.equiv_negatives == "frames":
            own = self.maps.apply(z["pos_i"], batch["pattern"])
            loss = equivariance_triplet_loss(own, z["pos_j"], z["neg_j"], self.equiv_margin,
                                             form)
        else:
            loss = equivariance_loss(self.maps(z["pos_i"]), z["pos_j"], batch["pattern"],
                                     self.equiv_margin, form, z_i=z["pos_i"],
                                     pull=self.hp.equiv_pull, check_values=self.check_values)
        if self.hp.map_decay:
            loss = loss + self.hp.map_decay * self.maps.distance_from_identity()
        return loss

    def unsupervised(self, z, batch):
        return {"equiv": self.equiv_term(z, batch)}
