"""Live logs of a run: ``metrics.csv`` always, TensorBoard (``logger=tensorboard``) or
Weights & Biases (``logger=wandb``) when asked.

``metrics.csv`` is in long form, one row per logged value: ``iteration,name,value`` (the
loss and its parts and the lr every ``log_every`` steps, the monitors every
``monitor_every``), appended and flushed as training goes, so it can be read (or plotted)
while the run is alive. A resumed run first rewrites it from the checkpoint's history, so
the file never holds rows of iterations the run is about to redo. TensorBoard needs the
optional extra: ``pip install 'egoequiv[tensorboard]'``.

wandb (``pip install 'egoequiv[wandb]'``) logs the same scalars at the same iterations
(``step``), one wandb run per training process: offline, under ``OUT/wandb``, unless the
user's environment says otherwise (``WANDB_MODE``, ``WANDB_DIR``, ``WANDB_PROJECT``; an
offline run goes online with ``wandb sync``). A resumed run's wandb run first logs the
checkpoint's history, so it holds the whole curve as metrics.csv does. Each run is its own
wandb run (``reinit="create_new"``), so the members of a batched grid do not end each other.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from egoequiv.errors import EgoequivError
from egoequiv.utils.atomic import atomic_write_text
from egoequiv.utils.metrics_csv import HEADER

INSTALL = "logger=tensorboard needs the tensorboard package: pip install 'egoequiv[tensorboard]'"
WANDB_INSTALL = "logger=wandb needs the wandb package: pip install 'egoequiv[wandb]'"


def _rows(entry: dict) -> list[tuple[int, str, float]]:
    it = int(entry["iteration"])
    return [(it, k, float(v)) for k, v in entry.items()
            if k != "iteration" and isinstance(v, (int, float)) and not isinstance(v, bool)]


def _tensorboard(out_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise EgoequivError(INSTALL) from None
    return SummaryWriter(str(Path(out_dir) / "tensorboard"))


def _wandb(out_dir: Path, config: dict | None):
    """A wandb run for ``out_dir``: offline in OUT/wandb unless the environment says."""
    try:
        import wandb
    except ImportError:
        raise EgoequivError(WANDB_INSTALL) from None
    env = os.environ
    out_dir = Path(out_dir).resolve()
    # the environment's values are passed explicitly: wandb reads its variables once per
    # process, so a later run would not see a change
    try:
        return wandb.init(
            project=env.get("WANDB_PROJECT") or "egoequiv", name=out_dir.name,
            dir=env.get("WANDB_DIR") or str(out_dir), mode=env.get("WANDB_MODE") or "offline",
            config=config, reinit="create_new")
    except Exception as e:  # a login, network or settings problem, told by wandb
        first = (str(e).strip().splitlines() or [""])[0]
        raise EgoequivError(f"logger=wandb: wandb.init failed ({e.__class__.__name__}: "
                            f"{first})") from None


class RunLogger:
    def __init__(self, out_dir: Path, history: list[dict], logger: str = "csv",
                 config: dict | None = None):
        """``config``: the run's keys, shown by wandb beside the curves."""
        self.path = Path(out_dir) / "metrics.csv"
        lines = [HEADER] + [f"{i},{k},{v!r}\n" for e in history for i, k, v in _rows(e)]
        atomic_write_text(self.path, "".join(lines))
        self.file = open(self.path, "a")
        self.board = self.wandb = None
        try:
            if logger == "tensorboard":
                self.board = _tensorboard(out_dir)
            elif logger == "wandb":
                self.wandb = _wandb(out_dir, config)
                for entry in history:  # a resumed run's wandb run holds the whole curve
                    self._log_wandb(_rows(entry))
        except BaseException:
            self.file.close()
            raise

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
        if self.wandb is not None:
            self._log_wandb(rows)

    def _log_wandb(self, rows: list[tuple[int, str, float]]) -> None:
        values = {k: v for _, k, v in rows if math.isfinite(v)}
        if values:
            self.wandb.log(values, step=rows[0][0])

    def close(self) -> None:
        self.file.close()
        if self.board is not None:
            self.board.close()
        if self.wandb is not None:
            self.wandb.finish()
