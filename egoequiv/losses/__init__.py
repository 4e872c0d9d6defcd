"""Losses: pure functions with thin ``nn.Module`` wrappers (see docs/losses.md)."""

from egoequiv.losses.continuous import ContinuousEquivarianceLoss, continuous_equivariance_loss
from egoequiv.losses.contrastive import CONTRASTIVE_FORMS, contrastive_loss, contrastive_terms
from egoequiv.losses.distance import l1_distance, l2_distance
from egoequiv.losses.drlim import DrlimLoss, drlim_loss
from egoequiv.losses.equiv import (
    DEFAULT_PULL,
    EQUIV_NEGATIVES,
    EQUIV_PULLS,
    EquivarianceLoss,
    equivariance_loss,
    equivariance_triplet_loss,
)
from egoequiv.losses.lsm import LsmLoss, lsm_bin_targets, lsm_loss
from egoequiv.losses.simclr import info_nce_loss
from egoequiv.losses.softmax import SoftmaxLoss, softmax_loss
from egoequiv.losses.temporal import TemporalCoherenceLoss, temporal_coherence_loss
from egoequiv.losses.vicreg import vicreg_loss

__all__ = [
    "CONTRASTIVE_FORMS",
    "DEFAULT_PULL",
    "EQUIV_NEGATIVES",
    "EQUIV_PULLS",
    "ContinuousEquivarianceLoss",
    "DrlimLoss",
    "EquivarianceLoss",
    "LsmLoss",
    "SoftmaxLoss",
    "TemporalCoherenceLoss",
    "continuous_equivariance_loss",
    "info_nce_loss",
    "vicreg_loss",
    "contrastive_loss",
    "contrastive_terms",
    "drlim_loss",
    "equivariance_loss",
    "equivariance_triplet_loss",
    "l1_distance",
    "l2_distance",
    "lsm_bin_targets",
    "lsm_loss",
    "softmax_loss",
    "temporal_coherence_loss",
]
