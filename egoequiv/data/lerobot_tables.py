"""The tables of a LeRobot dataset (see ``lerobot``): ``meta/info.json``, the episode
listings (v2.x ``meta/episodes.jsonl``, v3.0 ``meta/episodes/*.parquet``) with the files each
episode is in, and the frames' parquet rows, read with pyarrow. Every check raises one
``DataError`` naming the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from egoequiv.errors import DataError, EgoequivError

#: one hint for both halves of the extra (the tables and the videos)
INSTALL = "reading LeRobot datasets needs pyarrow and PyAV: pip install 'egoequiv[lerobot]'"
#: the columns every LeRobot frame has, which are not features one reads as a motion
FRAME_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")
#: the names a pose feature's entries may have, per reading column (lower case)
POSE_NAMES = {
    "x": ("x", "tx", "pos_x", "position_x", "position.x", "translation_x"),
    "y": ("y", "ty", "pos_y", "position_y", "position.y", "translation_y"),
    "z": ("z", "tz", "pos_z", "position_z", "position.z", "translation_z"),
    "qx": ("qx", "quat_x", "rot_x", "orientation_x", "orientation.x", "rotation_x"),
    "qy": ("qy", "quat_y", "rot_y", "orientation_y", "orientation.y", "rotation_y"),
    "qz": ("qz", "quat_z", "rot_z", "orientation_z", "orientation.z", "rotation_z"),
    "qw": ("qw", "quat_w", "rot_w", "orientation_w", "orientation.w", "rotation_w"),
}


def _need_pyarrow():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EgoequivError(INSTALL) from None
    return pq


def read_info(path: Path) -> dict:
    """``meta/info.json``, checked: its version's layout (2 or 3), fps, features, the path
    templates; ``codec``: {camera: the codec info.json names}."""
    if not path.is_file():
        raise DataError(path, "missing: a LeRobot dataset holds meta/info.json")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(path, f"not valid JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(info, dict):
        raise DataError(path, "expected a JSON object")
    version = str(info.get("codebase_version"))
    layouts = {"v2.0": 2, "v2.1": 2, "v3.0": 3}
    if version not in layouts:
        raise DataError(path, f"field codebase_version: {version!r}; expected one of "
                              f"{', '.join(layouts)}")
    fps = info.get("fps")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise DataError(path, f"field fps: expected a positive number, got {fps!r}")
    features = info.get("features")
    if not isinstance(features, dict) or not all(isinstance(f, dict)
                                                 for f in features.values()):
        raise DataError(path, "field features: expected an object of {key: {dtype, shape, "
                              "names}}")
    for key in ("data_path", "video_path"):
        if not isinstance(info.get(key), str):
            raise DataError(path, f"field {key}: expected a path template, got "
                                  f"{info.get(key)!r}" + (" (a dataset without videos: this "
                                                          "reader reads video cameras)"
                                                          if key == "video_path" else ""))
    codec = {k: (f.get("info") or {}).get("video.codec") for k, f in features.items()
             if f.get("dtype") == "video"}
    return {**info, "layout": layouts[version], "fps": float(fps), "codec": codec}


def feature_names(feature: dict) -> list[str]:
    """A feature's entry names: a list, or (older datasets) an object holding one list."""
    names = feature.get("names")
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return []


def pose_indices(info: Path, key: str, names: list[str]) -> list[int]:
    """The entries of feature ``key`` that hold x, y, z, qx, qy, qz, qw, in that order."""
    lower = [n.strip().lower() for n in names]
    picked, missing = [], []
    for column, aliases in POSE_NAMES.items():
        found = [k for k, n in enumerate(lower) if n in aliases]
        if len(found) != 1:
            missing.append(column if not found else f"{column} (named {len(found)} times)")
        picked += found[:1]
    if missing:
        raise DataError(info, f"feature {key}: names [{', '.join(names) or 'none'}] do not "
                              f"name a pose: missing {', '.join(missing)} (expected x, y, z "
                              "and qx, qy, qz, qw in any order)")
    return picked


def spec_fields(feature: dict, columns: list[int]) -> list[str]:
    names = feature_names(feature)
    return [names[k] if k < len(names) else str(k) for k in columns]


def _format(path: Path, template: str, **keys) -> str:
    try:
        return template.format(**keys)
    except (KeyError, IndexError, ValueError) as e:
        raise DataError(path, f"path template {template!r}: {e.__class__.__name__}: {e} "
                              f"(it may use {', '.join(keys)})") from None


def read_episodes_v2(root: Path, info: dict, camera: str) -> list[dict]:
    """The episodes of ``meta/episodes.jsonl`` with their files (v2.0/v2.1)."""
    path = root / "meta" / "episodes.jsonl"
    if not path.is_file():
        raise DataError(path, "missing: a v2.x LeRobot dataset lists its episodes there")
    size = info.get("chunks_size", 1000)
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise DataError(root / "meta" / "info.json", f"field chunks_size: expected a positive "
                                                     f"integer, got {size!r}")
    out = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            index = json.loads(text)["episode_index"]
        except (ValueError, KeyError, TypeError) as e:
            raise DataError(path, f"expected a JSON object with episode_index ({e})",
                            line) from None
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise DataError(path, f"field episode_index: expected an integer >= 0, got "
                                  f"{index!r}", line)
        keys = {"episode_chunk": index // size, "episode_index": index}
        out.append({"index": index, "camera": camera, "from": 0.0,
                    "data": root / _format(path, info["data_path"], **keys),
                    "video": root / _format(path, info["video_path"], video_key=camera,
                                            **keys)})
    return _existing(path, sorted(out, key=lambda e: e["index"]))


def read_episodes_v3(root: Path, info: dict, camera: str) -> list[dict]:
    """The episodes of ``meta/episodes/chunk-*/file-*.parquet`` with their files and
    their start in their video (v3.0)."""
    pq = _need_pyarrow()
    files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    if not files:
        raise DataError(root / "meta" / "episodes", "no chunk-*/file-*.parquet: a v3.0 LeRobot "
                                                    "dataset lists its episodes there")
    video = f"videos/{camera}/"
    columns = ["episode_index", "data/chunk_index", "data/file_index", video + "chunk_index",
               video + "file_index", video + "from_timestamp"]
    out = []
    for path in files:
        table = _read_parquet(pq, path, columns)
        rows = {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}
        for k in range(table.num_rows):
            index = int(rows["episode_index"][k])
            data = _format(path, info["data_path"], chunk_index=int(rows["data/chunk_index"][k]),
                           file_index=int(rows["data/file_index"][k]))
            mp4 = _format(path, info["video_path"], video_key=camera,
                          chunk_index=int(rows[video + "chunk_index"][k]),
                          file_index=int(rows[video + "file_index"][k]))
            start = float(rows[video + "from_timestamp"][k])
            if not np.isfinite(start) or start < 0:
                raise DataError(path, f"episode {index}: {video}from_timestamp is {start}, "
                                      "expected a time >= 0 in seconds")
            out.append({"index": index, "camera": camera, "from": start,
                        "data": root / data, "video": root / mp4})
    return _existing(files[0].parent.parent, sorted(out, key=lambda e: e["index"]))


def _existing(listing: Path, episodes: list[dict]) -> list[dict]:
    """The episodes, each of whose files exists, else one line naming the file."""
    for ep in episodes:
        for what in ("data", "video"):
            if not ep[what].is_file():
                raise DataError(ep[what], f"missing: the {what} file of episode {ep['index']} "
                                          f"(listed in {listing})")
    return episodes


def _read_parquet(pq, path: Path, columns: list[str]):
    try:
        schema = pq.read_schema(path)
    except Exception as e:  # pyarrow raises its own kinds for a damaged file
        raise DataError(path, f"cannot read parquet ({e.__class__.__name__}: {e})") from None
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise DataError(path, f"no column {missing[0]!r} (its columns: "
                              f"{', '.join(schema.names)})")
    return pq.read_table(path, columns=columns)


def read_frames(path: Path, key: str, feature: dict) -> dict[str, np.ndarray]:
    """episode, frame, time (s) and values (N, width) of every row of a data file."""
    pq = _need_pyarrow()
    table = _read_parquet(pq, path, ["episode_index", "frame_index", "timestamp", key])
    out = {name: table.column(col).to_numpy(zero_copy_only=False).astype(kind)
           for name, col, kind in (("episode", "episode_index", np.int64),
                                   ("frame", "frame_index", np.int64),
                                   ("time", "timestamp", np.float64))}
    out["values"] = vector_column(path, table.column(key), key,
                                  int(np.prod(feature.get("shape") or [1])))
    return out


def vector_column(path: Path, column, key: str, width: int) -> np.ndarray:
    """(N, width) float64 of a list column (or a scalar one, width 1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks()
    if array.null_count:
        raise DataError(path, f"column {key}: {array.null_count} rows are null, expected "
                              f"{width} numbers each")
    if not (pa.types.is_list(array.type) or pa.types.is_large_list(array.type)
            or pa.types.is_fixed_size_list(array.type)):
        return array.to_numpy(zero_copy_only=False).astype(np.float64).reshape(-1, 1)
    lengths = pc.list_value_length(array).to_numpy(zero_copy_only=False)
    if len(lengths) and (lengths != width).any():
        row = int(np.flatnonzero(lengths != width)[0])
        raise DataError(path, f"column {key}: row {row} has {lengths[row]} numbers, "
                              f"meta/info.json's shape says {width}")
    values = array.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    return values.reshape(len(array), width)

