"""Backbones and equivariance maps.

``BACKBONES`` maps a config's ``model`` to its class (``models/backbone.py`` says what a
backbone is); it is the only list of them: the config checks ``model`` against it, takes
each one's own keys from it, and ``egoequiv backbones`` lists it. Adding a backbone is one
file and one line here.
"""

from egoequiv.errors import ConfigError
from egoequiv.models.alexnet import AlexNet
from egoequiv.models.backbone import Backbone
from egoequiv.models.maps import AffineMaps, BottleneckMaps, ContinuousMap, make_maps
from egoequiv.models.resnet import ResNet18
from egoequiv.models.smallnet import SmallConvNet
from egoequiv.utils.options import Option, with_defaults

__all__ = ["AlexNet", "SmallConvNet", "ResNet18", "AffineMaps", "BottleneckMaps",
           "ContinuousMap", "make_maps", "build_backbone", "BACKBONES", "Backbone",
           "backbone_class", "all_backbone_options", "resolve_backbone", "describe"]

BACKBONES: dict[str, type[Backbone]] = {
    "smallnet": SmallConvNet,
    "alexnet": AlexNet,
    "resnet18": ResNet18,
}


def backbone_class(name: str) -> type[Backbone]:
    if name not in BACKBONES:
        raise ConfigError(f"config: model must be one of {list(BACKBONES)}, got {name!r}")
    return BACKBONES[name]


def all_backbone_options() -> dict[str, tuple[Option, list[str]]]:
    """Every backbone's keys: {key: (its declaration, the backbones that read it)}."""
    out: dict[str, tuple[Option, list[str]]] = {}
    for name, cls in BACKBONES.items():
        for key, option in cls.options.items():
            out.setdefault(key, (option, []))[1].append(name)
    return out


def resolve_backbone(model: str, given: dict, image_size: int) -> dict:
    """The keys of backbone ``model``: the ``given`` ones checked, the others at their
    defaults; a ConfigError if ``model`` is not registered or cannot be built at
    ``image_size``. Keys of other backbones are checked and left out: one base config may
    serve several models (config files written before 0.2 hold smallnet's keys for every
    model)."""
    cls, every = backbone_class(model), all_backbone_options()
    unknown = [k for k in given if k not in every]
    if unknown:
        raise ConfigError(f"config: {unknown[0]!r} is not a key of any backbone (theirs: "
                          f"{', '.join(every) or 'none'})")
    for key in given.keys() - cls.options.keys():
        every[key][0].parse(key, given[key])
    values = with_defaults({k: v for k, v in given.items() if k in cls.options},
                           cls.options, "config")
    why = cls.check(image_size, **values)
    if why:
        raise ConfigError(f"config: {why}")
    return values


def build_backbone(cfg, in_channels: int) -> Backbone:
    """The backbone a Config names (``cfg.model``), built from its own keys."""
    values = resolve_backbone(cfg.model, cfg.backbone, cfg.image_size)
    return BACKBONES[cfg.model](in_channels, cfg.image_size, **values)


def describe(name: str | None = None) -> list[dict]:
    """One row per backbone (or ``name`` only) and key: backbone, layers, key, default,
    meaning, allowed values; a backbone without keys gets one row with key None."""
    rows = []
    for model in [name] if name else list(BACKBONES):
        cls = backbone_class(model)
        base = {"backbone": model, "layers": list(cls.layers)}
        rows += [{**base, "key": k, "default": o.default, "meaning": o.doc,
                  "choices": list(o.choices)} for k, o in cls.options.items()] or \
            [{**base, "key": None, "default": None, "meaning": "", "choices": []}]
    return rows
