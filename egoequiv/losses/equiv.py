"""Discrete equivariance loss (Jayaraman & Grauman, ICCV 2015 / IJCV 2017), contrastive.

For a pair (x_i, x_j) of motion pattern ``p`` and a map ``M_g`` per pattern ``g``, every
(pair, map) combination is one contrastive example with ``d = ||M_g z_i - z_j||_2``, similar iff
``g == p``: ``M_p z_i`` is pulled onto ``z_j``; ``M_g z_i`` for ``g != p`` is pushed beyond the
margin. ``L = 0.5 * mean over all B*G examples of contrastive_terms`` (Caffe's 1/(2N) sum).
The paper only states that the loss is contrastive with one margin for all patterns (certain);
this pair form is "likely" in our notes, the triplet variant with random frames as negatives
(:func:`equivariance_triplet_loss`) merely "plausible". Margin 1.0 alone, 0.1 inside
equiv+drlim (paper-notes, certain).

``pull="relative"`` (ours, an option beside the paper's form): the pull term of a pair is
divided by its own displacement, ``d(M_p z_i, z_j)^2 / (d(z_i, z_j)^2 + eps)``, the squared
form of the scale-free ratio that the equivariance error measures. With the paper's absolute
pull, a small motion whose feature change is small costs little even when ``M_p`` predicts it
worse than "no change" does; the relative pull charges it in proportion. Push terms are
unchanged. ``eps`` = ``RELATIVE_FLOOR`` (0.1) times the batch's mean squared displacement
(not differentiated) plus 1e-3: a pair whose features barely move gets at most ten times the
weight of a typical pair, so one such pair cannot blow a step up (without the floor,
equiv at lr 0.01 and batch 16 diverged at lam 3.16 and jumped at lam 1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from egoequiv.losses._checks import check_batch, check_index, check_ndim, check_same_shape
from egoequiv.losses.contrastive import check_form, contrastive_loss, contrastive_terms
from egoequiv.losses.distance import l2_distance

EQUIV_NEGATIVES = ("maps", "frames")
EQUIV_PULLS = ("absolute", "relative")
#: the pull of the methods' equivariance terms (their ``equiv_pull``) and of the wrappers
DEFAULT_PULL = "relative"
RELATIVE_EPS = 1e-3
RELATIVE_FLOOR = 0.1


def relative_denominator(z_i: Tensor, z_j: Tensor) -> Tensor:
    """(B, 1): ``||z_i - z_j||^2 + RELATIVE_FLOOR * mean_b ||z_i - z_j||^2 + RELATIVE_EPS``,
    the floor not differentiated."""
    sq = (z_i - z_j).pow(2).sum(dim=1, keepdim=True)
    return sq + RELATIVE_FLOOR * sq.mean().detach() + RELATIVE_EPS


def equivariance_loss(
    mapped: Tensor, z_j: Tensor, pattern: Tensor, margin: float = 1.0, form: str = "legacy",
    z_i: Tensor | None = None, pull: str = "absolute", check_values: bool | None = None,
) -> Tensor:
    """Pair form: ``mapped`` (B, G, D) = ``M_g z_i`` for every g, ``z_j`` (B, D), ``pattern`` (B,)
    integer in [0, G). Returns the scalar loss over the B*G (pair, map) examples.
    ``pull="relative"`` needs ``z_i`` (B, D) (see the module doc); ``check_values``: whether
    the pattern range is checked (None: on the CPU; ``_checks``)."""
    fn = "equivariance_loss"
    check_ndim(fn, "mapped", mapped, 3, "(B, G, D)")
    check_ndim(fn, "z_j", z_j, 2, "(B, D)")
    b, g, d = mapped.shape
    if z_j.shape != (b, d):
        raise ValueError(
            f"{fn}: z_j must have shape (B, D) = ({b}, {d}) to match mapped {tuple(mapped.shape)}, "
            f"got {tuple(z_j.shape)}"
        )
    check_batch(fn, "pattern", pattern, b)
    check_index(fn, "pattern", pattern, g, check_values)
    dist = l2_distance(mapped, z_j.unsqueeze(1).expand_as(mapped))  # (B, G)
    similar = torch.arange(g, device=mapped.device).unsqueeze(0) == pattern.unsqueeze(1)
    if pull == "absolute":
        return contrastive_loss(dist.reshape(-1), similar.reshape(-1), margin, form)
    if pull != "relative":
        raise ValueError(f"{fn}: unknown pull {pull!r}; valid: {', '.join(EQUIV_PULLS)}")
    if z_i is None:
        raise ValueError(f"{fn}: pull='relative' needs z_i (B, D)")
    check_same_shape(fn, "z_i and z_j", z_i, z_j)
    terms = contrastive_terms(dist.reshape(-1), similar.reshape(-1), margin, form).view(b, g)
    return 0.5 * torch.where(similar, terms / relative_denominator(z_i, z_j), terms).mean()


def equivariance_triplet_loss(
    mapped_own: Tensor, z_j: Tensor, z_neg: Tensor, margin: float = 1.0, form: str = "legacy"
) -> Tensor:
    """Triplet variant: ``mapped_own`` = ``M_{p_b} z_i`` (B, D), ``z_j`` (B, D) and ``z_neg``
    (B, D) features of random frames. ``0.5 * mean`` over 2B examples: B pulls
    ``d(M_p z_i, z_j)`` and B pushes ``d(M_p z_i, z_neg)``."""
    fn = "equivariance_triplet_loss"
    check_ndim(fn, "mapped_own", mapped_own, 2, "(B, D)")
    check_same_shape(fn, "mapped_own and z_j", mapped_own, z_j)
    check_same_shape(fn, "mapped_own and z_neg", mapped_own, z_neg)
    b = mapped_own.shape[0]
    dist = torch.cat([l2_distance(mapped_own, z_j), l2_distance(mapped_own, z_neg)])
    similar = torch.arange(2 * b, device=mapped_own.device) < b
    return contrastive_loss(dist, similar, margin, form)


class EquivarianceLoss(nn.Module):
    """The equiv method's term: ``forward(mapped, z_j, pattern, *, z_i=None, z_neg=None)``;
    ``mapped`` is (B, G, D) in both modes; the options are the method's keys (``margin``,
    ``contrastive_form``, ``equiv_negatives``, ``equiv_pull``) with its defaults.

    ``negatives="maps"``: :func:`equivariance_loss` with ``pull`` (other patterns' maps are the
    negatives; ``z_i`` (B, D) is required for the relative pull, ``z_neg`` is ignored).
    ``negatives="frames"``: :func:`equivariance_triplet_loss` with the own map
    ``mapped[b, pattern[b]]`` and the random frames ``z_neg`` (required); its pull is the
    absolute one whatever ``pull`` says, as in the method.
    """

    def __init__(self, margin: float = 1.0, form: str = "legacy", negatives: str = "maps",
                 pull: str = DEFAULT_PULL, check_values: bool | None = None):
        super().__init__()
        check_form("EquivarianceLoss", form)
        for name, value, valid in (("negatives", negatives, EQUIV_NEGATIVES),
                                   ("pull", pull, EQUIV_PULLS)):
            if value not in valid:
                raise ValueError(f"EquivarianceLoss: unknown {name} {value!r}; "
                                 f"valid: {', '.join(valid)}")
        self.margin, self.form, self.negatives, self.pull = margin, form, negatives, pull
        self.check_values = check_values

    def forward(self, mapped: Tensor, z_j: Tensor, pattern: Tensor, *, z_i: Tensor | None = None,
                z_neg: Tensor | None = None) -> Tensor:
        if self.negatives == "maps":
            if self.pull == "relative" and z_i is None:
                raise ValueError("EquivarianceLoss(pull='relative'): z_i (B, D) is required")
            return equivariance_loss(mapped, z_j, pattern, self.margin, self.form, z_i=z_i,
                                     pull=self.pull, check_values=self.check_values)
        fn = "EquivarianceLoss(negatives='frames')"
        if z_neg is None:
            raise ValueError(f"{fn}: z_neg (B, D) is required")
        check_ndim(fn, "mapped", mapped, 3, "(B, G, D)")
        check_batch(fn, "pattern", pattern, mapped.shape[0])
        check_index(fn, "pattern", pattern, mapped.shape[1], self.check_values)
        own = mapped[torch.arange(mapped.shape[0], device=mapped.device), pattern]
        return equivariance_triplet_loss(own, z_j, z_neg, self.margin, self.form)

    def extra_repr(self) -> str:
        return (f"margin={self.margin}, form={self.form!r}, negatives={self.negatives!r}, "
                f"pull={self.pull!r}")
