"""One configuration for a run: defaults here, a TOML/JSON file, then command-line overrides.

Every field is documented where it is declared. Values the paper does not give us are
marked "(ours)": they are our defaults, not the paper's.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from egoequiv.errors import ConfigError
from egoequiv.utils.options import cast

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@dataclass
class Config:
    # --- data ---
    image_size: int = 32  # frames are squashed to image_size^2 (ours; paper: small nets on 32x32)
    channels: int = 0  # 1 grey, 3 colour, 0 = the source's own (grey for NORB)
    labels_per_class: int = 10  # labelled training images per class (ours; few-label regime)
    label_split: int = 0  # which random labelled subset (mean/std over several in evaluation)
    split: str = "auto"  # sources without a split of their own: auto (whole sequences when
    #   there are two or more, else one cut in time), sequences, time (every sequence cut in
    #   time chunks: for a few recordings that move unlike one another)
    test_fraction: float = 0.5  # for sources without a split: fraction of sequences held out
    time_chunks: int = 4  # one sequence alone: cut into this many time chunks, a test_fraction
    #   of them held out along the recording (ours; 1 = hold out its end)
    validation_fraction: float = 0.0  # > 0: hold out this fraction of the training instances
    #   (or sequences) and measure on them instead of the test split (model selection)
    window: float = 0.0  # neighbour window in seconds for video; 0 = the source's default
    # --- motion patterns ---
    num_patterns: int = 0  # G for k-means; 0 = 2 per motor dimension (ours: each DOF both ways)
    view_patterns: str = "steps"  # views layout: steps (one pattern per single-axis step,
    #   diagonals left out), steps+diagonals (each diagonal its own pattern), kmeans (ours)
    min_motion: float = 0.1  # standardised norm below which a motion counts as zero (ours)
    keep_fraction: float = 0.7  # fraction of each cluster nearest its centre kept (ours)
    # --- model ---
    model: str = "smallnet"  # the backbone: a name in egoequiv.models.BACKBONES
    backbone: dict = field(default_factory=dict)  # the backbone's own keys (conv_channels,
    #   hidden_dim, feature_dim, ...), set as flat keys like any other: each backbone
    #   declares them, with defaults and checks, in its file (`egoequiv backbones`)
    feature_layer: str = "auto"  # the layer carrying the unsupervised loss: auto = the top one,
    #   or another of the backbone's layers (`egoequiv backbones` lists them)
    # --- method ---
    method: str = "equiv+drlim"
    lam: float = 1.0  # weight of the unsupervised loss (paper: searched on a 10^0.5 grid)
    hyperparameters: dict = field(default_factory=dict)  # the method's own keys (margin,
    #   vicreg_sim, ...), set as flat keys like any other: each method declares them, with
    #   defaults and checks, in its file (egoequiv/methods/<name>.py; `egoequiv methods`)
    # --- optimisation ---
    lr: float = 0.01  # paper: picked for clsnet from {0.1, 0.01, 0.001, 0.0001}
    momentum: float = 0.9  # Nesterov
    weight_decay: float = 5e-4
    batch_size: int = 16  # per stream: labelled images, and unlabelled pairs (paper: 16)
    augment_shift: int = 0  # move training frames by up to this many pixels, both frames of a
    #   pair alike (ours; the paper does not augment; egoequiv.training.augment); 0 off
    iters: int = 1500
    seed: int = 0
    device: str = "auto"  # auto, cpu, cuda, cuda:N
    patience: int = 0  # early stopping: stop once the validation measure has not improved
    #   in this many monitor evaluations (needs validation_fraction and monitor_every); 0 off
    stop_metric: str = "val_top1"  # what early stopping watches: val_top1 (ours),
    #   val_softmax_loss (the paper's rule; see docs/reproduce.md for why top-1) or
    #   val_equivariance (refitted error on the validation instances' pairs: for pretraining
    #   whose features must carry to unseen objects; docs/results.md)
    checkpoint_every: int = 250
    log_every: int = 50
    logger: str = "csv"  # live logs: csv (metrics.csv, always written), tensorboard (also
    #   TensorBoard events under OUT/tensorboard; pip install 'egoequiv[tensorboard]') or
    #   wandb (also a wandb run, offline under OUT/wandb; pip install 'egoequiv[wandb]')
    monitor_every: int = 0  # every N iterations log slowness AUROC and held-out equivariance
    #   errors on training pairs (egoequiv.training.monitor); 0 off
    workers: int = 0  # decoding processes; 0 = all cores
    # --- scale and speed (none changes the numbers, except precision and lr_scaling) ---
    device_cache_mb: int = 2048  # frames go onto the training device when the cache is at
    #   most this size; larger caches stream from disk with a background prefetch (ours)
    prefetch: int = 0  # streaming: 0 reads each batch in the step after asking the kernel to
    #   fetch the next one (fastest on 2 CPU cores); N > 0: a thread reads N batches ahead
    precision: str = "fp32"  # fp32, or bf16 (autocast of the forward pass; GPUs with bf16)
    compile: bool = False  # torch.compile the training forward (helps launch-bound small
    #   nets on a GPU; its compile time rarely pays off on a CPU)
    lr_scaling: str = "none"  # under torchrun: none (lr as given, for the global batch of
    #   N x batch_size) or linear (lr x N, Goyal et al. 2017)


#: the paper's lr grid for clsnet (``lr`` is its pick); reproduce and finetune search it
LR_GRID = (0.1, 0.01, 0.001, 0.0001)

#: the allowed values of the string keys (the command line takes its choices from here)
CHOICES = {
    "channels": (0, 1, 3),
    "split": ("auto", "sequences", "time"),
    "view_patterns": ("steps", "steps+diagonals", "kmeans"),
    "stop_metric": ("val_top1", "val_softmax_loss", "val_equivariance"),
    "precision": ("fp32", "bf16"),
    "logger": ("csv", "tensorboard", "wandb"),
    "lr_scaling": ("none", "linear"),
}
_POSITIVE = ("image_size", "batch_size", "iters", "checkpoint_every", "log_every", "lr")
_NON_NEGATIVE = ("augment_shift", "monitor_every", "patience", "labels_per_class",
                 "label_split", "window",
                 "num_patterns", "min_motion", "lam", "momentum", "weight_decay", "seed",
                 "workers", "device_cache_mb", "prefetch")
#: keys that do not change what a run learns (where it runs and what it logs): runs that
#: differ only in these are the same experiment
NEUTRAL_KEYS = frozenset({"device", "log_every", "checkpoint_every", "workers",
                          "device_cache_mb", "prefetch", "compile", "logger"})
#: the field holding the method's own keys (checked by the method, not here)
METHOD_KEYS = "hyperparameters"
#: the field holding the backbone's own keys (declared and checked by the backbone)
BACKBONE_KEYS = "backbone"
#: the module holding the backbone registry. The models build on this module, so it is
#: imported by name when a config is checked (as data/registry.py names rendered sources)
BACKBONE_REGISTRY = "egoequiv.models"


def _models():
    return import_module(BACKBONE_REGISTRY)


def _fields() -> list[str]:
    return [f.name for f in dataclasses.fields(Config)
            if f.name not in (METHOD_KEYS, BACKBONE_KEYS)]


def field_names() -> list[str]:
    """The run's own keys, every backbone's among them (a method's keys are declared by
    the method)."""
    return _fields() + list(_models().all_backbone_options())


def validate(cfg: Config) -> Config:
    """``cfg`` checked, its backbone's keys with the unset ones at their declared defaults;
    a one-line ConfigError naming the first bad key."""
    for name, choices in CHOICES.items():
        if getattr(cfg, name) not in choices:
            raise ConfigError(f"config: {name} must be one of {list(choices)}, "
                              f"got {getattr(cfg, name)!r}")
    for name in _POSITIVE:
        if not getattr(cfg, name) > 0:
            raise ConfigError(f"config: {name} must be > 0, got {getattr(cfg, name)!r}")
    for name in _NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            raise ConfigError(f"config: {name} must be >= 0, got {getattr(cfg, name)!r}")
    if not 0 < cfg.keep_fraction <= 1:
        raise ConfigError(f"config: keep_fraction must be in (0, 1], got {cfg.keep_fraction}")
    if cfg.augment_shift >= cfg.image_size:
        raise ConfigError(f"config: augment_shift must be below image_size "
                          f"({cfg.image_size}), got {cfg.augment_shift}")
    if not 0 <= cfg.validation_fraction < 1:
        raise ConfigError(f"config: validation_fraction must be in [0, 1), "
                          f"got {cfg.validation_fraction}")
    if cfg.patience and not (cfg.validation_fraction and cfg.monitor_every):
        raise ConfigError("config: patience (early stopping) needs validation_fraction > 0 "
                          "and monitor_every > 0: it watches the validation frames")
    if not 0 < cfg.test_fraction < 1:
        raise ConfigError(f"config: test_fraction must be in (0, 1), got {cfg.test_fraction}")
    if cfg.time_chunks < 1:
        raise ConfigError(f"config: time_chunks must be >= 1, got {cfg.time_chunks}")
    if cfg.seed >= 2 ** 63:
        raise ConfigError(f"config: seed must be below 2**63, got {cfg.seed}")
    backbone = _models().resolve_backbone(cfg.model, cfg.backbone, cfg.image_size)
    return dataclasses.replace(cfg, backbone=backbone)


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> Config:
    """Defaults, updated from a TOML or JSON file, then from ``overrides``; validated.

    A backbone's keys go to ``backbone``, checked by their declarations (those of the run's
    model, with the unset ones at their defaults). Other keys that are not the run's own go
    to ``hyperparameters`` as given: the method declares and checks them
    (``egoequiv.methods.resolve_config``)."""
    values: dict = {}
    if path:
        path = Path(path)
        values.update({k: (v, str(path)) for k, v in read_config_file(path).items()})
    values.update({k: (v, "command line") for k, v in (overrides or {}).items()})
    names, defaults = _fields(), Config()
    backbone_keys = _models().all_backbone_options()
    kwargs, backbone, method_keys = {}, {}, {}
    for key, (value, source) in values.items():
        key = key.replace("-", "_")
        if key in names:
            kwargs[key] = cast(key, value, type(getattr(defaults, key)), source)
        elif key in backbone_keys:
            backbone[key] = backbone_keys[key][0].parse(key, value, source)
        else:
            method_keys[key] = value
    return validate(Config(**kwargs, backbone=backbone, hyperparameters=method_keys))


#: the one table a config file may hold: its keys, when they are not at top level
TABLE = "train"


def read_config_file(path: Path) -> dict:
    """The keys of a TOML or JSON config, read whole: at top level, or all under one
    ``[train]`` table (docs/config.md). Any other table, a key beside ``[train]``, or a
    table as a key's value is refused with its path: nothing in a file is silently
    dropped."""
    if not path.exists():
        raise ConfigError(f"{path}: config file does not exist")
    try:
        text = path.read_text()
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot parse ({e})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a table of keys, got a {type(raw).__name__}")
    if TABLE in raw:
        if not isinstance(raw[TABLE], dict):
            raise ConfigError(f"{path}: '{TABLE}' must be a table of keys, got "
                              f"{type(raw[TABLE]).__name__}")
        beside = [k for k in raw if k != TABLE]
        if beside:
            key = beside[0]
            what = _table_path(key, raw[key]) + ": unknown table" \
                if isinstance(raw[key], dict) else f"{key}: a key beside [{TABLE}]"
            raise ConfigError(f"{path}: {what} (put every key under [{TABLE}], or every key "
                              "at top level; see docs/config.md)")
        raw, within = raw[TABLE], f"{TABLE}."
    else:
        within = ""
    for key, value in raw.items():
        if isinstance(value, dict):  # a backbone's or method's keys are flat keys too
            raise ConfigError(f"{path}: {_table_path(within + key, value)}: unknown table "
                              f"(keys are flat, at top level or under [{TABLE}]; see "
                              "docs/config.md)")
    return raw


def _table_path(key: str, table: dict) -> str:
    """``[optimiser] lr``: a table and its first key, as the file names them."""
    return f"[{key}] {next(iter(table))}" if table else f"[{key}]"


def parse_overrides(items: list[str]) -> dict:
    """``["lam=0.3", "iters=100"]`` -> ``{"lam": "0.3", "iters": "100"}``."""
    out = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def to_dict(cfg: Config) -> dict:
    """Flat keys, the backbone's and the method's among them
    (``load_config(overrides=to_dict(cfg))`` gives ``cfg`` back)."""
    out = dataclasses.asdict(cfg)
    own = {k: v for k, v in out.items() if k not in (METHOD_KEYS, BACKBONE_KEYS)}
    return {**own, **out[BACKBONE_KEYS], **out[METHOD_KEYS]}
