"""``egoequiv data info|convert|download`` through egoequiv.cli.main.main."""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from egoequiv.cli.main import main
from egoequiv.data.frames_csv import read_frames_csv


def test_info_json_unlabelled(shared_data, capsys):
    assert main(["data", "info", f"kitti-odometry:{shared_data / 'kitti_odometry'}",
                 "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in info["motor"]] == ["x", "y", "z", "qx", "qy", "qz", "qw"]
    motion = {m["name"]: m for m in info["motion_patterns"]["motion"]}
    assert list(motion) == ["forward", "lateral", "yaw"]  # the default pose motor
    assert 0.9 < motion["forward"]["min"] and motion["yaw"]["unit"] == "deg"
    assert main(["data", "info", f"kitti-odometry:{shared_data / 'kitti_odometry'},"
                 "motor=heading", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 102 and info["num_sequences"] == 2
    assert info["num_classes"] is None and info["warnings"] == []
    assert [m["name"] for m in info["motor"]] == ["heading", "odometer"]
    assert [m["unit"] for m in info["motor"]] == ["deg", "m"]
    odo = info["motor"][1]
    assert odo["min"] == 0 and 55 < odo["max"] < 65


def test_info_json_warnings(shared_data, capsys):
    assert main(["data", "info", f"kitti-raw:{shared_data / 'kitti_raw' / '2011_09_26'}",
                 "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_images"] == 10 and info["num_classes"] == 5
    assert len(info["warnings"]) == 1 and "skipped 98 of 108" in info["warnings"][0]


def test_info_human(shared_data, capsys):
    assert main(["data", "info", f"eth80:{shared_data / 'eth80'}"]) == 0
    out = capsys.readouterr().out
    assert "images          3280" in out and "8 classes" in out
    assert "motor azimuth   0 .. 338 deg, cyclic 360" in out
    assert "motion azimuth  -46 .. 46 (median 0) deg" in out


def test_info_bad_spec(tmp_path, capsys):
    assert main(["data", "info", "nosuch:/x"]) == 2
    assert "unknown dataset 'nosuch'" in capsys.readouterr().err
    assert main(["data", "info", f"sun397:{tmp_path}"]) == 2
    assert f"{tmp_path}: partition file Training_01.txt not found" in capsys.readouterr().err


def test_convert_kitti_raw(shared_data, tmp_path, capsys):
    out = tmp_path / "conv"
    spec = f"kitti-raw:{shared_data / 'kitti_raw' / '2011_09_26'},camera=image_00"
    assert main(["data", "convert", spec, str(out)]) == 0
    captured = capsys.readouterr()
    assert "wrote 10 frames" in captured.out and "skipped 98" in captured.err
    table = read_frames_csv(out / "frames.csv")
    assert len(table) == 10 and len(list((out / "images").glob("*.png"))) == 10
    assert table.motor_spec.names == ("heading_deg", "odometer")
    assert table.motor_spec.periods == (360.0, None)
    assert table.class_names == ["City", "Residential", "Road", "Campus", "Person"]
    assert set(table.labels) == {0}
    assert list(table.meta["frame"]) == [0, 1, 2, 3, 4, 5, 25, 45, 65, 85]
    assert main(["data", "info", f"kitti-raw:{shared_data / 'kitti_raw' / '2011_09_26'}",
                 "--json"]) == 0
    original = json.loads(capsys.readouterr().out)
    for k, m in enumerate(original["motor"]):
        np.testing.assert_allclose([table.motor[:, k].min(), table.motor[:, k].max()],
                                   [m["min"], m["max"]])
    with Image.open(out / "images" / "0000000.png") as im:
        assert im.mode == "L" and im.size == (1242, 375)


def test_download_kitti_prints_instructions(tmp_path, capsys):
    assert main(["data", "download", "kitti", "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "registration" in out and f"{tmp_path}/2011_09_26/" in out
    assert "data_odometry_poses.zip" in out and not list(tmp_path.iterdir())


@pytest.fixture
def mirror(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    for name in ("SUN397.tar.gz", "Partitions.zip"):
        (served / name).write_bytes(name.encode() * 100)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    httpd.shutdown()
    httpd.server_close()


def test_download_sun397_from_mirror(mirror, tmp_path, capsys):
    url, served = mirror
    to = tmp_path / "sun"
    assert main(["data", "download", "sun397", "--to", str(to), "--url-base", url]) == 0
    assert (to / "Partitions.zip").read_bytes() == (served / "Partitions.zip").read_bytes()
    assert "tar -xzf" in capsys.readouterr().out


def test_download_unreachable(mirror, tmp_path, capsys):
    url, served = mirror
    (served / "Partitions.zip").unlink()
    assert main(["data", "download", "sun397", "--to", str(tmp_path), "--url-base", url]) == 2
    err = capsys.readouterr().err
    assert f"cannot download {url}/Partitions.zip: HTTP 404" in err and "--url-base" in err


def test_info_shows_the_split_and_patterns_a_default_run_fits(shared_data, capsys):
    """input: one real KITTI sequence (cut in time); the truth is the task a default run
    builds on it."""
    import re

    import numpy as np

    from egoequiv.config import Config
    from egoequiv.data.registry import open_source
    from egoequiv.task.build import split_note
    from egoequiv.task.load import prepare

    spec = f"kitti-odometry:{shared_data / 'kitti_odometry' / 'KITTI_sequence_2'}"
    assert main(["data", "info", spec, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    pats = info["motion_patterns"]
    frames, task = prepare(Config(), spec, quiet=True)
    first = open_source(spec).load_image(task.table.refs[0])
    assert info["frame"] == {"height": first.shape[0], "width": first.shape[1],
                             "channels": 1, "trains_as_channels": 1}  # grey camera
    assert frames.images.shape[3] == 1
    g = task.patterns.num_patterns
    assert [p["motion"] for p in pats["patterns"]] == task.pattern_labels
    assert [p["pairs"] for p in pats["patterns"]] == np.bincount(task.pairs.pattern[
        task.pairs.pattern >= 0], minlength=g).tolist()
    assert [p["test_pairs"] for p in pats["patterns"]] == np.bincount(task.test_pairs.pattern[
        task.test_pairs.pattern >= 0], minlength=g).tolist()
    assert pats["split"] == split_note(task) and "cut in time" in pats["split"]
    assert (pats["train_pairs"], pats["test_pairs"]) == (len(task.pairs), len(task.test_pairs))
    assert main(["data", "info", spec]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"\nsplit +{re.escape(split_note(task).removeprefix('split: '))}\n", out)
    assert "test pairs, spread ratio" in out and "(lower is purer)" in out
    assert f"{first.shape[1]} x {first.shape[0]} px, grey (the first frame); a run uses 1 " \
           "channel(s)" in out


def test_info_set_shows_the_split_that_config_would_make(shared_data, capsys):
    """input: the two real KITTI drives; --set split=time is the run's key, as train takes
    it."""
    spec = f"kitti-odometry:{shared_data / 'kitti_odometry'}"
    assert main(["data", "info", spec, "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)["motion_patterns"]["split"]
    assert main(["data", "info", spec, "--json", "--set", "split=time"]) == 0
    cut = json.loads(capsys.readouterr().out)["motion_patterns"]["split"]
    assert "whole ones held out" in whole and "2 sequences cut in time" in cut
    one = f"kitti-odometry:{shared_data / 'kitti_odometry' / 'KITTI_sequence_1'}"
    assert main(["data", "info", one, "--set", "split=sequences"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("egoequiv: error: split=sequences holds whole sequences out, but this "
                   "source has 1 sequence: use split=time (or auto) to cut it in time")
    assert main(["data", "info", one, "--set", "split=bogus"]) == 2
    assert "split must be one of ['auto', 'sequences', 'time']" in capsys.readouterr().err
