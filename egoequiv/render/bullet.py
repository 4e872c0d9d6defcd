"""A small pybullet helper: a headless DIRECT client that shows ``Part`` lists and renders
them with the CPU TinyRenderer (no display, no GPU, deterministic)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from egoequiv.errors import EgoequivError
from egoequiv.render.parts import Part


def pb():
    """pybullet, imported on first use (importing the sources registry needs no renderer),
    without the build-time banner it writes on stderr, once per worker, over progress bars."""
    if "pybullet" not in sys.modules:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import pybullet  # noqa: F401
        except ImportError:
            raise EgoequivError("the rendered worlds (rendered-objects, rendered-drive, the "
                                "demo) need pybullet: pip install 'egoequiv[render]'") from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    return sys.modules["pybullet"]


@dataclass(frozen=True)
class Light:
    """A directional light: ``direction`` points from the scene towards the light."""

    direction: tuple[float, float, float]
    ambient: float = 0.45
    diffuse: float = 0.6
    specular: float = 0.05


@dataclass(frozen=True)
class Camera:
    """A pinhole camera. fov is the vertical field of view in degrees; aspect = width/height
    of the view frustum (rendered into a square image, i.e. squashed like resized KITTI)."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    fov: float = 30.0
    aspect: float = 1.0
    near: float = 0.1
    far: float = 100.0


def view_matrix(camera: Camera) -> np.ndarray:
    """The 4x4 view matrix pybullet uses (column-major 16 floats, as passed to it)."""
    return np.array(pb().computeViewMatrix(camera.eye, camera.target, camera.up), dtype=np.float64)


def camera_position(view: np.ndarray) -> np.ndarray:
    """Recover the camera's eye position from a (column-major, 16) view matrix."""
    m = np.asarray(view, dtype=np.float64).reshape(4, 4).T  # row-major [R t; 0 1]
    return -m[:3, :3].T @ m[:3, 3]


def camera_forward(view: np.ndarray) -> np.ndarray:
    """The camera's viewing direction (world frame) from a view matrix (OpenGL: -z)."""
    m = np.asarray(view, dtype=np.float64).reshape(4, 4).T
    return -m[2, :3]


def _sphere_mesh() -> str:
    import pybullet_data

    return os.path.join(pybullet_data.getDataPath(), "sphere_smooth.obj")


class Renderer:
    """One pybullet DIRECT client (one per process: clients are not fork-safe to share)."""

    def __init__(self):
        self.client = pb().connect(pb().DIRECT)
        self.pid = os.getpid()

    def clear(self) -> None:
        pb().resetSimulation(physicsClientId=self.client)

    def add(self, parts: list[Part]) -> None:
        for part in parts:
            self._add(part)

    def _add(self, part: Part) -> None:
        p = pb()
        kw = {"rgbaColor": (*part.rgb, 1.0), "physicsClientId": self.client}
        s = part.size
        if part.shape == "box":
            shape = p.createVisualShape(p.GEOM_BOX, halfExtents=s, **kw)
        elif part.shape == "sphere":
            shape = p.createVisualShape(p.GEOM_SPHERE, radius=s[0], **kw)
        elif part.shape == "cylinder":
            shape = p.createVisualShape(p.GEOM_CYLINDER, radius=s[0], length=s[1], **kw)
        elif part.shape == "capsule":
            shape = p.createVisualShape(p.GEOM_CAPSULE, radius=s[0], length=s[1], **kw)
        else:  # ellipsoid: pybullet_data's unit sphere mesh, scaled per axis
            shape = p.createVisualShape(p.GEOM_MESH, fileName=_sphere_mesh(), meshScale=s, **kw)
        p.createMultiBody(baseMass=0, baseVisualShapeIndex=shape, basePosition=part.pos,
                          baseOrientation=part.quat, physicsClientId=self.client)

    def render(self, camera: Camera, size: int, light: Light, background,
               supersample: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Render a size x size RGB uint8 image; returns (image, the view matrix passed).

        ``background`` (an RGB triple in 0..1 or an (S, S, 3) float image at the rendered
        size S = size * supersample) fills pixels that see no object. ``supersample`` renders
        k times larger and averages k x k blocks (TinyRenderer does no anti-aliasing).
        """
        p = pb()
        k = max(1, int(supersample))
        big = size * k
        view = view_matrix(camera)
        proj = p.computeProjectionMatrixFOV(camera.fov, camera.aspect, camera.near, camera.far)
        _, _, rgba, _, seg = p.getCameraImage(
            big, big, view.tolist(), proj, renderer=p.ER_TINY_RENDERER,
            lightDirection=light.direction, lightColor=(1.0, 1.0, 1.0),
            lightAmbientCoeff=light.ambient, lightDiffuseCoeff=light.diffuse,
            lightSpecularCoeff=light.specular, shadow=0, physicsClientId=self.client)
        rgb = np.asarray(rgba, dtype=np.float64).reshape(big, big, 4)[:, :, :3] / 255.0
        empty = np.asarray(seg).reshape(big, big) < 0
        bg = np.broadcast_to(np.asarray(background, dtype=np.float64), rgb.shape)
        rgb[empty] = bg[empty]
        if k > 1:
            rgb = rgb.reshape(size, k, size, k, 3).mean(axis=(1, 3))
        return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8), view

    def close(self) -> None:
        if pb().isConnected(self.client):
            pb().disconnect(self.client)


# One pybullet connection per process, opened on first use: connecting costs more than
# rendering a view. It holds no setting; every render passes its scene and camera.
_RENDERER: Renderer | None = None


def process_renderer() -> Renderer:
    """This process's renderer, made on first use (a forked worker makes its own)."""
    global _RENDERER
    if _RENDERER is None or _RENDERER.pid != os.getpid():
        _RENDERER = Renderer()
    return _RENDERER


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, uint8 (H, W)."""
    g = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)
