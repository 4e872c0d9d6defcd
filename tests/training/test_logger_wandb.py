"""logger=wandb: the scalars metrics.csv holds, at the same iterations, in a real offline
wandb run (read back from its .wandb transaction log)."""

import struct
import sys
import time

import pytest

from egoequiv.config import load_config
from egoequiv.errors import EgoequivError
from egoequiv.training.logger import RunLogger
from egoequiv.training.trainer import train
from egoequiv.utils.metrics_csv import read_metrics_csv

pytest.importorskip("wandb")

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 6, "log_every": 2, "monitor_every": 3}
BLOCK = 32768  # the .wandb file is a LevelDB-style log of 32 KiB blocks


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """A real wandb, offline and silent, writing nothing outside tmp_path."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for name in ("WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "wandb-home" / name))
    for name in ("WANDB_DIR", "WANDB_PROJECT", "WANDB_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def records(path):
    """The protobuf records of a .wandb file (header ':W&B', magic, version; then chunks
    of crc32, length, type: 1 full, 2 first, 3 middle, 4 last)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, parts = 7, b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if left < 7 or (kind == 0 and length == 0):  # the zero padding of a block's end
            pos += left
            continue
        if pos + 7 + length > len(data):  # a record still being written
            return
        parts += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(parts)
            parts = b""
            yield record


def finished_records(run_dir, timeout=60.0):
    """The run's records once its log holds the exit record: wandb's service process
    writes the file, and may still be writing when ``finish()`` has returned."""
    (log,) = run_dir.glob("*.wandb")
    deadline = time.monotonic() + timeout
    while True:
        found = list(records(log))
        if any(r.WhichOneof("record_type") == "exit" for r in found):
            return found
        assert time.monotonic() < deadline, f"{log}: no exit record after {timeout} s"
        time.sleep(0.1)


def history(run_dir):
    """{step: {key: value}} of the run's logged rows."""
    rows = {}
    for r in finished_records(run_dir):
        if r.WhichOneof("record_type") == "history":
            items = {i.key or "/".join(i.nested_key): float(i.value_json)
                     for i in r.history.item}
            rows.setdefault(int(items.pop("_step")), {}).update(
                {k: v for k, v in items.items() if not k.startswith("_")})
    return rows


def test_training_logs_the_csv_scalars_to_an_offline_run_in_the_run_folder(tmp_path,
                                                                          shared_data):
    train(load_config(overrides={**TINY, "method": "equiv+drlim", "logger": "wandb"}),
          f"eth80:{shared_data / 'eth80'}", tmp_path / "run", quiet=True)
    (run_dir,) = (tmp_path / "run" / "wandb").glob("offline-run-*")
    logged = history(run_dir)
    want = {}
    for name, points in read_metrics_csv(tmp_path / "run" / "metrics.csv").items():
        for it, value in points:
            want.setdefault(it, {})[name] = value
    assert sorted(logged) == sorted(want) == [2, 3, 4, 6]
    assert {"loss", "equiv", "drlim", "softmax", "lr"} <= set(logged[2])
    for it in want:
        assert logged[it] == pytest.approx(want[it], rel=1e-12), it


def test_a_resumed_runs_wandb_run_holds_the_whole_curve_and_wandb_dir_is_honoured(
        tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    logger = RunLogger(tmp_path / "out", [{"iteration": 2, "loss": 0.5, "lr": 0.01}], "wandb",
                       config={"method": "drlim"})
    logger.log({"iteration": 4, "loss": 0.25, "lr": 0.01, "bad": float("nan")})
    logger.close()
    assert not (tmp_path / "out" / "wandb").exists()
    (run_dir,) = (tmp_path / "elsewhere" / "wandb").glob("offline-run-*")
    assert history(run_dir) == {2: {"loss": 0.5, "lr": 0.01}, 4: {"loss": 0.25, "lr": 0.01}}


def test_missing_wandb_is_one_line_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # what an absent package gives import
    with pytest.raises(EgoequivError, match=r"pip install 'egoequiv\[wandb\]'"):
        RunLogger(tmp_path, [], "wandb")
    assert load_config(overrides={"logger": "wandb"}).logger == "wandb"


def test_two_runs_open_at_once_keep_their_own_curves(tmp_path):
    """A batched grid's members log side by side in one process."""
    a = RunLogger(tmp_path / "lam=0.3", [], "wandb")
    b = RunLogger(tmp_path / "lam=1", [], "wandb")
    a.log({"iteration": 1, "loss": 1.0})
    b.log({"iteration": 1, "loss": 2.0})
    a.log({"iteration": 2, "loss": 0.5})
    a.close()
    b.log({"iteration": 2, "loss": 1.5})
    b.close()
    for name, want in (("lam=0.3", {1: 1.0, 2: 0.5}), ("lam=1", {1: 2.0, 2: 1.5})):
        (run_dir,) = (tmp_path / name / "wandb").glob("offline-run-*")
        assert history(run_dir) == {k: {"loss": v} for k, v in want.items()}
