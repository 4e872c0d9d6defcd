import json

import numpy as np

from egoequiv.cli.main import main

TINY = ["--set", "image_size=16", "--set", "channels=1", "--set", "conv_channels=4,8",
        "--set", "hidden_dim=16", "--set", "feature_dim=8", "--set", "batch_size=8"]


def test_train_then_embed_and_eval_from_another_folder(tmp_path, shared_data, capsys,
                                                       monkeypatch):
    import os
    import shutil

    shutil.copytree(shared_data / "eth80", tmp_path / "data" / "eth80")
    monkeypatch.chdir(tmp_path / "data")
    spec = "eth80:eth80"  # a relative path, as a user types it
    rc = main(["train", "--dataset", spec, "--method", "equiv", "--out", str(tmp_path / "r"),
               "--iters", "4", "--quiet", *TINY])
    assert rc == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["method"] == "equiv" and metrics["iterations"] == 4
    rc = main(["embed", "--checkpoint", str(tmp_path / "r" / "checkpoint.pt"), "--dataset", spec,
               "--out", str(tmp_path / "z.npy"), "--device", "cpu"])
    assert rc == 0
    z = np.load(tmp_path / "z.npy")
    assert z.shape == (3280, 8) and np.isfinite(z).all()
    rows = (tmp_path / "z.rows.csv").read_text().splitlines()
    assert rows[0] == "row,image,sequence,time" and len(rows) == 3281
    assert rows[1].startswith("0,") and "eth80" in rows[1]
    # the checkpoint holds the resolved path: eval works from another folder
    os.chdir(tmp_path)
    assert main(["eval", "--checkpoint", "r/checkpoint.pt", "--device", "cpu", "--metrics",
                 "equivariance", "--no-plots"]) == 0
    # and once the data has moved, the error says to pass --dataset
    shutil.move(tmp_path / "data" / "eth80", tmp_path / "moved")
    capsys.readouterr()
    assert main(["eval", "--checkpoint", "r/checkpoint.pt", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "pass --dataset SPEC" in err


def test_unknown_method_and_dataset_list_valid_ones(tmp_path, capsys):
    rc = main(["train", "--dataset", "eth80:x", "--method", "nope", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown method 'nope'" in err and "equiv+drlim" in err
    rc = main(["train", "--dataset", "nope:x", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown dataset 'nope'" in err and "eth80" in err
    assert err.count("\n") == 1


def test_bad_config_value_is_one_line(tmp_path, shared_data, capsys):
    rc = main(["train", "--dataset", f"eth80:{shared_data / 'eth80'}", "--out", str(tmp_path),
               "--set", "batch_size=0"])
    err = capsys.readouterr().err
    assert rc == 2 and "batch_size must be > 0" in err and err.count("\n") == 1


def test_a_method_key_with_a_bad_value_or_the_wrong_method_is_one_line(tmp_path, capsys):
    for argv, message in ((["--set", "margin=-1"], "margin must be > 0, got -1.0"),
                          (["--method", "vicreg", "--set", "margin=2"],
                           "method vicreg does not read 'margin'")):
        rc = main(["train", "--dataset", "eth80:/nonexistent", "--out", str(tmp_path), *argv])
        err = capsys.readouterr().err
        assert rc == 2 and message in err and err.count("\n") == 1, err


def test_methods_lists_each_methods_keys_with_defaults(capsys):
    assert main(["methods", "vicreg"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("vicreg\n") and "  vicreg_cov = 0.04: " in out
    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    assert "clsnet: no keys of its own" in out and "  sie_hidden = 64: " in out
