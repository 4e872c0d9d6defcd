"""The run record: one writer, one reader, the same keys from every producer."""

import ast
import json
from pathlib import Path

import pytest

from egoequiv.evaluation import record
from egoequiv.evaluation.suite import KEYS as SUITE_KEYS

PACKAGE = Path(__file__).resolve().parents[2] / "egoequiv"


def test_only_the_record_module_names_the_file():
    """No other module spells metrics.json, so no other module can write or read it."""
    named = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "metrics.json" in node.value and not node.value.lstrip().count(" "):
                named.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(named)) == ["evaluation/record.py"]


def test_a_record_has_every_suite_key_identity_and_the_flat_nbv():
    r = record.make("control", method="pixels", dataset="d",
                    measurements={"top1": 0.5, "next_best_view": {"accuracy_chosen": 0.7,
                                                                  "accuracy_random": 0.6}},
                    config={"seed": 3, "label_split": 1, "labels_per_class": 5})
    assert set(SUITE_KEYS) <= set(r) and r["top1"] == 0.5 and r["equivariance_error"] is None
    assert (r["seed"], r["label_split"], r["labels_per_class"]) == (3, 1, 5)
    assert (r["nbv_chosen"], r["nbv_random"], r["nbv_best"]) == (0.7, 0.6, None)
    assert (r["provenance"], r["status"]) == ("control", "finished")


def test_unknown_keys_provenance_and_status_are_refused():
    with pytest.raises(ValueError, match="unknown keys \\['toppp1'\\]"):
        record.make("train", method="m", dataset="d", toppp1=0.3)
    with pytest.raises(ValueError, match="provenance"):
        record.make("trained", method="m", dataset="d")
    with pytest.raises(ValueError, match="status"):
        record.make("train", method="m", dataset="d", status="done")


def test_written_and_read_back_alike(tmp_path):
    r = record.make("eval", method="equiv", dataset="d", measurements={"top1": 0.25},
                    checkpoint="c.pt")
    path = record.write(tmp_path, r)
    assert path == tmp_path / "metrics.json"
    back = record.read(path)
    assert {k: v for k, v in back.items() if k != "_path"} == r
    assert back["_path"] == str(path)


def test_a_file_that_is_not_a_record_is_named(tmp_path):
    (tmp_path / "metrics.json").write_text("{not json")
    with pytest.raises(record.RecordError, match="metrics.json: not readable JSON"):
        record.read(tmp_path / "metrics.json")
    (tmp_path / "metrics.json").write_text(json.dumps({"top1": 1}))
    with pytest.raises(record.RecordError, match='no "method"'):
        record.read(tmp_path / "metrics.json")


def test_reused_only_with_the_same_config_and_every_metric_measured(tmp_path):
    cfg = {"seed": 0, "lr": 0.1}
    done = record.make("train", method="m", dataset="d", config=cfg,
                       measurements={"measured": ["recognition", "equivariance"]})
    record.write(tmp_path, done)
    assert record.reusable(tmp_path, cfg, ["recognition"]) is not None
    assert record.reusable(tmp_path, cfg, ["recognition", "slowness"]) is None
    assert record.reusable(tmp_path, {**cfg, "lr": 0.2}, ["recognition"]) is None
    assert record.reusable(tmp_path, cfg, None) is None  # all: not every one was measured
    diverged = record.make("train", method="m", dataset="d", config=cfg, status="diverged",
                           diverged="loss nan")
    record.write(tmp_path, diverged)
    assert record.reusable(tmp_path, cfg, None)["status"] == "diverged"  # not retried
