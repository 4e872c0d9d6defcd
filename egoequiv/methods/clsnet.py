"""clsnet: the supervised baseline, softmax on the labelled images only."""

from egoequiv.methods.base import Method


class ClsNet(Method):
    pairs = None
