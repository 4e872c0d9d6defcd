"""KITTI odometry (Geiger et al., CVPR 2012): image sequences with ground-truth camera poses.

``DIR`` is one sequence folder (an image folder of ``%06d.png``: ``image_0``/``image_1``
grey, ``image_2``/``image_3`` colour, or ``image_l`` grey as in the excerpts; and a
``poses.txt``), a folder of such sequence folders, the odometry layout (``sequences/NN/`` +
``poses/NN.txt``; sequences without poses are skipped with a warning) or ``sequences/NN`` itself.
Poses: one 3x4 row-major camera-to-world matrix per line (12 numbers), frame k on line k+1;
camera frame x right, y down, z forward; world = the first camera.

Options (``OPTIONS``): ``camera`` (grey, colour or one folder; the run's default channels
follow it, and a sequence without the chosen kind of images is an error naming the kind it
has), ``window``, ``motor`` and ``dofs`` (with ``motor=pose``).

``motor=pose``: the reading is the camera pose (``data/pose.py``) and a pair's motion is the
relative transform in the first camera's frame; ``dofs`` picks its degrees of freedom, by
default forward, lateral, yaw (the 3 values Agrawal et al. bin; ``6dof`` for all six).
``motor=heading``: heading = rotation about the camera's y axis, in degrees, counter-
clockwise (left turn) positive seen from above, like the KITTI raw OXTS yaw; cyclic; and
odometer = cumulative path length of the camera centre (metres); a pair's motion is
(yaw change, distance travelled), a difference of absolute readings.
``relative_motion(pose_i, pose_j)`` gives (yaw change, forward, rightward) from two 3x4
poses. Time: ``times.txt`` (seconds) when present,
else frame index / 10 Hz. Unlabelled. Frames without an image or a pose are skipped with one
warning. Errors (file:line): a pose line without 12 numbers, NaN, times going backwards.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from egoequiv.data.motor import HEADING_ODOMETER
from egoequiv.data.pose import DOFS_OPTION, pose_motion, poses_from_matrices
from egoequiv.data.source import Source
from egoequiv.data.table import WINDOW, FrameTable, NeighbourRule
from egoequiv.errors import DataError
from egoequiv.utils.options import Option

#: the kind of images in each image folder (image_l: the excerpts' name for image_0)
KINDS = {"image_0": "grey", "image_l": "grey", "image_1": "grey", "image_2": "colour",
         "image_3": "colour"}
#: the left camera's folders of each kind, which ``camera=grey``/``colour`` looks for
LEFT = {"grey": ("image_0", "image_l"), "colour": ("image_2",)}
RATE_HZ = 10.0
OPTIONS = {
    "camera": Option("grey", "grey: the left grey camera (image_0, or image_l as in the "
                             "excerpts); colour: the left colour camera (image_2); or one "
                             "folder by name. Grey by default: it is the odometry set's "
                             "smaller download (22 GB beside 65 GB colour) and the one the "
                             "excerpts are (kitti-raw defaults to colour: a raw drive comes "
                             "with all four cameras)",
                     choices=(*LEFT, *KINDS)),
    "window": WINDOW,
    "motor": Option("pose", "pose: the ground-truth camera pose, a pair's motion its "
                            "relative transform; heading: yaw about the camera's y axis "
                            "(deg) and path length (m), as kitti-raw's default reading "
                            "(pose by default: the ground truth here is a pose)",
                    choices=("pose", "heading")),
    "dofs": DOFS_OPTION,
}


def kind_of(camera: str) -> str:
    """``grey`` or ``colour``: the kind of images a ``camera`` option names."""
    return camera if camera in LEFT else KINDS[camera]


class KittiOdometrySource(Source):
    name = "kitti-odometry"
    options = OPTIONS

    def __init__(self, path, **options):
        super().__init__(path, **options)
        self.default_channels = 3 if kind_of(self.option("camera")) == "colour" else 1
        self.motor = self.option("motor")
        self.spec = pose_motion(self.option("dofs"), axes="camera") \
            if self.motor == "pose" else HEADING_ODOMETER
        if "dofs" in self.opts and self.motor != "pose":
            raise DataError(self.path, "dofs= applies to motor=pose only")

    def _build_table(self) -> FrameTable:
        refs, motor, seq, times, frames, poses, notes = [], [], [], [], [], [], []
        seq_names = []
        skipped = total = 0
        for name, folder, pose_file in find_sequences(self.path, notes):
            cam = self._camera(folder)
            seq_poses = read_poses(pose_file)
            heading, odo = heading_odometer(seq_poses)
            times_file = folder / "times.txt"
            seq_t = read_times(times_file) if times_file.exists() else None
            images = {int(p.stem): p for p in cam.glob("*.png") if p.stem.isdigit()}
            seq_names.append(name)
            for k in sorted(set(images) | set(range(len(seq_poses)))):
                total += 1
                if k not in images or k >= len(seq_poses) or (seq_t is not None
                                                              and k >= len(seq_t)):
                    skipped += 1
                    continue
                refs.append(str(images[k]))
                motor.append((heading[k], odo[k]))
                seq.append(len(seq_names) - 1)
                times.append(seq_t[k] if seq_t is not None else k / RATE_HZ)
                frames.append(k)
                poses.append(seq_poses[k])
        if skipped:
            notes.append(f"kitti-odometry: skipped {skipped} of {total} frames without an image "
                         f"or a pose")
        for note in notes:
            warnings.warn(note, stacklevel=2)
        if not refs:
            raise DataError(self.path, "no frame has both an image and a pose")
        self._poses = np.array(poses)
        centres = self._poses[:, :, 3]
        return FrameTable(
            refs=refs,
            motor=poses_from_matrices(self._poses) if self.motor == "pose"
            else np.array(motor, dtype=np.float64),
            motor_spec=self.spec,
            sequence=np.array(seq, dtype=np.int64),
            sequence_names=seq_names,
            time=np.array(times, dtype=np.float64),
            neighbours=NeighbourRule("video", window=self.option("window")),
            meta={"frame": np.array(frames, dtype=np.int64), "x": centres[:, 0],
                  "y": centres[:, 1], "z": centres[:, 2]},
            warnings=notes,
        )

    def _camera(self, folder: Path) -> Path:
        """The sequence's image folder the ``camera`` option names; never a folder of the
        other kind, so the frames are what the run's channels say."""
        wanted = self.option("camera")
        names = LEFT.get(wanted, (wanted,))
        found = next((folder / n for n in names if (folder / n).is_dir()), None)
        if found is not None:
            return found
        have = ", ".join(f"{n} ({k})" for n, k in KINDS.items() if (folder / n).is_dir())
        raise DataError(folder, f"no {kind_of(wanted)} image folder ({' / '.join(names)}); it "
                                f"has {have or 'none'}: choose with camera=grey, camera=colour "
                                f"or a folder's name")

    def relative_motion(self, i: int, j: int) -> tuple[float, float, float]:
        """(yaw change deg, forward m, rightward m) from table row i to row j."""
        self.table()
        return relative_motion(self._poses[i], self._poses[j])


def find_sequences(folder: Path, notes: list[str]) -> list[tuple[str, Path, Path]]:
    """[(name, sequence folder, pose file)] found in ``folder``."""
    if (folder / "poses.txt").exists():
        return [(folder.name, folder, folder / "poses.txt")]
    outside = folder.parent.parent / "poses" / f"{folder.name}.txt"
    if folder.parent.name == "sequences" and outside.exists():
        return [(folder.name, folder, outside)]
    root = folder / "dataset" if (folder / "dataset" / "sequences").is_dir() else folder
    if (root / "sequences").is_dir():
        found, no_pose = [], []
        for seq in sorted(p for p in (root / "sequences").iterdir() if p.is_dir()):
            pose = root / "poses" / f"{seq.name}.txt"
            (found.append((seq.name, seq, pose)) if pose.exists() else no_pose.append(seq.name))
        if no_pose:
            notes.append(f"kitti-odometry: skipped {len(no_pose)} sequences without poses "
                         f"({', '.join(no_pose)}): no ground truth, no motor reading")
        if found:
            return found
    else:
        found = [(p.name, p, p / "poses.txt") for p in sorted(folder.iterdir())
                 if p.is_dir() and (p / "poses.txt").exists()]
        if found:
            return found
    raise DataError(folder, "no KITTI odometry sequence with poses (expected poses.txt beside "
                            "image_0/, or sequences/NN/ + poses/NN.txt)")


#: how far from orthonormal a pose's rotation may be (KITTI's are printed to ~1e-6)
ROTATION_TOL = 1e-3


def read_poses(path: Path) -> np.ndarray:
    """(K, 3, 4) camera-to-world poses, one row-major 3x4 matrix per line."""
    poses = []
    with open(path) as f:
        for line, text in enumerate(f, start=1):
            fields = text.split()
            if not fields:
                continue
            if len(fields) != 12:
                raise DataError(path, f"{len(fields)} numbers, expected 12 (a 3x4 pose)", line)
            try:
                values = [float(x) for x in fields]
            except ValueError as e:
                raise DataError(path, f"not a number ({e})", line) from None
            if not all(math.isfinite(v) for v in values):
                raise DataError(path, "pose has a NaN or infinite value", line)
            pose = np.array(values).reshape(3, 4)
            rot = pose[:, :3]
            if not (np.allclose(rot @ rot.T, np.eye(3), atol=ROTATION_TOL)
                    and np.linalg.det(rot) > 0):
                raise DataError(path, "the left 3x3 block is not a rotation (R R^T = I, "
                                      f"det R = +1, tolerance {ROTATION_TOL})", line)
            poses.append(pose)
    if not poses:
        raise DataError(path, "no poses")
    return np.array(poses)


def read_times(path: Path) -> np.ndarray:
    """Frame times (seconds), one per line; must not go backwards."""
    out = []
    with open(path) as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(path, f"expected a time in seconds, got {text.strip()!r}",
                                line) from None
            if not math.isfinite(value) or (out and value < out[-1]):
                raise DataError(path, f"time {text.strip()} goes backwards or is not finite",
                                line)
            out.append(value)
    return np.array(out)


def yaw_deg(rotation: np.ndarray) -> np.ndarray:
    """Heading about the camera y axis (degrees, left turn positive) of rotation(s) (..., 3, 3)."""
    return -np.degrees(np.arctan2(rotation[..., 0, 2], rotation[..., 2, 2]))


def heading_odometer(poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pose heading (deg) and cumulative path length (m)."""
    centres = poses[:, :, 3]
    steps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    return yaw_deg(poses[:, :, :3]), np.concatenate([[0.0], np.cumsum(steps)])


def relative_motion(pose_i: np.ndarray, pose_j: np.ndarray) -> tuple[float, float, float]:
    """Motion from camera i to camera j in camera i's frame: (yaw change deg, left turn
    positive; forward distance m, along z; rightward distance m, along x)."""
    r_i, t_i = pose_i[:, :3], pose_i[:, 3]
    r_rel = r_i.T @ pose_j[:, :3]
    d = r_i.T @ (pose_j[:, 3] - t_i)
    return float(yaw_deg(r_rel)), float(d[2]), float(d[0])

