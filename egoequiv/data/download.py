"""Fetch the public data sets: smallNORB and SUN397 over HTTP(S), with resume and progress.

A file is downloaded to ``NAME.part`` and renamed when complete; a later run resumes a
``.part`` with an HTTP Range request (a server that ignores Range restarts it from zero). Neither
publisher gives checksums (none are listed on the smallNORB page or the SUN397 page), so none is
checked by default: the SHA-256 of each finished file is printed instead, to compare with a
trusted copy. ``Remote.sha256`` is verified when set. A mirror: ``url_base`` replaces the
official folder and every file is fetched as ``URL_BASE/<file name>``. KITTI needs a
registration, so for it we only print what to download and where to put it.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from egoequiv.errors import EgoequivError
from egoequiv.utils.progress import progress


@dataclass(frozen=True)
class Remote:
    url: str
    sha256: str | None = None  # None: the publisher gives no checksum

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


_NORB = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
_NORB_FILES = [f"smallnorb-{ids}x9x18x6x2x96x96-{part}-{kind}.mat.gz"
               for ids, part in (("5x46789", "training"), ("5x01235", "testing"))
               for kind in ("dat", "cat", "info")]
DATASETS: dict[str, list[Remote]] = {
    "norb": [Remote(_NORB + f) for f in _NORB_FILES],
    "sun397": [Remote("http://vision.princeton.edu/projects/2010/SUN/SUN397.tar.gz"),
               Remote("http://vision.princeton.edu/projects/2010/SUN/download/Partitions.zip")],
}
AFTER = {
    "norb": "use it as --dataset smallnorb:{to} (the .mat.gz files are read as they are)",
    "sun397": "extract: tar -xzf {to}/SUN397.tar.gz -C {to} && unzip {to}/Partitions.zip -d {to}"
              "\nthen use --dataset sun397:{to}/SUN397",
}
KITTI_HELP = """\
KITTI needs a (free) registration, so egoequiv cannot download it for you.
KITTI raw (kitti-raw:DIR): log in at https://www.cvlibs.net/datasets/kitti/raw_data.php and
  download, for each drive, '[synced+rectified data]' (e.g. 2011_09_26_drive_0001_sync.zip) and
  the date's '[calibration]' zip. Unzip all into {to}, giving
  {to}/2011_09_26/2011_09_26_drive_0001_sync/{{image_00,image_02,oxts}}/...
  then use --dataset kitti-raw:{to}/2011_09_26 (camera=image_00 for grey).
KITTI odometry (kitti-odometry:DIR): from https://www.cvlibs.net/datasets/kitti/eval_odometry.php
  download 'odometry data set (grayscale)' (data_odometry_gray.zip) and 'ground truth poses'
  (data_odometry_poses.zip); unzip both into {to}, giving {to}/dataset/sequences/NN/image_0/
  and {to}/dataset/poses/NN.txt (poses exist for sequences 00-10 only),
  then use --dataset kitti-odometry:{to}/dataset"""


def remotes(dataset: str, url_base: str | None = None) -> list[Remote]:
    if dataset not in DATASETS:
        raise EgoequivError(f"unknown download {dataset!r}; choose from "
                            f"{', '.join(DATASETS)} (or kitti, for instructions)")
    files = DATASETS[dataset]
    if url_base:
        if urllib.parse.urlsplit(url_base).scheme not in ("http", "https", "ftp"):
            raise EgoequivError(f"--url-base {url_base!r}: expected an http(s) or ftp address, "
                                "e.g. https://mirror.example.org/norb")
        base = url_base.rstrip("/")
        files = [Remote(f"{base}/{r.filename}", r.sha256) for r in files]
    return files


def download_dataset(dataset: str, to: str | Path, url_base: str | None = None,
                     quiet: bool = False, echo=print) -> list[Path]:
    """Download every file of ``dataset`` into ``to``; returns the finished paths."""
    to = Path(to)
    done = [download_file(r, to, quiet=quiet, echo=echo) for r in remotes(dataset, url_base)]
    echo(AFTER[dataset].format(to=to))
    return done


def download_file(remote: Remote, to: Path, quiet: bool = False, echo=print,
                  timeout: float = 30.0) -> Path:
    """Download (or resume) one file into folder ``to``; verify its checksum if known."""
    to.mkdir(parents=True, exist_ok=True)
    final = to / remote.filename
    if final.exists():
        echo(f"{final}: already downloaded")
        return final
    part = final.with_name(final.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(remote.url, headers={"User-Agent": "egoequiv"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the .part already holds the whole file
            return _finish(remote, part, final, echo)
        raise EgoequivError(f"cannot download {remote.url}: HTTP {e.code} {e.reason}"
                            f"{_MIRROR_HINT}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise EgoequivError(f"cannot reach {remote.url} ({reason}){_MIRROR_HINT}") from None
    with response:
        resumed = have and response.status == 206
        if have and not resumed:
            echo(f"{remote.url}: the server does not resume; starting again")
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        bar = progress(total=total, desc=remote.filename, unit="B", unit_scale=True,
                       unit_divisor=1024, initial=have, disable=quiet)
        got = have
        try:
            with open(part, "ab" if resumed else "wb") as f:
                while chunk := response.read(1 << 16):
                    f.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as e:
            raise EgoequivError(f"download of {remote.url} interrupted at {got} bytes ({e}); "
                                f"run the same command again to resume") from None
        finally:
            bar.close()
    if total is not None and got < total:
        raise EgoequivError(f"download of {remote.url} stopped at {got} of {total} bytes; "
                            f"run the same command again to resume")
    return _finish(remote, part, final, echo)


_MIRROR_HINT = ("; the official address may be gone: pass a mirror with --url-base URL "
                "(files are fetched as URL/<file name>)")


def _finish(remote: Remote, part: Path, final: Path, echo) -> Path:
    digest = sha256_file(part)
    if remote.sha256 and digest != remote.sha256.lower():
        part.unlink()
        raise EgoequivError(f"{final.name}: checksum mismatch (sha256 {digest}, expected "
                            f"{remote.sha256}); the partial file was removed, run again")
    part.replace(final)
    if remote.sha256:
        echo(f"{final}: sha256 verified")
    else:
        echo(f"{final}: done; no checksum published, sha256 {digest}")
    return final


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
