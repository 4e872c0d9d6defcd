import pytest

from egoequiv.config import Config, field_names, load_config, parse_overrides, to_dict
from egoequiv.errors import ConfigError


def test_file_then_overrides(tmp_path):
    f = tmp_path / "run.toml"
    f.write_text("[train]\nlam = 0.3\nbatch_size = 8\nconv_channels = [8, 16]\n")
    cfg = load_config(f, {"batch_size": "4"})
    assert (cfg.lam, cfg.batch_size, cfg.conv_channels) == (0.3, 4, [8, 16])
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
