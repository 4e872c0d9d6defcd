"""``rendered-objects[:OPTIONS]``: the embedded NORB-style set (see docs/rendered.md).

Options: categories, instances (per category), elevations, elevation_step, azimuths,
lightings, size, seed, supersample, grey. Motor (elevation, azimuth) in degrees, layout
"views"; split by instance (half train, half test).
"""

from __future__ import annotations

from egoequiv.render.objects_set import MOTOR, ObjectOptions, render_objects
from egoequiv.render.source import RenderedSource


class RenderedObjectsSource(RenderedSource):
    name = "rendered-objects"
    options = {"categories": int, "instances": int, "elevations": int,
               "elevation_step": float, "azimuths": int, "lightings": int, "size": int,
               "seed": int, "supersample": int, "grey": bool}
    settings_class = ObjectOptions
    motor = MOTOR

    def _render(self, folder, settings) -> None:
        render_objects(folder, settings)
