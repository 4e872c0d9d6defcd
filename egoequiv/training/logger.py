"""Live logs of a run: ``metrics.csv`` always, TensorBoard when asked (``logger=tensorboard``).

``metrics.csv`` is in long form, one row per logged value: ``iteration,name,value`` (the
loss and its parts and the lr every ``log_every`` steps, the monitors every
``monitor_every``), appended and flushed as training goes, so it can be read (or plotted)
while the run is alive. A resumed run first rewrites it from the checkpoint's history, so
the file never holds rows of iterations the run is about to redo. TensorBoard needs the
optional extra: ``pip install 'egoequiv[tensorboard]'``.
"""

from __future__ import annotations

import math
from pathlib import Path

from egoequiv.errors import EgoequivError
from egoequiv.utils.atomic import atomic_write_text
from egoequiv.utils.metrics_csv import HEADER

INSTALL = "logger=tensorboard needs the tensorboard package: pip install 'egoequiv[tensorboard]'"


def _rows(entry: dict) -> list[tuple[int, str, float]]:
    it = int(entry["iteration"])
    return [(it, k, float(v)) for k, v in entry.items()
            if k != "iteration" and isinstance(v, (int, float)) and not isinstance(v, bool)]


class RunLogger:
    def __init__(self, out_dir: Path, history: list[dict], logger: str = "csv"):
        self.path = Path(out_dir) / "metrics.csv"
        lines = [HEADER] + [f"{i},{k},{v!r}\n" for e in history for i, k, v in _rows(e)]
        atomic_write_text(self.path, "".join(lines))
        self.file = open(self.path, "a")
        self.board = None
        if logger == "tensorboard":
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self.file.close()
                raise EgoequivError(INSTALL) from None
            self.board = SummaryWriter(str(Path(out_dir) / "tensorboard"))

    def log(self, entry: dict) -> None:
        """One history entry ({"iteration": N, name: value, ...})."""
        rows = _rows(entry)
        self.file.writelines(f"{i},{k},{v!r}\n" for i, k, v in rows)
        self.file.flush()
        if self.board is not None:
            for i, k, v in rows:
                if math.isfinite(v):
                    self.board.add_scalar(k, v, i)
            self.board.flush()

    def close(self) -> None:
        self.file.close()
        if self.board is not None:
            self.board.close()
