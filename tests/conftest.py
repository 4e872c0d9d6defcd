"""Shared fixtures: the real data in ../shared/data and a private frame cache per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Under pytest-xdist the workers share the machine's cores: one torch thread per worker
    (and per subprocess a test starts) keeps them from oversubscribing the cores."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)


def shared_data_dir() -> Path:
    """``$EGOEQUIV_SHARED_DATA`` or ``<repo>/../shared/data``."""
    return Path(os.environ.get("EGOEQUIV_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.exists():
        pytest.fail(f"real test data not found at {path} (set EGOEQUIV_SHARED_DATA)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Decoded frames go to a temporary cache, never the user's."""
    old = os.environ.get("EGOEQUIV_CACHE")
    os.environ["EGOEQUIV_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["EGOEQUIV_QUIET"] = "1"
    yield
    if old is None:
        os.environ.pop("EGOEQUIV_CACHE", None)
    else:
        os.environ["EGOEQUIV_CACHE"] = old


@pytest.fixture
def read_source():
    """``read_source(spec)`` -> (source, table, the warnings its table raised)."""
    import warnings

    from egoequiv.data.registry import open_source

    def read(spec):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source = open_source(spec)
            table = source.table()
        return source, table, [str(w.message) for w in caught]

    return read


@pytest.fixture
def write_clip():
    """``write_clip(path, frames, size=(64, 48), fps=10, step=30)``: an mpeg4 clip whose frame
    k is one grey level, ``step * k % 256`` (PyAV)."""
    av = pytest.importorskip("av")
    import numpy as np

    def write(path, frames=8, size=(64, 48), fps=10, step=30):
        with av.open(str(path), "w") as out:
            stream = out.add_stream("mpeg4", rate=fps)
            stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
            for k in range(frames):
                img = np.full((size[1], size[0], 3), step * k % 256, dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)

    return write
