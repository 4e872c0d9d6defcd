"""A run folder under faults, with real processes: one writer per folder (a second process is
refused naming the holder's pid; a killed holder frees it), Ctrl-C saves a checkpoint to
resume, and a crafted checkpoint is refused before it inflates (peak memory measured)."""

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
import torch

from egoequiv.cli.main import main
from egoequiv.training.run_lock import LOCK_FILE, RunLock

TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def egoequiv(*argv) -> subprocess.Popen:
    """``egoequiv ARGV`` in another process (the tests' cache, via the environment)."""
    return subprocess.Popen([sys.executable, "-m", "egoequiv.cli.main", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(what, timeout=120.0):
    start = time.monotonic()
    while not what():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out")
        time.sleep(0.05)


def lock_pid(folder: Path) -> int | None:
    try:
        text = (folder / LOCK_FILE).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@pytest.fixture
def holder(tmp_path):
    """``holder(folder)``: another process holding ``folder``'s run lock (killed after)."""
    procs = []

    def hold(folder):
        code = ("import sys; from egoequiv.training.run_lock import RunLock; "
                "RunLock(sys.argv[1]); print('held', flush=True); sys.stdin.read()")
        Path(folder).mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", code, str(folder)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "held"
        procs.append(proc)
        return proc

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def refused(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egoequiv: error:") and "\n" not in err, err
    return err


def test_two_trains_on_one_out(tmp_path, capsys, shared_data):
    """input: two `egoequiv train` processes, seeds 0 and 7, on one --out (finding 1)."""
    out = tmp_path / "run"
    spec = f"eth80:{shared_data / 'eth80'}"
    first = egoequiv("train", "--dataset", spec, "--out", str(out), *TINY, "--iters",
                     "100000", "--quiet")
    try:
        wait_for(lambda: lock_pid(out) == first.pid)
        err = refused(capsys, ["train", "--dataset", spec, "--out", str(out), *TINY,
                               "--iters", "2", "--seed", "7", "--quiet"])
        assert f"output folder {out} is in use by another egoequiv run (pid {first.pid})" \
            in err
    finally:
        first.kill()  # SIGKILL: no clean-up, the lock file stays with its pid
        first.wait()
    assert lock_pid(out) == first.pid  # a stale file, but the kernel dropped the lock
    RunLock(out).release()


def test_a_grid_member_in_use_is_refused(tmp_path, capsys, shared_data, holder):
    """input: `train --grid seed=0,1` while another process holds the member seed=1."""
    proc = holder(tmp_path / "grid" / "seed=1")
    err = refused(capsys, ["train", "--dataset", f"eth80:{shared_data / 'eth80'}", "--out",
                           str(tmp_path / "grid"), *TINY, "--iters", "2", "--quiet",
                           "--grid", "seed=0,1"])
    assert f"grid/seed=1 is in use by another egoequiv run (pid {proc.pid})" in err


def test_a_second_grid_on_one_out_is_refused(tmp_path, capsys, holder):
    proc = holder(tmp_path / "grid")
    err = refused(capsys, ["train", "--dataset", "eth80:/never/decoded", "--out",
                           str(tmp_path / "grid"), *TINY, "--grid", "seed=0,1"])
    assert f"(pid {proc.pid})" in err
    assert not (tmp_path / "grid" / "grid.json").exists()


def test_reproduce_on_a_folder_in_use_is_refused(tmp_path, capsys, holder):
    """input: `egoequiv reproduce norb --out OUT` while another process holds OUT."""
    proc = holder(tmp_path / "out")
    err = refused(capsys, ["reproduce", "norb", "--quick", "--out", str(tmp_path / "out")])
    assert f"output folder {tmp_path / 'out'} is in use by another egoequiv run " \
           f"(pid {proc.pid})" in err


def test_ctrl_c_saves_a_checkpoint_and_says_resume(tmp_path, shared_data):
    """input: SIGINT to an `egoequiv train` process while it trains."""
    out = tmp_path / "run"
    spec = f"eth80:{shared_data / 'eth80'}"
    run = egoequiv("train", "--dataset", spec, "--out", str(out), *TINY, "--iters", "100000",
                   "--set", "log_every=1", "--set", "checkpoint_every=100000", "--quiet")
    try:
        wait_for(lambda: (out / "metrics.csv").exists()
                 and len((out / "metrics.csv").read_text().splitlines()) > 6)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 130
    line = err.strip().splitlines()[-1]
    assert line.startswith("egoequiv: interrupted: checkpoint saved at iteration ")
    assert f"in {out / 'checkpoint.pt'}; continue with the same command and --resume" in line
    iteration = int(line.split("iteration ")[1].split()[0])
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["iteration"] == iteration > 0 and not (out / LOCK_FILE).exists()
    assert main(["train", "--dataset", spec, "--out", str(out), *TINY, "--quiet", "--iters",
                 str(iteration + 2), "--set", "log_every=1", "--set",
                 "checkpoint_every=100000", "--resume"]) == 0
    assert json.loads((out / "metrics.json").read_text())["iterations"] == iteration + 2


def test_ctrl_c_stops_between_steps_and_resumes_exactly(tmp_path, shared_data):
    """input: SIGINT raised after step 3 of 6; the resumed run equals the uninterrupted."""
    from egoequiv.config import load_config
    from egoequiv.training.loop import TrainingInterrupted
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 6, "method": "equiv", "checkpoint_every": 100})
    spec = f"eth80:{shared_data / 'eth80'}"

    def ctrl_c(it):
        if it == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted, match="saved at iteration 3 .*--resume"):
        train(cfg, spec, tmp_path / "cut", quiet=True, callback=ctrl_c)
    assert torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["iteration"] == 3
    train(cfg, spec, tmp_path / "cut", resume=True, quiet=True)
    train(cfg, spec, tmp_path / "whole", quiet=True)
    cut, whole = (torch.load(tmp_path / d / "checkpoint.pt", weights_only=True)["model"]
                  for d in ("cut", "whole"))
    assert all(torch.equal(cut[k], whole[k]) for k in whole)


MB = 1 << 20


def deflated_zeros(mb: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mb`` MB of zeros and its CRC, written without the zeros:
    one 1 MB block ended by a full flush is the same bytes every time, so it repeats."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    crc, zero = 0, bytes(MB)
    for _ in range(mb):
        crc = zlib.crc32(zero, crc)
    return block * mb + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def write_bomb(real: Path, path: Path, mb: int) -> Path:
    """``real`` (a torch zip) with its data/0 record replaced by ``mb`` MB of deflated
    zeros: a zip written by hand (local headers, central directory), sizes below 4 GB."""
    with zipfile.ZipFile(real) as z:
        records = [(i.filename, 0, zlib.crc32(z.read(i)), z.read(i), i.file_size)
                   for i in z.infolist()]
    records = [(name, 8, *deflated_zeros(mb)[::-1], mb * MB) if name.endswith("/data/0")
               else (name, method, crc, data, size)
               for name, method, crc, data, size in records]
    out, central = bytearray(), bytearray()
    for name, method, crc, data, size in records:
        n, offset = name.encode(), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                           len(data), size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                               crc, len(data), size, len(n), 0, 0, 0, 0, 0, offset) + n
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records),
                                 len(central), len(out), 0)
    path.write_bytes(bytes(out))
    return path


def _peak_rss_mb(path: Path) -> tuple[str, float]:
    """(what read_checkpoint said, peak RSS in MB) of reading ``path`` in a fresh process."""
    code = ("import resource, sys\n"
            "from egoequiv.errors import EgoequivError\n"
            "from egoequiv.training.checkpoint import read_checkpoint\n"
            "try:\n    read_checkpoint(sys.argv[1]); print('loaded')\n"
            "except EgoequivError as e:\n    print(e)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=300, check=True)
    said, peak = done.stdout.strip().splitlines()
    return said, float(peak)


def test_a_zip_bomb_checkpoint_is_refused_before_it_inflates(tmp_path, shared_data):
    """input: a real checkpoint whose data/0 record is replaced by 1 GB of deflated zeros
    (a 1 MB file; the issue's was 3 GB in 6 MB)."""
    from egoequiv.config import load_config
    from egoequiv.training.trainer import train

    cfg = load_config(overrides={"image_size": 16, "channels": 1, "conv_channels": "4,8",
                                 "hidden_dim": 16, "feature_dim": 8, "batch_size": 8,
                                 "iters": 1, "method": "equiv"})
    train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path / "run", quiet=True)
    bomb = write_bomb(tmp_path / "run" / "checkpoint.pt", tmp_path / "bomb.pt", mb=1024)
    assert bomb.stat().st_size < 2 << 20
    said, peak = _peak_rss_mb(bomb)
    normal_said, normal_peak = _peak_rss_mb(tmp_path / "run" / "checkpoint.pt")
    assert normal_said == "loaded"
    assert "its records declare 1,074 MB from a 1.1 MB file (record " in said
    assert "so it is not read" in said
    assert peak < normal_peak + 64, (peak, normal_peak)  # inflating would add 1024 MB
