"""``egoequiv finetune`` on real data at a tiny size: a backbone pretrained without labels on
ETH-80 (16x16 grey, a few iterations), finetuned to ETH-80's and 15-Scene's labels."""

import json
import shutil

import numpy as np
import pytest
import torch

import egoequiv
from egoequiv.cli.main import main
from egoequiv.data.cache import load_frames
from egoequiv.data.registry import open_source
from egoequiv.evaluation import record
from egoequiv.training.checkpoint import read_checkpoint
from egoequiv.training.export import export_backbone, load_exported
from egoequiv.transfer import finetune
from egoequiv.transfer.fit import Classifier, Inputs, Schedule, choose_lr, measure
from egoequiv.transfer.run import derive
from egoequiv.transfer.splits import make_splits, nested_subsets

TINY = {"image_size": 16, "channels": 1, "conv_channels": [4, 8], "hidden_dim": 16,
        "feature_dim": 8, "batch_size": 8, "iters": 20, "labels_per_class": 0}
#: a finetuning schedule that takes a second or two per call
QUICK = dict(labels_per_class=[2, 4], splits=2, lr_grid=[0.1, 0.01], iters=12,
             batch_size=8, eval_every=4, patience=2, device="cpu")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: the CI machine's cores are shared, and two threads that wait on
    each other are ten times slower than one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def eth80(shared_data):
    return f"eth80:{shared_data / 'eth80'}"


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, eth80):
    """A checkpoint pretrained without labels (equiv on ETH-80's view pairs)."""
    out = tmp_path_factory.mktemp("pretrain")
    egoequiv.train(dataset=eth80, out=out, method="equiv", **TINY)
    return out / "checkpoint.pt"


@pytest.fixture(scope="module")
def both(tmp_path_factory, pretrained, eth80):
    """Pretrained and random init, full finetuning, from the command line."""
    out = tmp_path_factory.mktemp("both")
    args = ["finetune", "--checkpoint", str(pretrained), "--dataset", eth80, "--out", str(out),
            "--labels-per-class", "2,4", "--splits", "2", "--lr-grid", "0.1,0.01",
            "--iters", "12", "--batch-size", "8", "--eval-every", "4", "--patience", "2",
            "--device", "cpu", "--quiet"]
    assert main(args) == 0
    return out


def test_results_per_label_count_and_init_with_mean_and_std(both):
    rec = record.read(both / "metrics.json")
    assert rec["provenance"] == "finetune" and rec["num_classes"] == 8
    rows = {(r["init"], r["labels_per_class"]): r for r in rec["finetune"]}
    assert sorted(rows) == [("pretrained", 2), ("pretrained", 4), ("random", 2), ("random", 4)]
    for r in rows.values():
        per = r["per_split"]
        assert len(per) == 2 and all(0 <= t <= 1 for t in per) and r["layer"] == "fc2"
        assert r["top1"] == {"mean": pytest.approx(np.mean(per)),
                             "std": pytest.approx(np.std(per, ddof=1)), "n": 2}
        assert all(lr in (0.1, 0.01) for lr in r["lr"])
    # random init is another starting point: the same schedule gives other numbers
    assert rows["pretrained", 2]["per_split"] != rows["random", 2]["per_split"]
    gaps = {g["labels_per_class"]: g for g in rec["finetune_gaps"]}
    assert gaps[2]["gap"] == pytest.approx(rows["pretrained", 2]["top1"]["mean"]
                                           - rows["random", 2]["top1"]["mean"])
    assert isinstance(gaps[2]["clear"], bool)
    report = (both / "report.md").read_text()
    assert "pretrained − random" in report and "finetune_top1.png" in report
    assert (both / "finetune_top1.png").stat().st_size > 1000


def test_the_checkpoint_loads_exports_and_gives_its_recorded_top1(both, eth80, tmp_path):
    model = egoequiv.load(both / "checkpoint.pt")
    info = read_checkpoint(both / "checkpoint.pt")["extra"]["finetune"]
    assert model.config.method == "clsnet" and info["labels_per_class"] == 4
    frames = load_frames(open_source(eth80), 16, 1)
    test = np.flatnonzero(frames.table.split == "test")
    with torch.no_grad():
        logits = model.method.classify(model._run.normalizer(torch.from_numpy(
            np.asarray(frames.images[test]))))
    top1 = float((logits.argmax(1).numpy() == frames.table.labels[test]).mean())
    assert top1 == pytest.approx(info["test_top1"])  # the cell the checkpoint holds
    rows = record.read(both / "metrics.json")["finetune"]
    kept = next(r for r in rows if (r["init"], r["labels_per_class"]) == ("pretrained", 4))
    assert kept["per_split"][0] == pytest.approx(info["test_top1"])
    written = export_backbone(both / "checkpoint.pt", tmp_path / "backbone.pt")
    net = load_exported(written[0])
    assert all(torch.equal(v, model.backbone.state_dict()[k])
               for k, v in net.state_dict().items())


def test_lr_and_iterate_are_chosen_on_validation_never_on_test(tmp_path, shared_data,
                                                               pretrained, monkeypatch):
    """Two copies of a small 15-Scene tree that differ only in their test images' labels:
    every choice is the same, so none saw the test split; and the test split is scored
    once per cell, after the choice."""
    import egoequiv.transfer.run as run_module

    def tree(root, shift):
        classes = ["Coast", "Forest", "Highway"]
        for k, name in enumerate(classes):
            for part, count in (("train", 12), ("test", 6)):
                # (15-Scene spells its test folders in lower case)
                folder = shared_data / "scene15" / part / (name if part == "train" else
                                                           name.lower())
                files = sorted(folder.glob("*.jpg"))[:count]
                # the test images of class k are filed under class k + shift
                dest = root / part / (classes[(k + shift) % 3] if part == "test" else name)
                dest.mkdir(parents=True, exist_ok=True)
                for f in files:
                    shutil.copy(f, dest / f.name)
        return f"imagefolder:{root}"

    calls = []
    real = run_module.measure
    monkeypatch.setattr(run_module, "measure",
                        lambda model, inputs, idx, labels: calls.append(len(idx)) or
                        real(model, inputs, idx, labels))
    settings = dict(QUICK, val_fraction=0.25, init="pretrained")
    a = finetune(pretrained, dataset=tree(tmp_path / "a", 0), out=tmp_path / "out_a",
                 **settings)
    b = finetune(pretrained, dataset=tree(tmp_path / "b", 1), out=tmp_path / "out_b",
                 **settings)
    assert calls == [18] * 8  # one test read per (label count, split), of the 18 images
    for ra, rb in zip(a["finetune"], b["finetune"], strict=True):
        for key in ("lr", "val_top1", "val_top1_by_lr", "best_iteration", "stopped_early"):
            assert ra[key] == rb[key], key
    assert a["config"]["images"] == {"pool": 27, "validation": 9, "test": 18}


def test_freeze_all_is_a_linear_head_on_the_frozen_features(tmp_path, pretrained, eth80):
    out = tmp_path / "linear"
    result = finetune(pretrained, dataset=eth80, out=out, init="pretrained", freeze="all",
                      layers=["fc1", "fc2"], **QUICK)
    before = read_checkpoint(pretrained)["model"]
    after = read_checkpoint(out / "checkpoint.pt")["model"]
    backbone = [k for k in after if k.startswith("backbone.")]
    assert backbone and all(torch.equal(after[k], before[k]) for k in backbone)  # untouched
    # the same head trained on features that the loaded pretrained model gives
    model = egoequiv.load(pretrained)
    frames = load_frames(open_source(eth80), 16, 1)
    splits = make_splits(frames, 0.5, 0.2)
    labels = frames.table.labels
    rows = np.arange(len(frames))
    with torch.no_grad():
        feats = model.backbone(model._run.normalizer(torch.from_numpy(
            np.asarray(frames.images))))
    schedule = Schedule(12, 8, 5e-4, eval_every=4, patience=2)
    for li, layer in enumerate(["fc1", "fc2"]):
        inputs = Inputs(features=feats[layer], rows=rows)
        subset = nested_subsets(labels, splits.pool, [2, 4], 0, 1)[4]
        seed = derive(0, 1, 4, li)
        def make(layer=layer, inputs=inputs, subset=subset, seed=seed):
            head = Classifier(None, layer, feats[layer].shape[1], 8, seed)
            return head.standardise(inputs, subset)

        chosen, _, _ = choose_lr(make, inputs, labels, subset, splits.val, [0.1, 0.01],
                                 schedule, seed)
        top1, _ = measure(chosen, inputs, splits.test, labels)
        row = next(r for r in result["finetune"] if (r["layer"], r["labels_per_class"])
                   == (layer, 4))
        assert row["per_split"][1] == pytest.approx(top1, abs=1e-9)


def test_freeze_layer_trains_only_above_it(tmp_path, pretrained, eth80):
    out = tmp_path / "above"
    finetune(pretrained, dataset=eth80, out=out, init="pretrained", freeze="fc1",
             **dict(QUICK, labels_per_class=[4], splits=1))
    before = read_checkpoint(pretrained)["model"]
    after = read_checkpoint(out / "checkpoint.pt")["model"]
    for key in ("conv.0.weight", "conv.3.bias", "fc1.weight", "fc1.bias"):
        assert torch.equal(after[f"backbone.{key}"], before[f"backbone.{key}"]), key
    assert not torch.equal(after["backbone.fc2.weight"], before["backbone.fc2.weight"])


def test_an_export_and_its_checkpoint_finetune_to_the_same_numbers(tmp_path, pretrained,
                                                                   eth80):
    export_backbone(pretrained, tmp_path / "backbone.pt")
    settings = dict(QUICK, labels_per_class=[2], splits=2)
    a = finetune(pretrained, dataset=eth80, out=tmp_path / "a", **settings)
    b = finetune(backbone=tmp_path / "backbone.pt", dataset=eth80, out=tmp_path / "b",
                 **settings)
    assert a["finetune"] == b["finetune"] and a["finetune_gaps"] == b["finetune_gaps"]
    ma = read_checkpoint(tmp_path / "a" / "checkpoint.pt")["model"]
    mb = read_checkpoint(tmp_path / "b" / "checkpoint.pt")["model"]
    assert all(torch.equal(ma[k], mb[k]) for k in ma)
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["pretrained"]["kind"] \
        == "export"


@pytest.mark.parametrize("extra, message", [
    (["--layers", "fc9"], "--layers 'fc9' is not a layer of smallnet; its layers: fc1, fc2"),
    (["--freeze", "conv"], "--freeze 'conv' is not a layer of smallnet"),
    (["--init", "imagenet"], "--init must be among pretrained, random"),
])
def test_bad_settings_are_one_line(tmp_path, pretrained, eth80, capsys, extra, message):
    args = ["finetune", "--checkpoint", str(pretrained), "--dataset", eth80,
            "--out", str(tmp_path), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "metrics.json").exists()


def test_a_source_without_labels_and_a_missing_checkpoint_are_one_line(
        tmp_path, pretrained, shared_data, capsys):
    kitti = f"kitti-odometry:{shared_data / 'kitti_odometry'}"
    assert main(["finetune", "--checkpoint", str(pretrained), "--dataset", kitti,
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "has no class labels" in err and len(err.strip().splitlines()) == 1
    assert main(["finetune", "--checkpoint", str(tmp_path / "nope.pt"), "--dataset", kitti,
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nope.pt: checkpoint does not exist" in err and len(err.strip().splitlines()) == 1
    assert main(["finetune", "--backbone", str(tmp_path / "nope.pt"), "--dataset", kitti,
                 "--out", str(tmp_path)]) == 2
    assert "nope.pt.json: missing" in capsys.readouterr().err
    # the pretraining's own folder as --out would lose its checkpoint: refused
    assert main(["finetune", "--checkpoint", str(pretrained), "--dataset", kitti,
                 "--out", str(pretrained.parent)]) == 2
    err = capsys.readouterr().err
    assert "holds another run" in err and len(err.strip().splitlines()) == 1


def test_a_head_below_the_top_layer_is_kept_beside_the_model(tmp_path, pretrained, eth80):
    out = tmp_path / "fc1"
    result = finetune(pretrained, dataset=eth80, out=out, init="random", layers=["fc1"],
                      **dict(QUICK, labels_per_class=[4], splits=1))
    model = egoequiv.load(out / "checkpoint.pt")  # no head of its own: embed gives fc1
    head = read_checkpoint(out / "checkpoint.pt")["extra"]["finetune_head"]
    frames = load_frames(open_source(eth80), 16, 1)
    test = np.flatnonzero(frames.table.split == "test")
    z = torch.from_numpy(model.embed(np.asarray(frames.images[test])))
    assert head["layer"] == "fc1" and z.shape[1] == 16 and model.method.head is None
    logits = torch.relu(z) @ head["weight"].T + head["bias"]
    top1 = float((logits.argmax(1).numpy() == frames.table.labels[test]).mean())
    assert top1 == pytest.approx(result["finetune"][0]["per_split"][0])
