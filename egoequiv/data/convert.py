"""Any source written as a frames-csv folder: PNG frames + frames.csv (``egoequiv data
convert``), so data from a bag, clips or a reader can be edited, shared or read without
its original format's library."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from egoequiv.data.frames_csv import write_frames_csv
from egoequiv.data.source import Source
from egoequiv.utils.progress import progress


def convert_to_frames_csv(source: Source, out_dir: str | Path, quiet: bool = False,
                          warn=print) -> tuple[Path, int]:
    """Write every frame of ``source`` as OUT/images/NNNNNNN.png and its table as
    OUT/frames.csv, written last (a folder without it was interrupted); returns its path and
    the number of frames.
    The table's warnings go to ``warn``."""
    with warnings.catch_warnings():  # reported from table.warnings instead
        warnings.simplefilter("ignore")
        table = source.table()
    for w in table.warnings:
        warn(f"warning: {w}")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    names = []
    bar = progress(total=len(table), desc=f"convert {source.name}", unit="img",
                   disable=quiet)
    for rows in source.chunks(table.refs):  # a clip or a bag range is decoded once
        for i, arr in zip(rows, source.load_chunk([table.refs[i] for i in rows])):
            name = f"images/{i:07d}.png"
            Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr).save(out / name)
            names.append(name)
        bar.update(len(rows))
    bar.close()
    return write_frames_csv(out, table, names), len(table)
