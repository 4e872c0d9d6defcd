"""``rendered-drive[:OPTIONS]``: the embedded driving set (see docs/rendered.md).

Options: scenes (scene types), sequences (per scene type), frames (per sequence, 10 fps),
size, seed, supersample. Motor (heading deg, odometer m), layout "video" with a 1 s window;
labels are scene types; sequences are split train/test.
"""

from __future__ import annotations

from egoequiv.render.drive_set import MOTOR, DriveOptions, render_drive
from egoequiv.render.source import RenderedSource


class RenderedDriveSource(RenderedSource):
    name = "rendered-drive"
    options = {"scenes": int, "sequences": int, "frames": int, "size": int, "seed": int,
               "supersample": int}
    settings_class = DriveOptions
    motor = MOTOR

    def _render(self, folder, settings) -> None:
        render_drive(folder, settings)
