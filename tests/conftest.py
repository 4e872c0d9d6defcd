"""Shared fixtures: the real data in ../shared/data and a private frame cache per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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
