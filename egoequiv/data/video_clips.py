"""``video:DIR``: video clips, each with a timestamped motor or pose log.

``DIR`` holds one or more clips (``.mp4``, ``.mkv``, ``.avi``, ``.mov``, ``.webm``, ``.m4v``);
clip ``NAME.mp4`` reads its log from ``NAME.csv`` beside it (a folder with one clip may name
its log ``log.csv``, or any file with ``log=FILE``). A log has a ``time`` column (seconds on
the clip's own timeline: 0 = its first frame) and either ``motor_<name>`` columns (absolute
readings, as in frames-csv; ``_deg``/``_rad`` names are angles) or ``pose_*`` columns (see
``data/pose.py``). Its times must increase.

Each clip is one sequence. A frame's time comes from the container (packet timestamps, no
decoding); its reading is the log's, interpolated at that time: linear for positions and
motor readings (angles along the shorter way), slerp for rotations. A frame is kept when it
lies within the log's span with a log sample at most ``tolerance`` seconds away; the others
are dropped and counted in one warning per clip.

Options (``OPTIONS``): ``window``, ``tolerance``, ``every``, ``log``, and for poses ``axes``
and ``dofs`` (``6dof`` for a handheld camera or a drone). Frames are decoded once, a whole
clip per decode job.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.columns import motor_unit, parse_number
from egoequiv.data.log_sync import EVERY, TOLERANCE, within_log
from egoequiv.data.motor import MotorSpec
from egoequiv.data.pose import (
    DOFS_OPTION,
    axes_option,
    interpolate_poses,
    pose_columns,
    pose_motion,
    readings_from_columns,
)
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.data.video import VIDEO_SUFFIXES, frame_times, load_video_refs
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

OPTIONS = {
    "window": WINDOW,
    "tolerance": TOLERANCE,
    "every": EVERY,
    "log": Option(None, "the log of a folder's one clip, a file in the folder (without it: "
                        "NAME.csv beside NAME.mp4, or log.csv)", kind=str),
    "axes": axes_option("camera", "a clip's pose log is most often the camera's own"),
    "dofs": DOFS_OPTION,
}


class VideoSource(Source):
    name = "video"
    options = OPTIONS

    def _build_table(self) -> FrameTable:
        clips = find_clips(self.path, self.option("log"))
        tolerance, every = self.option("tolerance"), self.option("every")
        refs, readings, seqs, times, notes, spec = [], [], [], [], [], None
        for clip, log in clips:
            log_spec, log_t, log_y = read_log(log, self.option("dofs"), self.option("axes"))
            if spec is not None and log_spec != spec:
                raise DataError(log, f"columns differ from the first log's ({spec.names})")
            spec = log_spec
            t = frame_times(clip)
            index = np.arange(0, len(t), every)
            keep, y = interpolate_log(spec, log_t, log_y, t[index], tolerance)
            if not keep.all():
                notes.append(f"video: dropped {int((~keep).sum())} of {len(index)} frames of "
                             f"{clip.name} outside its log (log {log_t[0]:.2f}-{log_t[-1]:.2f} "
                             f"s, frames {t[0]:.2f}-{t[-1]:.2f} s, tolerance {tolerance:g} s)")
            refs += [f"{clip}#{k}" for k in index[keep]]
            readings.append(y)
            seqs += [len(times)] * int(keep.sum())
            times.append(t[index[keep]])
        for note in notes:
            warnings.warn(note, stacklevel=2)
        if not refs:
            raise DataError(self.path, "no frame lies within its clip's log"
                            + _units_hint(clips, self.option("dofs"), self.option("axes")))
        window = self.option("window")
        return FrameTable(
            refs=refs, motor=np.concatenate(readings), motor_spec=spec,
            sequence=np.array(seqs, dtype=np.int64),
            sequence_names=[clip.stem for clip, _ in clips],
            time=np.concatenate(times), neighbours=NeighbourRule("video", window=window),
            warnings=notes)

    def load_image(self, ref: str) -> np.ndarray:
        return self.load_chunk([ref])[0]

    def load_chunk(self, refs: list[str]) -> list[np.ndarray]:
        return load_video_refs(refs)


def _units_hint(clips, dofs: str, axes: str) -> str:
    """A hint when the logs' times look like nanoseconds or a clock's epoch (a log written
    from a robot's clock), where a clip's own timeline is seconds from its first frame."""
    start = min(read_log(log, dofs, axes)[1][0] for _, log in clips)
    if start < 1e6:
        return ""
    return (f" (the logs' times start at {start:.6g}: they must be seconds on the clip's own "
            "timeline, 0 = its first frame; are these nanoseconds or a clock's epoch?)")


def find_clips(folder: Path, log: str | None) -> list[tuple[Path, Path]]:
    """[(clip, its log)] in ``folder``, in name order."""
    if not folder.is_dir():
        raise DataError(folder, "video: expected a folder of clips with their logs")
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not clips:
        raise DataError(folder, f"no video clip ({', '.join(VIDEO_SUFFIXES)})")
    if log and len(clips) > 1:
        raise DataError(folder, f"log={log} names one log, but the folder has {len(clips)} "
                                "clips: give each clip NAME.csv beside it")
    out = []
    for clip in clips:
        own = clip.with_suffix(".csv")
        shared = folder / (log or "log.csv")
        path = (folder / log) if log else own if own.exists() else \
            shared if len(clips) == 1 and shared.exists() else None
        if path is None or not path.exists():
            raise DataError(clip, f"no motor log: expected {own.name} beside it")
        out.append((clip, path))
    return out


def read_log(path: Path, dofs: str, axes: str) -> tuple[MotorSpec, np.ndarray, np.ndarray]:
    """(spec, times (K,), readings (K, R)) of a log CSV, a pose log's motion by ``dofs`` and
    ``axes``; one line per error."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise DataError(path, "not UTF-8 text; save the log as UTF-8") from None
    if not rows:
        raise DataError(path, "empty log; expected a header with time and motor_ or pose_ "
                              "columns", 1)
    header = [h.strip() for h in rows[0]]
    pose = any(c.startswith("pose_") for c in header)
    try:
        columns = pose_columns(header) if pose else [c for c in header
                                                     if c.startswith("motor_")]
    except ValueError as e:
        raise DataError(path, str(e), 1) from None
    extra = sorted(set(header) - {"time", *columns})
    if "time" not in header or not columns or extra:
        raise DataError(path, "expected columns time and motor_<name> or pose_x, pose_y, "
                              f"pose_z + an orientation; got {', '.join(header)}", 1)
    times, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(path, f"{len(row)} fields, header has {len(header)}", line)
        cell = dict(zip(header, row))
        t = parse_number(cell["time"], path, line, "time")
        if times and t <= times[-1]:
            raise DataError(path, f"time {t:g} does not increase (the line before has "
                                  f"{times[-1]:g})", line)
        times.append(t)
        values.append([parse_number(cell[c], path, line, c) for c in columns])
    if len(times) < 2:
        raise DataError(path, f"{len(times)} log row(s); interpolation needs at least 2")
    values = np.array(values)
    if not pose:
        names, units, periods = zip(*(motor_unit(c) for c in columns), strict=True)
        return MotorSpec(names, units, periods), np.array(times), values
    try:
        spec = pose_motion(dofs, axes=axes)
        return spec, np.array(times), readings_from_columns(columns, values)
    except ValueError as e:
        row, _, why = str(e).partition(": ")
        line = int(row.split()[1]) + 2 if row.startswith("row ") else None
        raise DataError(path, why or str(e), line) from None


def interpolate_log(spec: MotorSpec, times: np.ndarray, readings: np.ndarray, at: np.ndarray,
                    tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """The log's readings at times ``at`` (see the module doc): (kept mask, readings)."""
    if spec.reading_names != spec.names:  # a pose: linear + slerp
        return interpolate_poses(times, readings, at, tolerance)
    keep, _ = within_log(times, at, tolerance)
    out = np.empty((int(keep.sum()), spec.dim))
    for d, period in enumerate(spec.periods):
        col = readings[:, d]
        if period:  # interpolate the unwrapped angle, then wrap back
            col = np.unwrap(col, period=period)
            out[:, d] = (np.interp(at[keep], times, col) + period / 2) % period - period / 2
        else:
            out[:, d] = np.interp(at[keep], times, col)
    return keep, out
