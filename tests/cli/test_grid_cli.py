"""``egoequiv train --grid``: one folder per member, grid.json, a report that compares the
members, and the grid member equal to its run trained alone."""

import json

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
