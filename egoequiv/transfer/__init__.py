"""Transfer a pretrained backbone to a labelled task: ``finetune`` (``egoequiv finetune``,
documented in docs/finetune.md).

- ``start``: what finetuning starts from (a checkpoint or an export, the same description);
- ``splits``: test, validation (labelled training images) and the nested labelled subsets;
- ``fit``: one run (new softmax head, early stopping on validation) and the lr choice;
- ``run``: every initialisation x split x layer x label count of one call;
- ``save``: the finetuned model as a clsnet checkpoint; ``report``: table, plot, report.md.

(Not named ``finetune``: a subpackage of that name would shadow ``egoequiv.finetune``, the
function, once imported.)
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from egoequiv.config import LR_GRID
from egoequiv.data.spec import short_spec
from egoequiv.errors import EgoequivError
from egoequiv.evaluation import record
from egoequiv.transfer.fit import Schedule
from egoequiv.transfer.run import Runner, Settings, check_settings, load_data
from egoequiv.transfer.start import INITS, open_start

__all__ = ["finetune", "Settings", "Schedule", "INITS"]


def finetune(checkpoint: str | Path | None = None, *, backbone: str | Path | None = None,
             dataset: str, out: str | Path, init=INITS, labels_per_class=(5, 10, 20),
             splits: int = 3, freeze: str = "none", layers=None,
             lr_grid=LR_GRID, iters: int = 300, batch_size: int = 32,
             weight_decay: float = 5e-4, eval_every: int = 25, patience: int = 4,
             val_fraction: float = 0.2, test_fraction: float = 0.5, seed: int = 0,
             device: str = "auto", quiet: bool = True) -> dict:
    """Finetune the backbone of ``checkpoint`` (or of the export ``backbone``) with a new
    softmax head on the labelled source ``dataset``: for each initialisation in ``init``
    (``"pretrained"``, ``"random"``), each of ``splits`` label splits, each layer of
    ``layers`` (default: the top one) and each count of ``labels_per_class``, the lr of
    ``lr_grid`` best on validation, scored once on the test split. ``freeze``: ``"none"``,
    ``"all"`` (a linear classifier on frozen features) or a layer (it and everything below
    stay fixed). Writes OUT/metrics.json (the run record), OUT/report.md with its plot, and
    OUT/checkpoint.pt (the first initialisation's model at the largest label count, split
    0, last layer); returns the record."""
    from egoequiv.utils.device import resolve_device

    t0 = time.perf_counter()
    _check_out(Path(out))
    start = open_start(checkpoint, backbone)
    settings = check_settings(Settings(
        inits=_as_list(init, str), labels_per_class=_as_list(labels_per_class, int),
        splits=int(splits), freeze=freeze, layers=_as_list(layers, str) if layers else None,
        lr_grid=_as_list(lr_grid, float),
        schedule=Schedule(int(iters), int(batch_size), float(weight_decay),
                          eval_every=int(eval_every), patience=int(patience)),
        val_fraction=float(val_fraction), test_fraction=float(test_fraction),
        seed=int(seed)), start)
    dev = resolve_device(device)
    data = load_data(start, dataset, settings, quiet)
    runner = Runner(start, data, settings, dev, quiet)
    cells = runner.run()
    return _write(Path(out), start, settings, data, runner, cells, dataset, t0)


def _as_list(value, kind) -> list:
    """One value or several, as a list of ``kind`` (the API takes either)."""
    many = isinstance(value, (list, tuple)) or hasattr(value, "__array__")
    try:
        return [kind(v) for v in value] if many else [kind(value)]
    except (TypeError, ValueError):
        raise EgoequivError(f"finetune: expected {kind.__name__} values, got "
                            f"{value!r}") from None


def _check_out(out: Path) -> None:
    """OUT must not hold another kind of run: finetune's checkpoint.pt and metrics.json
    would replace it (a pretraining's folder given as --out would lose its model)."""
    path = out / record.FILE
    if not path.exists():
        return
    try:
        kind = record.read(path).get("provenance")
    except record.RecordError:
        kind = None
    if kind != "finetune":
        raise EgoequivError(f"finetune: {out} holds another run ({path}, provenance "
                            f"{kind}); finetune writes its own checkpoint.pt and "
                            "metrics.json there: choose another --out")


def _write(out: Path, start, settings, data, runner, cells, dataset, t0) -> dict:
    """checkpoint.pt, the plot, metrics.json (through the run record) and report.md."""
    from egoequiv.transfer import report
    from egoequiv.transfer.save import save_finetuned

    run_id = uuid.uuid4().hex[:12]
    out.mkdir(parents=True, exist_ok=True)
    # the record first: a checkpoint must never sit beside another run's metrics.json
    rows = report.table(cells, settings)
    png = report.plot(rows, out / report.PLOT, report.chance(data.num_classes),
                      f"finetune on {short_spec(dataset)}, freeze {settings.freeze}")
    config = {**settings.as_dict(), "dataset": dataset, "test_split": data.splits.how,
              "images": data.splits.sizes()}
    result = record.make(
        "finetune", method=start.origin.get("method") or start.model, dataset=dataset,
        config=config, pretrained={**start.origin, "model": start.model,
                                   "image_size": start.image_size,
                                   "channels": start.channels},
        finetune=rows, finetune_gaps=report.gaps(rows), num_classes=data.num_classes,
        warnings=data.warnings, plots=[png.name], run_id=run_id,
        total_seconds=time.perf_counter() - t0)
    record.write(out, result)
    save_finetuned(out / "checkpoint.pt", start, runner.kept, settings, dataset,
                   data.num_classes, run_id)
    report.write_report(out, result)
    return result
