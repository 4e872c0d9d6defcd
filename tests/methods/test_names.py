"""A mistyped name is answered with the closest valid one."""

import pytest

from egoequiv.errors import EgoequivError
from egoequiv.methods import method_class
from egoequiv.utils.options import Option, did_you_mean


def test_a_mistyped_method_gets_a_did_you_mean():
    with pytest.raises(EgoequivError, match=r"did you mean 'equiv\+drlim'\?$"):
        method_class("equiv+drlm")
    with pytest.raises(EgoequivError) as e:
        method_class("alexnet18")  # nothing close: no guess
    assert "did you mean" not in str(e.value)


def test_a_mistyped_choice_gets_a_did_you_mean():
    with pytest.raises(Exception, match=r"did you mean 'camera'\?"):
        Option("camera", "axes", choices=("camera", "body")).parse("axes", "camra")
    assert did_you_mean("xyz", ["camera"]) == ""
