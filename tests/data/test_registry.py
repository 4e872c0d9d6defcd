"""Each source declares its options in its file (default, meaning, check); the spec is cast
and checked by those declarations, and an unknown option is refused by name."""

import pytest

from egoequiv.data.registry import SOURCES, describe, open_source, source_class
from egoequiv.errors import ConfigError
from egoequiv.utils.options import Option

DATA_SOURCES = [n for n, where in SOURCES.items() if where.startswith("egoequiv.data.")]


@pytest.mark.parametrize("name", DATA_SOURCES)
def test_each_option_is_declared_documented_and_its_default_passes_its_check(name):
    for key, option in source_class(name).options.items():
        assert isinstance(option, Option) and option.doc, key
        if option.default is not None:
            assert option.parse(key, option.default) == option.default, key


def test_the_defaults_that_differ_between_sources_are_kept_and_say_why():
    axes = {n: source_class(n).options["axes"] for n in ("rosbag", "frames-csv", "video")}
    assert {n: o.default for n, o in axes.items()} == {
        "rosbag": "body", "frames-csv": "camera", "video": "camera"}
    assert all("because" in o.doc for o in axes.values())
    raw, odometry = source_class("kitti-raw").options, source_class("kitti-odometry").options
    assert (raw["camera"].default, odometry["camera"].default) == ("image_02", "grey")
    assert (raw["motor"].default, odometry["motor"].default) == ("heading", "pose")
    assert "kitti-odometry" in raw["camera"].doc and "kitti-raw" in odometry["camera"].doc


def test_a_spec_is_cast_by_the_declarations_and_unset_options_read_their_defaults(
        shared_data):
    source = open_source(f"eth80:{shared_data / 'eth80'},polar_step=30")
    assert source.opts == {"polar_step": 30.0}
    assert (source.option("polar_step"), source.option("azimuth_step")) == (30.0, 46.0)
    assert source.table().neighbours.steps == (30.0, 46.0)


@pytest.mark.parametrize("spec, message", [
    ("eth80:{data},polar=3", r"dataset 'eth80': unknown option 'polar' \(valid options: "
                             r"azimuth_step, polar_step\)"),
    ("imagefolder:{data},split=1", r"unknown option 'split' \(valid options: none\)"),
    ("eth80:{data},polar_step=-2", r"dataset 'eth80': polar_step must be > 0, got -2.0"),
    ("eth80:{data},polar_step=wide", r"polar_step must be float, got 'wide'"),
    ("video:{data},axes=world", r"axes must be one of \['camera', 'body'\], got 'world'"),
])
def test_bad_options_are_one_line_naming_the_option(shared_data, spec, message):
    with pytest.raises(ConfigError, match=message) as e:
        open_source(spec.format(data=shared_data / "eth80"))
    assert "\n" not in str(e.value)


def test_describe_lists_every_source_once_with_its_options():
    rows = describe()
    assert list(dict.fromkeys(r["source"] for r in rows)) == list(SOURCES)
    sun = [r for r in rows if r["source"] == "sun397"]
    assert [(r["key"], r["default"]) for r in sun] == [("split", 1)]
    assert [r["key"] for r in describe("smallnorb")] == [None]


def test_a_spec_is_made_absolute_as_typed_keeping_its_symlinks(tmp_path, shared_data,
                                                                monkeypatch):
    """input: a relative spec through a symlink ``data -> shared data``."""
    from egoequiv.data.spec import resolve_spec

    (tmp_path / "data").symlink_to(shared_data)
    monkeypatch.chdir(tmp_path)
    want = f"imagefolder:{tmp_path / 'data' / 'scene15'}"
    assert resolve_spec("imagefolder:data/scene15") == want
    assert resolve_spec("imagefolder:./data/scene15/,size=32") == f"{want},size=32"
    assert resolve_spec("imagefolder:no/such/folder") == "imagefolder:no/such/folder"
    assert resolve_spec("rendered-objects:instances=4") == "rendered-objects:instances=4"


def test_a_short_spec_names_the_source_and_its_folder_not_an_option():
    from egoequiv.data.spec import short_spec

    assert short_spec("rosbag:/data/bags,image=/camera/image,odom=/odom") == "rosbag bags"
    assert short_spec("eth80:../shared/data/eth80/") == "eth80 eth80"
    assert short_spec("rendered-objects:instances=4") == "rendered-objects"
