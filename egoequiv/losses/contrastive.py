"""Contrastive loss on pair distances, in Caffe's legacy form or Hadsell et al.'s form.

With ``y = 1`` for a similar pair, ``d`` its distance and ``m`` the margin:

- ``"legacy"``: Caffe's ``ContrastiveLossLayer`` with ``legacy_version: true``, used by the
  authors' Caffe fork (2015): ``y d^2 + (1 - y) max(m - d^2, 0)`` (hinge on the *squared*
  distance, so a dissimilar pair stops being pushed once ``d >= sqrt(m)``).
- ``"hadsell"``: Hadsell, Chopra & LeCun, "Dimensionality reduction by learning an invariant
  mapping", CVPR 2006, eq. 4: ``y d^2 + (1 - y) max(m - d, 0)^2`` (stops at ``d >= m``).

The loss is Caffe's ``E = 1/(2N) sum_n term_n`` = ``0.5 * mean(terms)``. At exactly the margin
the push term is 0 and so is its gradient (``relu``'s derivative at 0 is taken as 0).
"""

from __future__ import annotations

import torch
from torch import Tensor

from egoequiv.losses._checks import (
    check_bool,
    check_float,
    check_ndim,
    check_positive,
    check_same_shape,
)

CONTRASTIVE_FORMS = ("legacy", "hadsell")


def check_form(fn: str, form: str) -> None:
    if form not in CONTRASTIVE_FORMS:
        raise ValueError(
            f"{fn}: unknown contrastive form {form!r}; valid forms: {', '.join(CONTRASTIVE_FORMS)}"
        )


def contrastive_terms(dist: Tensor, similar: Tensor, margin: float, form: str = "legacy") -> Tensor:
    """Per-pair contrastive terms (B,) from distances ``dist`` (B,) and ``similar`` (B,) bool.

    legacy: ``d^2`` if similar else ``max(margin - d^2, 0)``;
    hadsell: ``d^2`` if similar else ``max(margin - d, 0)^2``. ``dist`` must be >= 0; compute it
    with :func:`egoequiv.losses.distance.l2_distance` so that gradients stay finite at ``d = 0``.
    """
    fn = "contrastive_terms"
    check_form(fn, form)
    check_positive(fn, "margin", margin)
    check_ndim(fn, "dist", dist, 1, "(B,)")
    check_ndim(fn, "similar", similar, 1, "(B,)")
    check_same_shape(fn, "dist and similar", dist, similar)
    check_float(fn, "dist", dist)
    check_bool(fn, "similar", similar)
    pull = dist.pow(2)
    if form == "legacy":
        push = torch.relu(margin - dist.pow(2))
    else:
        push = torch.relu(margin - dist).pow(2)
    return torch.where(similar, pull, push)


def contrastive_loss(dist: Tensor, similar: Tensor, margin: float, form: str = "legacy") -> Tensor:
    """Scalar contrastive loss ``0.5 * mean(contrastive_terms(...))`` (Caffe's ``1/(2N) sum``)."""
    return 0.5 * contrastive_terms(dist, similar, margin, form).mean()
