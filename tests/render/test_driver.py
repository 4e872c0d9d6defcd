"""The driver model: kinematics consistent with the odometer, turns both ways, stops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from egoequiv.render.driver import DT, drive
from egoequiv.render.scenes import SCENES, STYLES


def _runs(scene, n=12, frames=150):
    return [drive(STYLES[scene], frames, np.random.default_rng([0, k])) for k in range(n)]


@pytest.mark.parametrize("scene", SCENES)
def test_step_length_equals_odometer_increment(scene):
    for tr in _runs(scene, n=5):
        step = np.hypot(np.diff(tr.x), np.diff(tr.y))
        assert np.allclose(step, np.diff(tr.odometer), atol=1e-9)
        assert (np.diff(tr.odometer) >= 0).all()
        # and the distance is what the speed says (trapezoid over one frame)
        assert np.allclose(np.diff(tr.odometer), (tr.speed[1:] + tr.speed[:-1]) / 2 * DT)


@pytest.mark.parametrize("scene", SCENES)
def test_speeds_and_turns_are_plausible(scene):
    style = STYLES[scene]
    for tr in _runs(scene, n=5):
        acc = np.diff(tr.speed) / DT
        assert acc.max() <= style.accel + 1e-9 and acc.min() >= -style.decel - 1e-9
        assert tr.speed.max() <= style.cruise[1] + 1e-9
        dpsi = np.diff(tr.heading)
        ds = np.diff(tr.odometer)
        # curvature never tighter than the style's smallest turn radius
        assert (np.abs(dpsi) <= ds / style.turn_radius[0] + 1e-12).all()


def test_the_driver_turns_left_and_right_with_different_radii_and_stops():
    kinds, radii = set(), set()
    for scene in SCENES:
        for tr in _runs(scene):
            kinds |= set(tr.manoeuvre)
            ds, dpsi = np.diff(tr.odometer), np.diff(tr.heading)
            turning = (np.abs(dpsi) > 1e-6) & (ds > 0.05)
            radii |= {round(float(r)) for r in ds[turning] / np.abs(dpsi[turning])}
    assert {"straight", "left", "right", "stop", "slow"} <= kinds
    assert min(radii) < 15 and max(radii) > 60
    tr = next(t for t in _runs("city") if "left" in t.manoeuvre)
    i = tr.manoeuvre.index("left")
    j = i + tr.manoeuvre[i:].index(next(k for k in tr.manoeuvre[i:] if k != "left"))
    assert tr.heading[j] > tr.heading[i]  # left = counter-clockwise = heading up


def test_a_stop_comes_to_rest_and_holds():
    for tr in _runs("city", n=20):
        still = np.flatnonzero((tr.speed[:-1] == 0.0) & (tr.speed[1:] == 0.0))
        if len(still) >= 5:
            assert (np.diff(tr.odometer)[still] == 0.0).all()
            assert (np.diff(tr.x)[still] == 0.0).all() and (np.diff(tr.y)[still] == 0.0).all()
            assert (np.diff(tr.heading)[still] == 0.0).all()
            return
    pytest.fail("no city drive came to a full stop")


def test_same_seed_same_drive_other_seed_other():
    a = drive(STYLES["road"], 80, np.random.default_rng(3))
    b = drive(STYLES["road"], 80, np.random.default_rng(3))
    c = drive(STYLES["road"], 80, np.random.default_rng(4))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.heading, b.heading)
    assert not np.allclose(a.heading, c.heading)
    assert math.isfinite(a.odometer[-1]) and len(a) == 80
