"""Each method declares its own keys: defaults, checks, and one declaration per key."""

import pytest

from egoequiv.config import load_config
from egoequiv.errors import ConfigError
from egoequiv.methods import METHODS, Method, Needs, all_hyperparameters, resolve_config
from egoequiv.methods.hyperparameter import Hyperparameter, declared
from egoequiv.training.checkpoint import load_run


def resolved(**overrides):
    return resolve_config(load_config(overrides=overrides)).hyperparameters


def test_unset_keys_take_their_declared_defaults_and_set_ones_are_cast():
    hp = resolved(method="equiv+drlim", margin="0.5", map_hidden="32")
    assert hp["margin"] == 0.5 and hp["map_hidden"] == 32
    assert hp["equiv_margin_with_drlim"] == 0.1 and hp["contrastive_form"] == "legacy"
    assert resolved(method="clsnet") == {}


@pytest.mark.parametrize("overrides, message", [
    ({"method": "equiv", "contrastive_form": "cosine"},
     r"contrastive_form must be one of \['legacy', 'hadsell'\], got 'cosine'"),
    ({"method": "simclr", "simclr_temperature": "0"}, "simclr_temperature must be > 0"),
    ({"method": "vicreg", "vicreg_cov": "-1"}, "vicreg_cov must be >= 0"),
    ({"method": "lsm", "lsm_hidden": "2.5"}, "lsm_hidden must be int"),
    ({"method": "equiv", "batchsize": "3"}, "unknown config key 'batchsize' .*batch_size"),
    ({"method": "clsnet", "margin": "0.5"},
     "method clsnet does not read 'margin' .*drlim, temporal.*its own keys: none"),
])
def test_bad_method_keys_give_one_line_errors(overrides, message):
    with pytest.raises(ConfigError, match=message) as e:
        resolved(**overrides)
    assert "\n" not in str(e.value)


def test_not_strict_drops_other_methods_keys_but_still_checks_its_own():
    cfg = load_config(overrides={"method": "clsnet", "margin": "0.5"})
    assert resolve_config(cfg, strict=False).hyperparameters == {}
    with pytest.raises(ConfigError, match="unknown config key 'nope'"):
        resolve_config(load_config(overrides={"nope": 1}), strict=False)


def test_a_key_shared_by_methods_has_one_declaration():
    for key, (hp, names) in all_hyperparameters().items():
        assert all(declared(METHODS[n])[key] is hp for n in names), key


def test_resolving_twice_changes_nothing():
    cfg = resolve_config(load_config(overrides={"method": "vicreg", "vicreg_sim": 2}))
    assert resolve_config(cfg) == cfg


def test_parse_casts_to_the_defaults_type():
    h = Hyperparameter(3, "a width", positive=True)
    assert h.parse("w", "4") == 4
    with pytest.raises(ConfigError, match="w must be > 0, got 0"):
        h.parse("w", 0)


class _Shrink(Method):
    """A method from outside the package: its own key, no other file touched."""

    requires = Needs(pairs="all")
    hyperparameters = {"shrink_weight": Hyperparameter(1.0, "weight of the pull")}

    def unsupervised(self, z, batch):
        return {"shrink": self.hp.shrink_weight * (z["pos_i"] - z["pos_j"]).pow(2).mean()}


def test_a_registered_method_with_a_new_key_trains_with_nothing_else_changed(
        monkeypatch, tmp_path, shared_data):
    from egoequiv.training.trainer import train

    monkeypatch.setitem(METHODS, "shrink", _Shrink)
    cfg = load_config(overrides={"method": "shrink", "shrink_weight": "0.5", "image_size": 16,
                                 "iters": 2, "batch_size": 4})
    result = train(cfg, f"eth80:{shared_data / 'eth80'}", tmp_path, quiet=True)
    assert result["config"]["shrink_weight"] == 0.5 and result["iterations"] == 2
    assert load_run(tmp_path / "checkpoint.pt").method.hp.shrink_weight == 0.5
