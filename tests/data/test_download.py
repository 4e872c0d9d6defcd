"""The downloader against a threaded HTTP server on 127.0.0.1 (Range requests supported)."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from egoequiv.data.download import (
    DATASETS,
    Remote,
    download_dataset,
    download_file,
    remotes,
)
from egoequiv.errors import EgoequivError

FILES = {r.filename: bytes(range(256)) * (40 + i) for i, r in enumerate(DATASETS["norb"])}


class Handler(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    ranges = True
    cut = 0  # > 0: send only this many bytes, then close (a dropped connection)
    log: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        name = self.path.rsplit("/", 1)[-1]
        rng = self.headers.get("Range")
        self.log.append((name, rng))
        if name not in self.files:
            self.send_error(404, "Not Found")
            return
        data = self.files[name]
        m = re.fullmatch(r"bytes=(\d+)-", rng or "") if self.ranges else None
        if m and int(m.group(1)) >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = int(m.group(1)) if m else 0
        self.send_response(206 if m else 200)
        if m:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:start + self.cut] if self.cut else data[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.files, Handler.ranges, Handler.log, Handler.cut = dict(FILES), True, [], 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/mirror"
    httpd.shutdown()
    httpd.server_close()


def test_official_addresses():
    assert [r.url for r in remotes("norb")][0] == (
        "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
        "smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat.gz")
    assert len(remotes("norb")) == 6 and len(remotes("sun397")) == 2
    assert all(r.sha256 is None for r in remotes("sun397"))  # none published
    assert remotes("sun397", "http://m.example/x/")[1].url == "http://m.example/x/Partitions.zip"
    with pytest.raises(EgoequivError, match="unknown download 'imagenet'"):
        remotes("imagenet")


def test_download_dataset_from_a_mirror(server, tmp_path):
    said = []
    paths = download_dataset("norb", tmp_path / "norb", url_base=server, quiet=True,
                             echo=said.append)
    assert [p.name for p in paths] == list(FILES)
    for p in paths:
        assert p.read_bytes() == FILES[p.name]
    assert not list((tmp_path / "norb").glob("*.part"))
    digest = hashlib.sha256(FILES[paths[0].name]).hexdigest()
    assert any(f"no checksum published, sha256 {digest}" in s for s in said)
    assert "smallnorb:" in said[-1]
    # a second run downloads nothing
    Handler.log.clear()
    download_dataset("norb", tmp_path / "norb", url_base=server, quiet=True, echo=said.append)
    assert Handler.log == []


def test_resume_a_partial_file(server, tmp_path):
    name = next(iter(FILES))
    (tmp_path / f"{name}.part").write_bytes(FILES[name][:1000])
    path = download_file(Remote(f"{server}/{name}"), tmp_path, quiet=True, echo=lambda s: None)
    assert path.read_bytes() == FILES[name]
    assert Handler.log == [(name, "bytes=1000-")]


def test_dropped_connection_then_resume(server, tmp_path):
    name = next(iter(FILES))
    Handler.cut = 3000
    with pytest.raises(EgoequivError, match="stopped at 3000 of 10240 bytes; run the same"):
        download_file(Remote(f"{server}/{name}"), tmp_path, quiet=True)
    assert (tmp_path / f"{name}.part").stat().st_size == 3000
    Handler.cut = 0
    path = download_file(Remote(f"{server}/{name}"), tmp_path, quiet=True, echo=lambda s: None)
    assert path.read_bytes() == FILES[name] and Handler.log[-1] == (name, "bytes=3000-")


def test_resume_when_part_is_complete(server, tmp_path):
    name = next(iter(FILES))
    (tmp_path / f"{name}.part").write_bytes(FILES[name])
    path = download_file(Remote(f"{server}/{name}"), tmp_path, quiet=True, echo=lambda s: None)
    assert path.read_bytes() == FILES[name]


def test_server_without_range_restarts(server, tmp_path):
    Handler.ranges = False
    name = next(iter(FILES))
    (tmp_path / f"{name}.part").write_bytes(b"x" * 500)
    said = []
    path = download_file(Remote(f"{server}/{name}"), tmp_path, quiet=True, echo=said.append)
    assert path.read_bytes() == FILES[name] and "does not resume" in said[0]


def test_checksum(server, tmp_path):
    name = next(iter(FILES))
    good = hashlib.sha256(FILES[name]).hexdigest()
    said = []
    download_file(Remote(f"{server}/{name}", good), tmp_path / "ok", quiet=True,
                  echo=said.append)
    assert "sha256 verified" in said[-1]
    with pytest.raises(EgoequivError, match=rf"{name}: checksum mismatch"):
        download_file(Remote(f"{server}/{name}", "0" * 64), tmp_path / "bad", quiet=True)
    assert not list((tmp_path / "bad").iterdir())


def test_missing_file_is_a_clear_error(server, tmp_path):
    with pytest.raises(EgoequivError, match=rf"cannot download {server}/nope.zip: HTTP 404"):
        download_file(Remote(f"{server}/nope.zip"), tmp_path, quiet=True)


def test_unreachable_server(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/SUN397.tar.gz"
    with pytest.raises(EgoequivError, match=rf"cannot reach {url} .*--url-base"):
        download_file(Remote(url), tmp_path, quiet=True)
