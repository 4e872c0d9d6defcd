"""A task from a dataset spec: open the source, decode (or reuse) its uint8 cache, build the
pairs and motion patterns. Training, evaluation and the controls all load tasks here."""

from __future__ import annotations

from egoequiv.config import Config
from egoequiv.data.cache import Frames, load_frames
from egoequiv.data.registry import open_source
from egoequiv.task.build import Task, build_task
from egoequiv.task.combine import combine_frames


def load_task_frames(cfg: Config, dataset: str, quiet: bool = False,
                     labelled_dataset: str | None = None, channels: int | None = None
                     ) -> Frames:
    """The decoded frames a task of ``dataset`` is built on. With ``labelled_dataset``, the
    labelled images come from that source instead (``task.combine``): pairs from
    ``dataset``, labels from the other. ``channels`` overrides the config's (a trained
    model's input decides)."""
    source = open_source(dataset)
    channels = channels or cfg.channels or source.default_channels
    frames = load_frames(source, cfg.image_size, channels, workers=cfg.workers or None,
                         quiet=quiet)
    if labelled_dataset:
        other = load_frames(open_source(labelled_dataset), cfg.image_size, channels,
                            workers=cfg.workers or None, quiet=quiet)
        frames = combine_frames(frames, other, cfg.test_fraction)
    return frames


def prepare(cfg: Config, dataset: str, quiet: bool = False,
            labelled_dataset: str | None = None, channels: int | None = None,
            needs_pairs: bool = True) -> tuple[Frames, Task]:
    """The frames and task of ``dataset`` under ``cfg`` (``load_task_frames``, then
    ``build_task``; ``needs_pairs=False`` for a method of labels alone)."""
    frames = load_task_frames(cfg, dataset, quiet, labelled_dataset, channels)
    return frames, build_task(frames, cfg, needs_pairs)
