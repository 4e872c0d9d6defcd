"""The one layout of a training batch, written once and read by the sampler, the loader,
the augmentation and every method.

A batch is a dict:

- ``frames``: every image of the batch in ONE tensor (N, C, H, W), its streams' rows in
  ``STREAMS`` order; the streams are
  - ``x``: labelled images (the softmax stream; may be absent),
  - ``pos_i``, ``pos_j``: neighbour pairs,
  - ``neg_i``, ``neg_j``: non-neighbour pairs (random frames);
- ``layout``: a ``Layout``, which rows each stream holds;
- ``y``: the labels of ``x``; ``pattern`` and ``motion`` (z-scored y_j - y_i): of the pairs.

All streams go through the backbone as one batch: the towers share weights, and one big
batch is much faster than several small ones. Every pair's first frame comes before every
second frame, so the pairs a contrastive loss stacks (positives, then negatives) are
contiguous rows and ``Features.span`` is a view: nothing is concatenated after the loader
gathers the frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import torch

STREAMS = ("x", "pos_i", "neg_i", "pos_j", "neg_j")


@dataclass(frozen=True)
class Layout:
    """The rows of each stream present, in ``STREAMS`` order: ``((stream, count), ...)``."""

    counts: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Layout:
        """The layout of the streams in ``counts`` (others ignored)."""
        return cls(tuple((s, int(counts[s])) for s in STREAMS if s in counts))

    @property
    def streams(self) -> list[str]:
        return [s for s, _ in self.counts]

    def __contains__(self, stream: str) -> bool:
        return any(s == stream for s, _ in self.counts)

    def rows(self, stream: str) -> slice:
        start = 0
        for s, n in self.counts:
            if s == stream:
                return slice(start, start + n)
            start += n
        raise KeyError(f"the batch has no stream {stream!r} (it has {self.streams})")

    def span(self, first: str, last: str) -> slice:
        """The rows from stream ``first`` through stream ``last``."""
        return slice(self.rows(first).start, self.rows(last).stop)


class Features(Mapping):
    """Features of one batch's frames, read per stream (``z["pos_i"]``) as views."""

    def __init__(self, z: torch.Tensor, layout: Layout):
        self.z, self.layout = z, layout

    def __getitem__(self, stream: str) -> torch.Tensor:
        return self.z[self.layout.rows(stream)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.layout.streams)

    def __len__(self) -> int:
        return len(self.layout.counts)

    def span(self, first: str, last: str) -> torch.Tensor:
        return self.z[self.layout.span(first, last)]


def make_batch(streams: Mapping[str, torch.Tensor], **fields) -> dict:
    """A batch from images per stream (a loop of your own, tests): ``frames`` stacked in
    the layout's order, plus ``fields`` (``y``, ``pattern``, ``motion``). The trainer's
    loader gathers its frames in this order directly."""
    layout = Layout.of({s: len(t) for s, t in streams.items()})
    unknown = set(streams) - set(STREAMS)
    if unknown:
        raise ValueError(f"make_batch: unknown streams {sorted(unknown)}; valid: "
                         f"{', '.join(STREAMS)}")
    return {"frames": torch.cat([streams[s] for s in layout.streams]), "layout": layout,
            **fields}
