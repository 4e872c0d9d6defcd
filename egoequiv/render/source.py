"""The ``Source`` side of a rendered set: render on first use into the cache, then read the
frames-csv folder back through ``FramesCsvSource``, as any user's data would be."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from egoequiv.data.frames_csv import FramesCsvSource
from egoequiv.data.motor import MotorSpec
from egoequiv.data.source import Source
from egoequiv.data.table import FrameTable
from egoequiv.errors import EgoequivError
from egoequiv.render.store import render_key, rendered_folder


def check_options(set_name: str, checks: list[tuple[bool, str]]) -> None:
    """One-line error for the first failed (ok, what) check of a set's options."""
    for ok, what in checks:
        if not ok:
            raise EgoequivError(f"{set_name}: bad option ({what})")


class RenderedSource(Source):
    """Subclasses set ``name``, ``options``, ``settings_class`` (a frozen options
    dataclass), ``motor`` (the MotorSpec) and ``_render(folder, settings)``."""

    needs_path = False
    settings_class: type = object
    motor: MotorSpec | None = None

    def __init__(self, path: str | None = None, **options):
        if path:
            raise EgoequivError(
                f"dataset {self.name!r} is rendered, it takes options only "
                f"({self.name}[:key=value,...]), not a path: {path!r}")
        super().__init__(None, **options)
        self.settings = self.settings_class(**options)
        self._reader: FramesCsvSource | None = None

    @property
    def key_options(self) -> dict:
        return dataclasses.asdict(self.settings)

    def folder(self) -> Path:
        """The rendered frames-csv folder (rendered now, once, if missing)."""
        return rendered_folder(self.name, self.key_options,
                               lambda tmp: self._render(tmp, self.settings))

    def _render(self, folder: Path, settings) -> None:
        raise NotImplementedError

    def reader(self) -> FramesCsvSource:
        if self._reader is None:
            self._reader = FramesCsvSource(str(self.folder()))
        return self._reader

    def _build_table(self) -> FrameTable:
        table = self.reader().table()
        spec = table.motor_spec
        # frames-csv keeps names/periods in column names; restore our names and units
        if self.motor is not None and spec.periods == self.motor.periods:
            table = dataclasses.replace(table, motor_spec=self.motor)
        return table

    def load_image(self, ref: str) -> np.ndarray:
        return self.reader().load_image(ref)

    @property
    def default_channels(self) -> int:
        return self.reader().default_channels

    def fingerprint(self) -> str:
        # the folder's content is a function of its key (options, seed, renderer version)
        return render_key(self.name, self.key_options)

    def describe(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.opts.items()))
        return f"{self.name}:{opts}" if opts else self.name
