import re

import pytest

from egoequiv.config import Config, field_names, load_config, parse_overrides, to_dict
from egoequiv.errors import ConfigError


def test_file_then_overrides(tmp_path):
    f = tmp_path / "run.toml"
    f.write_text("[train]\nlam = 0.3\nbatch_size = 8\nconv_channels = [8, 16]\n")
    cfg = load_config(f, {"batch_size": "4"})
    assert (cfg.lam, cfg.batch_size, cfg.backbone["conv_channels"]) == (0.3, 4, [8, 16])
    assert cfg.iters == Config().iters


@pytest.mark.parametrize("overrides, message", [
    ({"batch_size": "-3"}, "batch_size must be > 0"),
    ({"iters": "3.5"}, "iters must be int"),
    ({"lam": "abc"}, "lam must be float"),
    ({"view_patterns": "grid"}, "view_patterns must be one of"),
    ({"keep_fraction": "0"}, "keep_fraction must be in"),
])
def test_bad_values_give_one_line_errors(overrides, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_config(overrides=overrides)
    assert "\n" not in str(e.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("lam = = 1\n")
    with pytest.raises(ConfigError, match="bad.toml: cannot parse"):
        load_config(bad)


def test_parse_overrides():
    assert parse_overrides(["a=1", "b = x"]) == {"a": "1", "b": "x"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["novalue"])


def test_keys_that_are_not_the_runs_go_to_the_method_and_round_trip():
    cfg = load_config(overrides={"margin": "0.5", "iters": "7"})
    assert cfg.hyperparameters == {"margin": "0.5"} and cfg.iters == 7
    assert "margin" not in field_names()
    again = load_config(overrides=to_dict(cfg))
    assert again == cfg


def test_backbone_keys_are_flat_keys_checked_by_the_backbone(tmp_path):
    cfg = load_config(overrides={"conv_channels": "4,8", "hidden_dim": "16"})
    assert cfg.backbone == {"conv_channels": [4, 8], "hidden_dim": 16, "feature_dim": 64}
    flat = to_dict(cfg)
    assert (flat["conv_channels"], flat["hidden_dim"], flat["feature_dim"]) == ([4, 8], 16, 64)
    assert {"conv_channels", "hidden_dim", "feature_dim"} <= set(field_names())
    f = tmp_path / "run.toml"
    f.write_text("hidden_dim = 0\n")
    with pytest.raises(ConfigError, match=r"run.toml: hidden_dim must be > 0, got 0"):
        load_config(f)


def test_model_is_checked_against_the_backbone_registry():
    from egoequiv.models import BACKBONES

    with pytest.raises(ConfigError, match=re.escape(f"model must be one of {list(BACKBONES)}, "
                                                    "got 'vgg'")):
        load_config(overrides={"model": "vgg"})


def test_a_key_of_another_backbone_is_checked_then_left_out():
    """One base config may serve several models; old configs hold smallnet's keys always."""
    cfg = load_config(overrides={"model": "resnet18", "hidden_dim": 16, "feature_dim": 8})
    assert cfg.backbone == {"feature_dim": 8} and "hidden_dim" not in to_dict(cfg)
    with pytest.raises(ConfigError, match="hidden_dim must be > 0"):
        load_config(overrides={"model": "resnet18", "hidden_dim": -1})


@pytest.mark.parametrize("overrides, message", [
    ({"image_size": 12}, "image_size 12 is too small for smallnet's 2 conv 5x5 \\+ pool blocks"),
    ({"image_size": 30, "conv_channels": "4,8,8"}, "image_size 30 is too small"),
    ({"model": "alexnet", "image_size": 66}, "model alexnet needs image_size >= 67"),
])
def test_each_backbone_checks_the_image_size_it_needs(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)
    assert load_config(overrides={**overrides, "image_size": 67}).image_size == 67


@pytest.mark.parametrize("text, value", [("yes", True), ("No", False), ("1", True),
                                         ("false", False), (True, True), (0, False)])
def test_one_caster_for_config_and_spec_flags(tmp_path, text, value):
    from egoequiv.data.frames_csv import FramesCsvSource

    assert load_config(overrides={"compile": text}).compile is value
    (tmp_path / "frames.csv").write_text("image,sequence,time,motor_x\n")
    assert FramesCsvSource(str(tmp_path), allow_outside=text).option("allow_outside") is value


@pytest.mark.parametrize("value", ["maybe", 2, 0.5])
def test_a_flag_is_only_a_flag(value):
    with pytest.raises(ConfigError, match=r"compile must be bool \(true/false, yes/no, 1/0\)"):
        load_config(overrides={"compile": value})
