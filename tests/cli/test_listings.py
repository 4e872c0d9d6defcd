"""``egoequiv backbones`` and ``egoequiv sources`` list each registry with every option's
default and meaning."""

from egoequiv.cli.main import main
from egoequiv.data.registry import SOURCES, source_class
from egoequiv.models import BACKBONES, Backbone
from egoequiv.utils.options import Option


def listed(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_backbones_lists_every_backbone_its_layers_and_keys(capsys, monkeypatch):
    class Wide(Backbone):
        layers = ("fc",)
        options = {"wide_width": Option(7, "width of the one layer")}

    monkeypatch.setitem(BACKBONES, "wide", Wide)
    out = listed(capsys, "backbones")
    heads = [line.split(" ")[0].rstrip(":") for line in out.splitlines()
             if not line.startswith(" ")]
    assert heads == list(BACKBONES)
    assert "smallnet (layers fc1, fc2)\n  conv_channels = [20, 50]: channels of each" in out
    assert "alexnet (layers pool5, fc6, fc7): no keys of its own" in out
    assert "wide (layers fc)\n  wide_width = 7: width of the one layer" in out
    assert listed(capsys, "backbones", "resnet18").splitlines()[0] == "resnet18 (layers pool, fc)"


def test_sources_lists_every_source_and_each_option_with_its_default(capsys):
    out = listed(capsys, "sources")
    heads = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert heads == list(SOURCES)
    for name in ("eth80", "kitti-odometry", "rosbag"):
        for key, option in source_class(name).options.items():
            assert f"  {key} = {option.default!r}" in out or \
                f"  {key} (no default)" in out, (name, key)
    one = listed(capsys, "sources", "kitti-odometry")
    assert one.startswith("kitti-odometry\n  camera = 'grey' (one of grey, colour, image_0")
    assert "  axes = 'body' (one of camera, body): " in listed(capsys, "sources", "rosbag")


def test_an_unknown_name_is_one_line(capsys):
    assert main(["backbones", "vgg"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"egoequiv: error: config: model must be one of {list(BACKBONES)}, got 'vgg'")
    assert main(["sources", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egoequiv: error: unknown dataset 'nope'") and "\n" not in err
