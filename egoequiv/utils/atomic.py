"""Atomic writes: a finished file is either complete or absent, never half-written.

Every write goes to a hidden temporary file beside the target, then is renamed over it. If
the write fails (a full disk, a read-only folder, an interrupt), the temporary file is removed
and the failure is one EgoequivError line naming the folder: "no space left on DIR".
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from egoequiv.errors import EgoequivError


def _tmp(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}{suffix}")


def storage_error(path: Path, e: OSError, needs_bytes: int | None = None) -> EgoequivError:
    """One line for a failed write: the folder, and what went wrong."""
    folder = Path(path).parent
    if e.errno == errno.ENOSPC:
        need = f" (needs about {needs_bytes / 1e6:.0f} MB)" if needs_bytes else ""
        return EgoequivError(f"no space left on {folder}{need}")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EgoequivError(f"{folder}: not writable ({e.strerror})")
    return EgoequivError(f"{path}: cannot write ({e.strerror or e})")


@contextmanager
def _writing(path: Path, tmp: Path):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
        os.replace(tmp, path)
    except OSError as e:
        remove_quietly(tmp)
        raise storage_error(path, e) from None
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_quietly(path: Path) -> None:
    """Remove a temporary file if it is there; never raise (we are already failing)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def atomic_write_with(path: str | Path, write: Callable[[Path], None], suffix: str = "") -> None:
    """``write(tmp)`` writes the file at a temporary path beside ``path``, which then
    replaces ``path`` in one rename (any writer: safetensors, numpy, a library's own)."""
    path = Path(path)
    tmp = _tmp(path, suffix)
    with _writing(path, tmp):
        write(tmp)


def atomic_write_text(path: str | Path, text: str) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    atomic_write_with(path, write)


def _finite(obj: Any) -> Any:
    """NaN and infinities become None: JSON has no NaN, and a reader must not get one."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(_finite(obj), indent=2, sort_keys=False,
                                       allow_nan=False) + "\n")


def atomic_torch_save(path: str | Path, obj: Any) -> None:
    import torch  # here, so that the commands that write JSON alone start without it

    def write(tmp: Path) -> None:
        try:
            torch.save(obj, tmp)
        except RuntimeError as e:  # torch's own writer: tell a full disk from the rest
            full = shutil.disk_usage(tmp.parent).free < 1 << 20
            raise OSError(errno.ENOSPC if full else errno.EIO, str(e)) from None

    atomic_write_with(path, write)


def atomic_save_npy(path: str | Path, array) -> None:
    import numpy as np

    atomic_write_with(path, lambda tmp: np.save(tmp, array), suffix=".npy")
