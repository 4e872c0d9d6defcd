"""One writer per run folder: a run holds an exclusive lock on ``OUT/.lock`` for its life.

The lock is ``fcntl.flock`` on the file, which holds the holder's pid. The kernel drops it
when the process ends, however it ends (a crash or ``kill -9`` included), so a stale
``.lock`` file never blocks the next run: only a live holder does. A second process on the
same folder is refused at once with one line naming the folder and the holder's pid.

Within one process the lock is re-entrant (a grid's folder, then a member's; ``train``
called twice on one folder in a notebook): a count per folder, released at zero. On release
the file is removed while still locked, and a taker checks that the file it locked is still
the one at the path (else it retries), so removing it never lets two processes in.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from egoequiv.errors import EgoequivError
from egoequiv.utils.atomic import storage_error

LOCK_FILE = ".lock"

#: {(pid, folder): [fd, count]}: the locks this process holds (a forked child holds none of
#: its parent's: ``_drop_inherited``)
_HELD: dict[tuple[int, str], list[int]] = {}


def _drop_inherited() -> None:
    """In a forked child (a decode worker): close the parent's lock files. The lock belongs
    to the open file, which a fork shares: a worker outliving its killed parent would hold
    the folder until it ends."""
    for fd, _ in _HELD.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited)


class FolderInUse(EgoequivError):
    """Another live process holds the run folder's lock."""


class RunLock:
    """The lock on one run folder, held until ``release`` (see the module doc)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.key = (os.getpid(), str(self.folder.resolve()))
        self.released = False
        held = _HELD.get(self.key)
        if held is not None:
            held[1] += 1
        else:
            _HELD[self.key] = [_take(self.folder / LOCK_FILE), 1]

    def release(self) -> None:
        """Give the lock back (once; later calls do nothing)."""
        if self.released:
            return
        self.released = True
        held = _HELD.get(self.key)
        if held is None or self.key[0] != os.getpid():
            return
        held[1] -= 1
        if held[1] == 0:
            del _HELD[self.key]
            try:  # removed while still locked: see the module doc
                (self.folder / LOCK_FILE).unlink(missing_ok=True)
            except OSError:
                pass
            os.close(held[0])

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _take(path: Path) -> int:
    """An fd of ``path`` locked exclusively, the pid written in it; FolderInUse if a live
    process holds it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise storage_error(path, e) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = _holder(fd)
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise storage_error(path, e) from None
            raise FolderInUse(f"output folder {path.parent} is in use by another egoequiv run "
                              f"(pid {holder}): wait for it to end, or choose another "
                              "output folder") from None
        if _same_file(fd, path):
            break
        os.close(fd)  # its holder removed it as we took it: take the new one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _holder(fd: int) -> str:
    """The pid written in a lock file ("unknown" while its holder is still writing it)."""
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"

