"""What every backbone is: an ``nn.Module`` that declares its own config keys.

- ``layers``: the names of the layers whose features it returns, bottom to top (the last
  one carries the unsupervised loss unless ``feature_layer`` names another);
- ``options``: its own config keys, ``{"key": Option(default, meaning, ...)}``, set as flat
  keys of the run's config like any other (``--set hidden_dim=32``);
- ``check(image_size, **options)``: why a config cannot build it (None: it can), so a bad
  combination is refused when the config loads, before any data is decoded;
- ``__init__(in_channels, image_size, **options)``;
- ``dims``: {layer name: feature width};
- ``forward(x)``: (B, C, H, W) normalised images -> {layer name: (B, width) features};
- ``kwargs``: the constructor's arguments (``egoequiv export`` writes them beside the
  weights, so ``Class(**kwargs).load_state_dict(weights)`` rebuilds it).
"""

from __future__ import annotations

from torch import nn

from egoequiv.utils.options import Option

#: the width of the top layer: one key, one meaning, for every backbone that lets it be set
FEATURE_DIM = Option(64, "width of the top layer, the features the unsupervised loss "
                         "shapes (ours)", positive=True)


class Backbone(nn.Module):
    layers: tuple[str, ...] = ()
    options: dict[str, Option] = {}

    @classmethod
    def check(cls, image_size: int, **options) -> str | None:
        """Why ``image_size`` and ``options`` cannot build this backbone (None: they can)."""
        return None
