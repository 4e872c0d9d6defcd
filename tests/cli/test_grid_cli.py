"""``egoequiv train --grid``: one folder per member, grid.json, a report that compares the
members, and the grid member equal to its run trained alone."""

import json
from pathlib import Path

import pytest

from egoequiv.cli.main import main

SMALL = ["--set", "image_size=16", "--set", "hidden_dim=32", "--set", "feature_dim=8",
         "--set", "labels_per_class=2", "--iters", "20", "--quiet"]


def test_grid_members_their_folders_and_a_report_that_tells_them_apart(tmp_path, shared_data,
                                                                       capsys):
    eth80 = ["--dataset", f"eth80:{shared_data / 'eth80'}", "--method", "equiv+drlim"]
    out = tmp_path / "grid"
    assert main(["train", *eth80, *SMALL, "--grid", "lam=0.316,1", "--grid", "seed=0,1",
                 "--out", str(out)]) == 0
    index = json.loads((out / "grid.json").read_text())
    folders = [m["folder"] for m in index["members"]]
    assert folders == ["lam=0.316,seed=0", "lam=0.316,seed=1", "lam=1,seed=0", "lam=1,seed=1"]
    assert all(m["status"] == "finished" for m in index["members"])
    member = json.loads((out / "lam=1,seed=1" / "metrics.json").read_text())
    assert member["grid"] == {"lam": "1", "seed": "1"}
    assert member["config"]["lam"] == 1.0 and member["config"]["seed"] == 1
    # the same run alone gives the same numbers
    alone = tmp_path / "alone"
    assert main(["train", *eth80, *SMALL, "--set", "lam=1", "--seed", "1", "--out",
                 str(alone)]) == 0
    lone = json.loads((alone / "metrics.json").read_text())
    for key in ("top1", "equivariance_error", "learned_map_error"):
        assert member[key] == pytest.approx(lone[key], abs=1e-3)
    assert main(["report", str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "| equiv+drlim [lam=0.316] | 2 |" in text and "| equiv+drlim [lam=1] | 2 |" in text


@pytest.mark.parametrize("grid, message", [
    ("lam", "expected KEY=V1,V2"),
    ("lam=", "expected KEY=V1,V2"),
    ("lam=1,1", "a value is repeated"),
    ("lam=x,1", "lam must be float, got 'x'"),
    ("nosuchkey=1,2", "unknown config key 'nosuchkey'"),
])
def test_a_bad_grid_is_one_line(grid, message, tmp_path, shared_data, capsys):
    argv = ["train", "--dataset", f"eth80:{shared_data / 'eth80'}", *SMALL, "--grid", grid,
            "--out", str(tmp_path / "g")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8",
        "--iters", "2", "--quiet"]


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egoequiv: error:") and "\n" not in err, err
    return err


@pytest.mark.parametrize("case", ["bad data", "bad option"])
def test_a_failed_grid_leaves_no_folder_behind(case, tmp_path, shared_data, capsys):
    """input: `train --grid seed=0,1` on a missing eth80 folder (fails decoding the frames),
    or clsnet with labels_per_class=0 (refused by the first member's set-up): both after
    OUT/grid.json was written."""
    out = tmp_path / "grid"
    argv = {"bad data": ["--dataset", f"eth80:{tmp_path / 'nowhere'}"],
            "bad option": ["--dataset", f"eth80:{shared_data / 'eth80'}", "--method",
                           "clsnet", "--set", "labels_per_class=0"]}[case]
    err = one_line_error(capsys, ["train", *argv, *TINY, "--grid", "seed=0,1", "--out",
                                  str(out)])
    assert ("nowhere" in err) if case == "bad data" else ("needs labelled frames" in err)
    assert not out.exists()
    # a folder that was there keeps what it held, and nothing of the grid
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    one_line_error(capsys, ["train", *argv, *TINY, "--grid", "seed=0,1", "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_failed_resume_of_a_grid_keeps_its_finished_members(tmp_path, shared_data, capsys):
    """input: a finished grid seed=0, then `--grid seed=0,1 --resume` that fails: on a missing
    eth80 folder, then with a changed lr (refused by the finished member's checkpoint)."""
    out, eth80 = tmp_path / "grid", f"eth80:{shared_data / 'eth80'}"
    assert main(["train", "--dataset", eth80, "--method", "equiv", *TINY, "--grid",
                 "seed=0", "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {Path("grid.json"), Path("seed=0/checkpoint.pt"),
            Path("seed=0/metrics.json")} <= set(before)
    for argv, message in ((["--dataset", f"eth80:{tmp_path / 'nowhere'}"], "nowhere"),
                          (["--dataset", eth80, "--set", "lr=0.5"],
                           "cannot resume with different settings (lr)")):
        err = one_line_error(capsys, ["train", *argv, "--method", "equiv", *TINY, "--grid",
                                      "seed=0,1", "--out", str(out), "--resume"])
        assert message in err
        after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert set(after) == set(before)  # no seed=1, no lock, nothing removed
        assert all(after[p] == before[p] for p in before if p.name != "grid.json")
        assert json.loads(after[Path("grid.json")])["members"][0]["folder"] == "seed=0"
