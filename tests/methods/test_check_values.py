"""A method is built with its value checks (``check_values``) and passes them to its losses."""

import pytest
import torch

from egoequiv.config import load_config
from egoequiv.methods import resolve_config
from egoequiv.methods.batch import make_batch
from egoequiv.training.checkpoint import build_method

TINY = {"image_size": 16, "channels": 1, "conv_channels": "4,8", "hidden_dim": 16,
        "feature_dim": 8, "method": "equiv"}


def batch_with_a_bad_pattern():
    gen = torch.Generator().manual_seed(0)
    pos = {s: torch.randn(4, 1, 16, 16, generator=gen) for s in ("pos_i", "pos_j")}
    return make_batch(pos, pattern=torch.tensor([0, 1, 3, 0]), motion=torch.zeros(4, 2))


@pytest.mark.parametrize("check_values", [None, True, False])
def test_the_flag_a_method_is_built_with_reaches_its_loss(check_values):
    cfg = resolve_config(load_config(overrides=TINY))
    method = build_method(cfg, 1, 0, 3, 2, check_values=check_values)  # patterns 0..2
    assert method.check_values is check_values
    if check_values is False:
        loss, _ = method(batch_with_a_bad_pattern())
        assert torch.isfinite(loss)
    else:  # None: on the CPU, as here
        with pytest.raises(ValueError, match=r"pattern values must lie in \[0, 3\)"):
            method(batch_with_a_bad_pattern())
