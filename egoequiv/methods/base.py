"""The base of every method: one backbone tied across all streams, a softmax head, and an
optional unsupervised loss (``unsupervised``) that a subclass defines.

A training batch has one layout (``methods.batch``): all its frames in one tensor, the
streams ``x`` (labelled), ``pos_i``/``pos_j`` (neighbour pairs) and ``neg_i``/``neg_j``
(non-neighbour pairs) as rows of it, which go through the backbone as ONE batch (the towers
share weights).

Objective: softmax(x, y) + lam * unsupervised(pairs), or the unsupervised loss alone when
the task has no labels (pure pretraining).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import ClassVar

import torch
from torch import nn

from egoequiv.config import Config
from egoequiv.errors import EgoequivError
from egoequiv.losses.softmax import softmax_loss
from egoequiv.methods.batch import Features
from egoequiv.methods.hyperparameter import Hyperparameter, declared

PAIR_KINDS = (None, "all", "patterned")


@dataclass(frozen=True)
class Needs:
    """What a method's training batch must hold besides the labelled images it may get.

    ``pairs``: None, "all" neighbour pairs or "patterned" (those with a motion pattern), as
    ``pos_i``, ``pos_j``, ``pattern``, ``motion``; ``negatives``: random non-neighbour pairs
    ``neg_i``, ``neg_j``; ``labels``: labelled frames are its only signal, so a task without
    them cannot train it."""

    pairs: str | None = None
    negatives: bool = False
    labels: bool = False

    def __post_init__(self):
        if self.pairs not in PAIR_KINDS:
            raise ValueError(f"Needs: pairs must be None, 'all' or 'patterned', "
                             f"got {self.pairs!r}")
        if not (self.pairs or self.negatives or self.labels):
            raise ValueError("Needs: a method needs pairs, negatives or labels to train on")


class Method(nn.Module):
    #: what its training batch holds (``Needs``); read through ``needs``, which a method whose
    #: needs depend on its keys overrides
    requires: ClassVar[Needs] = Needs(labels=True)
    #: the method's own config keys, read as ``self.hp.<key>``: their defaults, meanings and
    #: checks (a subclass adds its own to those of the classes it extends); a method is not
    #: given the rest of the run's config
    hyperparameters: dict[str, Hyperparameter] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        loose = [name for name in ("pairs", "negatives", "labels") if name in cls.__dict__]
        if loose:  # a loose attribute would be ignored: the batch would lack its streams
            raise TypeError(f"{cls.__name__}: declare {', '.join(loose)} in requires = "
                            "Needs(...), not as class attributes")

    def __init__(self, backbone: nn.Module, cfg: Config, num_classes: int, num_patterns: int,
                 motion_dim: int, check_values: bool | None = None):
        """``check_values``: whether the losses read tensor values to check them (index
        ranges, NaN); None: on the CPU only, where reading them costs no device stall
        (``losses._checks``)."""
        super().__init__()
        self.backbone = backbone
        self.hp = self.read_hyperparameters(cfg.hyperparameters)
        self.check_values = check_values
        self.lam = cfg.lam
        layer = backbone.layers[-1] if cfg.feature_layer == "auto" else cfg.feature_layer
        if layer not in backbone.dims:
            raise EgoequivError(f"config: feature_layer {cfg.feature_layer!r} is not a layer "
                                f"of {cfg.model}; valid: auto, {', '.join(backbone.layers)}")
        self.feature_layer = layer
        self.feature_dim = backbone.dims[self.feature_layer]
        top = backbone.layers[-1]
        self.head = nn.Linear(backbone.dims[top], num_classes) if num_classes else None
        if self.head is not None:
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    @classmethod
    def read_hyperparameters(cls, values: dict) -> SimpleNamespace:
        """The method's own keys from a config's ``values``, unset ones at their defaults."""
        return SimpleNamespace(**{k: h.parse(k, values.get(k, h.default))
                                  for k, h in declared(cls).items()})

    @classmethod
    def needs(cls, hp: SimpleNamespace) -> Needs:
        """What a batch must hold for this method with its keys ``hp``: the one answer the
        sampler and the trainer's checks read."""
        return cls.requires

    # --- what evaluation uses ---
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """z(x): the features of the layer carrying the unsupervised loss."""
        return self.backbone(x)[self.feature_layer]

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        if self.head is None:
            raise ValueError("this model was trained without labels: it has no classifier")
        return self._logits(self.backbone(x))

    def _logits(self, feats: dict) -> torch.Tensor:
        return self.head(torch.relu(feats[self.backbone.layers[-1]]))

    def map_features(self, z: torch.Tensor, pattern: torch.Tensor) -> torch.Tensor | None:
        """M_g z with the learned maps, for methods that learn them (else None)."""
        return None

    # --- training ---
    def unsupervised(self, z: Features, batch: dict) -> dict[str, torch.Tensor]:
        """Named unsupervised loss terms from features ``z[stream]`` (already weighted
        relative to each other; ``lam`` is applied by ``forward``)."""
        return {}

    def forward(self, batch: dict, lam: torch.Tensor | float | None = None
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(total loss, its named parts detached): the parts stay on the device (reading
        them every step would stall an accelerator; the trainer reads them every log_every).

        ``lam`` replaces ``self.lam`` (batched runs pass each member's as a tensor)."""
        layout = batch["layout"]
        feats = self.backbone(batch["frames"])
        z = Features(feats[self.feature_layer], layout)
        parts = {}
        total = torch.zeros((), device=next(self.parameters()).device)
        if "x" in layout and self.head is not None:
            rows = layout.rows("x")
            parts["softmax"] = softmax_loss(self._logits({k: f[rows] for k, f in feats.items()}),
                                            batch["y"], self.check_values)
            total = total + parts["softmax"]
        unsup = self.unsupervised(z, batch)
        if unsup:
            weight = (self.lam if lam is None else lam) if "softmax" in parts else 1.0
            total = total + weight * sum(unsup.values())
            parts.update(unsup)
        return total, {k: v.detach() for k, v in parts.items()}
