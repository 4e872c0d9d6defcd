"""Object models and object views: determinism, camera pose == motor reading, variety."""

from __future__ import annotations

import math

import numpy as np
import pytest

from egoequiv.render.bullet import camera_position
from egoequiv.render.objects import CATEGORIES, build_instance
from egoequiv.render.objects_set import DISTANCE, render_view
from egoequiv.render.parts import bounds, corners

FIVE = list(CATEGORIES)[:5]


def _pose(view) -> tuple[float, float, float]:
    """(elevation, azimuth, distance) of the camera around the object's centre (origin)."""
    eye = camera_position(view)
    r = float(np.linalg.norm(eye))
    return math.degrees(math.asin(eye[2] / r)), math.degrees(math.atan2(eye[1], eye[0])) % 360, r


def test_same_view_twice_gives_the_same_image():
    parts = build_instance("car", 0, 3)
    a, _ = render_view(parts, 40.0, 60.0, 1, 32)
    render_view(build_instance("animal", 0, 0), 70.0, 0.0, 0, 32)  # something else between
    b, _ = render_view(parts, 40.0, 60.0, 1, 32)
    assert a.shape == (32, 32) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert a.std() > 5  # not a blank frame


@pytest.mark.parametrize("elevation", [30.0, 50.0, 70.0])
def test_azimuth_step_of_20_degrees_is_a_20_degree_step_of_the_camera(elevation):
    parts = build_instance("truck", 0, 1)
    poses = []
    for azimuth in (340.0, 0.0, 20.0, 40.0):
        _, view = render_view(parts, elevation, azimuth, 0, 16)
        e, a, r = _pose(view)
        assert e == pytest.approx(elevation, abs=1e-3)
        assert r == pytest.approx(DISTANCE, abs=1e-4)
        poses.append(a)
    steps = [(b - a + 180) % 360 - 180 for a, b in zip(poses, poses[1:], strict=False)]
    assert steps == pytest.approx([20.0, 20.0, 20.0], abs=1e-3)


def test_elevation_step_moves_the_camera_up_by_that_angle():
    parts = build_instance("human", 0, 0)
    _, v30 = render_view(parts, 30.0, 100.0, 0, 16)
    _, v35 = render_view(parts, 35.0, 100.0, 0, 16)
    (e0, a0, _), (e1, a1, _) = _pose(v30), _pose(v35)
    assert e1 - e0 == pytest.approx(5.0, abs=1e-3)
    assert a1 == pytest.approx(a0, abs=1e-3) and a0 == pytest.approx(100.0, abs=1e-3)


def test_turning_the_camera_changes_the_image():
    parts = build_instance("airplane", 0, 2)
    a, _ = render_view(parts, 40.0, 0.0, 0, 32)
    b, _ = render_view(parts, 40.0, 20.0, 0, 32)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1.0


def test_models_are_deterministic_for_a_seed_and_fit_the_unit_sphere():
    for cat in CATEGORIES:
        assert build_instance(cat, 7, 4) == build_instance(cat, 7, 4)
        assert build_instance(cat, 7, 4) != build_instance(cat, 8, 4)
        pts = np.concatenate([corners(p) for p in build_instance(cat, 0, 0)])
        assert np.linalg.norm(pts, axis=1).max() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("category", FIVE)
def test_instances_of_a_category_differ(category):
    images = [render_view(build_instance(category, 0, k), 40.0, 40.0, 0, 32)[0]
              for k in range(10)]
    for i in range(10):
        for j in range(i):
            diff = np.abs(images[i].astype(int) - images[j].astype(int)).mean()
            assert diff > 1.0, f"{category} instances {i} and {j} look alike"


def test_categories_have_their_own_shapes():
    """Per-instance bounding boxes (x forward, z up) tell the categories apart."""
    for k in range(10):
        ext = {c: np.subtract(*bounds(build_instance(c, 0, k))[::-1]) for c in FIVE}
        assert ext["human"][2] > ext["human"][0] and ext["human"][2] > ext["human"][1] * 0.9
        x, y, z = ext["airplane"]
        assert z < 0.6 * min(x, y)  # flat: long fuselage, wide wings
        for vehicle in ("car", "truck"):
            x, y, z = ext[vehicle]
            assert x > y and x > z  # longer than wide and tall
        assert ext["truck"][2] / ext["truck"][1] > ext["car"][2] / ext["car"][1]  # tall box
    images = {c: render_view(build_instance(c, 0, 0), 40.0, 40.0, 0, 32)[0] for c in FIVE}
    for a in FIVE:
        for b in FIVE:
            if a < b:
                assert np.abs(images[a].astype(int) - images[b].astype(int)).mean() > 2.0
