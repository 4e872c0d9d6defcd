"""``frames-csv``: the open format for anyone's video + motor log.

A CSV (``frames.csv``) with columns:

- ``image``: path relative to the CSV (or ``clip.mp4#123``: frame 123 of a video),
- ``sequence``: video or object id, ``time``: orders frames within a sequence (seconds
  for video),
- optional ``label`` (class name), ``split`` (train/test), ``meta_<name>`` (kept as metadata),
- one or more ``motor_<name>`` columns: positions (heading, odometer, viewpoint), so a
  motion is y_j - y_i. A name ending in ``_deg`` is an angle in degrees (differences wrap at
  360), ``_rad`` an angle in radians;
- or, instead, a pose (``data/pose.py``): ``pose_x``, ``pose_y``, ``pose_z`` (metres) and
  ``pose_qx``, ``pose_qy``, ``pose_qz``, ``pose_qw`` (a unit quaternion) or
  ``pose_roll_deg``, ``pose_pitch_deg``, ``pose_yaw_deg`` (or ``_rad``; R = Rz Ry Rx about the
  world axes). A motion is then the relative transform in the first frame's own frame; options
  ``axes`` and ``dofs`` say how the pose's axes point and which degrees of freedom form it.

An optional sidecar JSON with the CSV's stem (``frames.json``) may set ``layout`` ("video" or
"views"), ``window`` (neighbour window, time units), ``steps`` ({motor name: max step} for
views), ``classes`` (class order), ``axes`` and ``dofs``. Spec options ``layout=``,
``window=``, ``axes=``, ``dofs=`` override it; without either, the declared defaults
(``OPTIONS``) apply.

Checked, each with one line naming the file and line: the text must be UTF-8 (a BOM is
fine); every column must be one of the above (a misspelt ``Label`` is an error, not a column
silently dropped), none twice; no two rows may list the same image, and with layout video
time must increase within a sequence. Image paths must stay inside the CSV's folder unless
the spec says ``allow_outside=1``.
"""

from __future__ import annotations

import csv
import errno
import json
import os
from pathlib import Path

import numpy as np

from egoequiv.data.columns import motor_unit, parse_number
from egoequiv.data.motor import MotorSpec
from egoequiv.data.pose import (
    DOFS_OPTION,
    PoseMotion,
    axes_option,
    pose_columns,
    pose_motion,
    readings_from_columns,
)
from egoequiv.data.source import Source, chunk_refs
from egoequiv.data.table import FrameTable, NeighbourRule, check_window
from egoequiv.errors import DataError
from egoequiv.utils.atomic import atomic_write_json, atomic_write_text
from egoequiv.utils.options import Option

REQUIRED = ("image", "sequence", "time")
OPTIONAL = ("label", "split")
_SIDECAR_FIRST = "; the sidecar JSON's value, when it has one, comes before this default"
#: the spec options; for layout, window, axes and dofs a sidecar's value precedes the default
OPTIONS = {
    "layout": Option("video", "neighbours: video (close in time) or views (adjacent "
                              "viewpoints, with the sidecar's steps)" + _SIDECAR_FIRST,
                     choices=("video", "views")),
    "window": Option(1.0, "neighbours: frames of one sequence at most this far apart, in "
                          "the time column's unit (the paper's KITTI pairs are at most 1 s "
                          "apart)" + _SIDECAR_FIRST, positive=True),
    "allow_outside": Option(False, "read image paths that lie outside the CSV's folder"),
    "axes": axes_option("camera", "a pose written beside a camera's frames is most often "
                                  "the camera's (OpenCV, KITTI odometry, visual odometry)"
                        + _SIDECAR_FIRST),
    "dofs": Option("planar", DOFS_OPTION.doc + _SIDECAR_FIRST, check=DOFS_OPTION.check),
}


class FramesCsvSource(Source):
    name = "frames-csv"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        if self.path.is_dir():
            self.path = self.path / "frames.csv"
            if not self.path.exists():
                raise DataError(self.path, "no frames.csv in this folder")

    def _build_table(self) -> FrameTable:
        return read_frames_csv(self.path, **self.opts)

    def load_image(self, ref: str) -> np.ndarray:
        return self.load_chunk([ref])[0]

    def load_chunk(self, refs: list[str]) -> list[np.ndarray]:
        from egoequiv.data.video import load_video_refs

        frames = load_video_refs(refs)  # frames of one clip: decoded once
        return frames if frames is not None else [super(FramesCsvSource, self).load_image(r)
                                                  for r in refs]

    @property
    def default_channels(self) -> int:
        """3 if any of up to 16 frames spread over the set is in colour, else 1."""
        refs = self.table().refs
        probe = sorted({refs[k] for k in np.linspace(0, len(refs) - 1, 16).astype(int)})
        return 3 if any(img.shape[2] == 3 for chunk in chunk_refs(probe)
                        for img in self.load_chunk([probe[k] for k in chunk])) else 1


def _where_outside(csv: Path, file_part: str, full: Path) -> str:
    """Why a listed path counts as outside the CSV's folder: the path itself, or a symlink
    on it whose target (``full``) lies outside."""
    as_written = Path(os.path.normpath(os.path.abspath(csv.parent / file_part)))
    if as_written.is_relative_to(os.path.normpath(os.path.abspath(csv.parent))):
        return (f"is inside the CSV's folder, but it is a symlink (or lies below one) to "
                f"{full}, outside the CSV's folder")
    return "lies outside the CSV's folder"


def _sidecar(side: Path) -> dict:
    if not side.exists():
        return {}
    try:
        extra = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(side, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(extra, dict):
        raise DataError(side, f"expected a JSON object with layout/window/steps/classes, "
                              f"got a {type(extra).__name__}")
    kinds = {"layout": str, "window": (int, float), "steps": dict, "classes": list,
             "axes": str, "dofs": str}
    for key, kind in kinds.items():
        if key in extra and not isinstance(extra[key], kind):
            raise DataError(side, f"field {key!r} has the wrong type "
                                  f"({type(extra[key]).__name__})")
    return extra


def _check_header(path: Path, header: list[str]) -> None:
    known = (*REQUIRED, *OPTIONAL)
    prefixes = ("motor_", "meta_", "pose_")
    unknown = [c for c in header if c not in known and not c.startswith(prefixes)]
    if unknown:
        hints = [f"{c!r} (did you mean {c.lower()!r}?)" if c.lower() in known
                 or c.lower().startswith(prefixes) else repr(c) for c in unknown]
        raise DataError(path, f"unknown column(s) {', '.join(hints)}; expected image, "
                              "sequence, time, label, split, motor_<name> or pose_<x|y|z|"
                              "qx|...>, meta_<name>", 1)
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise DataError(path, f"column(s) {', '.join(twice)} appear more than once", 1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}", 1)
    has_motor = any(c.startswith("motor_") for c in header)
    has_pose = any(c.startswith("pose_") for c in header)
    if has_motor and has_pose:
        raise DataError(path, "both motor_ and pose_ columns: give a motor reading or a pose, "
                              "not both", 1)
    if not (has_motor or has_pose):
        raise DataError(path, "no motor column (expected motor_<name>, e.g. motor_yaw_deg, "
                              "or pose_x, pose_y, pose_z + pose_qx..pose_qw)", 1)
    if has_pose:
        try:
            pose_columns(header)
        except ValueError as e:
            raise DataError(path, str(e), 1) from None


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    line = 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise DataError(path, "empty file; expected a header with image,sequence,time",
                                1)
            header = [h.strip() for h in header]
            _check_header(path, header)
            rows = []
            for line, row in enumerate(reader, start=2):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise DataError(path, f"{len(row)} fields, header has {len(header)}", line)
                rows.append((line, row))
    except UnicodeDecodeError as e:
        raise DataError(path, f"not UTF-8 text (byte {e.object[e.start]:#04x} at offset "
                              f"{e.start}); save the CSV as UTF-8") from None
    except csv.Error as e:
        raise DataError(path, f"malformed CSV ({e})", line + 1) from None
    return header, rows


def read_frames_csv(path: Path, layout: str | None = None, window: float | None = None,
                    allow_outside: bool = False, axes: str | None = None,
                    dofs: str | None = None) -> FrameTable:
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "frames-csv: expected a CSV file")
    side = path.with_suffix(".json")
    extra = _sidecar(side)
    header, rows = _read_rows(path)
    is_pose = any(c.startswith("pose_") for c in header)
    motor_cols = pose_columns(header) if is_pose else [c for c in header
                                                       if c.startswith("motor_")]
    col = {c: header.index(c) for c in header}
    meta_cols = [c for c in header if c.startswith("meta_")]
    if not rows:
        raise DataError(path, "no frames listed")

    refs, seqs, times, motors, labels, splits = [], [], [], [], [], []
    metas = {c: [] for c in meta_cols}
    root = path.parent.resolve()
    seen: dict[str, int] = {}
    for line, row in rows:
        image = row[col["image"]].strip()
        file_part, hash_, frame = image.partition("#")
        if hash_ and not frame.isdigit():
            raise DataError(path, f"column image: {image!r}: the frame after '#' must be a "
                                  "non-negative integer", line)
        full = _resolve(path, path.parent / file_part, image, line)
        if not allow_outside and not full.is_relative_to(root):
            raise DataError(path, f"column image: {image!r} {_where_outside(path, file_part, full)}"
                                  " (pass allow_outside=1 in the spec to allow it)", line)
        ref = str(full) + (hash_ + frame)
        if ref in seen:
            raise DataError(path, f"image {image!r} is listed again (first on line "
                                  f"{seen[ref]})", line)
        seen[ref] = line
        refs.append(ref)
        seqs.append(row[col["sequence"]].strip())
        times.append(parse_number(row[col["time"]], path, line, "time"))
        motors.append([parse_number(row[col[c]], path, line, c) for c in motor_cols])
        labels.append(row[col["label"]].strip() if "label" in col else "")
        splits.append(row[col["split"]].strip().lower() if "split" in col else "")
        for c in meta_cols:
            metas[c].append(row[col[c]].strip())
    bad_split = sorted({s for s in splits if s not in ("", "train", "test")})
    if bad_split:
        raise DataError(path, f"column split: expected train or test, got {bad_split[:3]}")

    seq_names = list(dict.fromkeys(seqs))
    seq_index = {s: i for i, s in enumerate(seq_names)}
    classes = extra.get("classes") or sorted({lb for lb in labels if lb})
    class_index = {c: i for i, c in enumerate(classes)}
    unknown = sorted({lb for lb in labels if lb and lb not in class_index})
    if unknown:
        raise DataError(side, f"labels {unknown[:3]} are not in 'classes'")
    motor = np.array(motors, dtype=np.float64)
    if is_pose:
        spec = _pose_spec(side, axes or extra.get("axes", OPTIONS["axes"].default),
                          dofs or extra.get("dofs", OPTIONS["dofs"].default))
        try:
            motor = readings_from_columns(motor_cols, motor)
        except ValueError as e:  # "row K: ..." -> the file's line
            row, _, why = str(e).partition(": ")
            raise DataError(path, why, rows[int(row.split()[1])][0]) from None
        names = spec.names
    else:
        names, units, periods = zip(*(motor_unit(c) for c in motor_cols), strict=True)
        spec = MotorSpec(tuple(names), tuple(units), tuple(periods))
    layout = layout or extra.get("layout", OPTIONS["layout"].default)
    if layout == "views":
        steps = extra.get("steps") or {}
        if is_pose:
            raise DataError(path, "layout 'views' needs motor_ columns (a pose's motion is "
                                  "relative, not a grid position)")
        try:
            rule = NeighbourRule("views", steps=tuple(float(steps[n]) for n in names))
        except KeyError as e:
            raise DataError(side, f"layout 'views' needs steps for motor {e.args[0]!r}") from None
    elif layout == "video":
        w = check_window(side if window is None else path,
                         window if window is not None else extra.get("window"),
                         OPTIONS["window"].default)
        rule = NeighbourRule("video", window=w)
        _check_time_order(path, rows, seqs, times)
    else:
        raise DataError(path, f"layout must be 'video' or 'views', got {layout!r}")
    has_labels = any(labels)
    return FrameTable(
        refs=refs,
        motor=motor,
        motor_spec=spec,
        sequence=np.array([seq_index[s] for s in seqs]),
        sequence_names=seq_names,
        time=np.array(times),
        neighbours=rule,
        labels=np.array([class_index.get(lb, -1) for lb in labels]) if has_labels else None,
        class_names=list(classes) if has_labels else None,
        split=np.array(splits) if any(splits) else None,
        meta={c[len("meta_"):]: _maybe_numeric(v) for c, v in metas.items()},
    )


def _resolve(path: Path, image: Path, text: str, line: int) -> Path:
    """The image's absolute path; a symlink loop (or a path the system cannot follow) is
    one line naming the CSV's line, not pathlib's error."""
    try:
        return image.resolve()
    except RuntimeError:  # Python < 3.13 raises this for a loop
        why = "a symlink loop"
    except OSError as e:  # 3.13: ELOOP; or a name too long, a broken mount
        why = "a symlink loop" if e.errno == errno.ELOOP else e.strerror or str(e)
    raise DataError(path, f"column image: {text!r} cannot be followed ({why})", line)


def _pose_spec(side: Path, axes: str, dofs: str) -> PoseMotion:
    try:
        return pose_motion(dofs, axes=axes)
    except ValueError as e:
        raise DataError(side, str(e)) from None


def _check_time_order(path: Path, rows, seqs: list[str], times: list[float]) -> None:
    """Video layout: within each sequence, time must increase down the file."""
    last: dict[str, tuple[float, int]] = {}
    for (line, _), seq, t in zip(rows, seqs, times, strict=True):
        if seq in last and t <= last[seq][0]:
            raise DataError(path, f"sequence {seq!r}: time {t:g} does not increase (line "
                                  f"{last[seq][1]} has {last[seq][0]:g}); sort the rows by "
                                  "time", line)
        last[seq] = (t, line)


def _maybe_numeric(values: list[str]) -> np.ndarray:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return np.array(values)


def write_frames_csv(out_dir: str | Path, table: FrameTable, images: list[str],
                     name: str = "frames.csv") -> Path:
    """Write ``table`` as a frames-csv folder; ``images[i]`` is frame i's path relative to
    ``out_dir`` (already written by the caller). Returns the CSV's path."""
    out_dir = Path(out_dir)
    spec = table.motor_spec
    pose = isinstance(spec, PoseMotion)
    motor_cols = [f"pose_{c}" for c in spec.reading_names] if pose else []
    for n, u, p in [] if pose else zip(spec.names, spec.units, spec.periods, strict=True):
        suffix = "" if (n.endswith("_deg") or n.endswith("_rad")) else \
            ("_deg" if u == "deg" and p else "_rad" if u == "rad" and p else "")
        motor_cols.append(f"motor_{n}{suffix}")
    header = ["image", "sequence", "time", *motor_cols]
    if table.labels is not None:
        header.append("label")
    if table.split is not None:
        header.append("split")
    header += [f"meta_{k}" for k in table.meta]
    lines = [",".join(header)]
    for i in range(len(table)):
        row = [images[i], table.sequence_names[table.sequence[i]], repr(float(table.time[i]))]
        row += [repr(float(v)) for v in table.motor[i]]
        if table.labels is not None:
            row.append(table.class_names[table.labels[i]] if table.labels[i] >= 0 else "")
        if table.split is not None:
            row.append(str(table.split[i]))
        row += [str(v[i]) for v in table.meta.values()]
        lines.append(",".join(_csv_field(x) for x in row))
    csv_path = out_dir / name
    atomic_write_text(csv_path, "\n".join(lines) + "\n")
    rule = table.neighbours
    side = {"layout": rule.layout}
    if pose:
        side.update(axes=spec.axes, dofs="+".join(spec.names))
    if rule.layout == "video":
        side["window"] = rule.window
    else:
        # keyed by the names the reader will see (the column minus "motor_")
        side["steps"] = {c[len("motor_"):]: s for c, s in zip(motor_cols, rule.steps, strict=True)}
    if table.class_names is not None:
        side["classes"] = list(table.class_names)
    atomic_write_json(csv_path.with_suffix(".json"), side)
    return csv_path


def _csv_field(x: str) -> str:
    return f'"{x}"' if ("," in x or '"' in x) else x
