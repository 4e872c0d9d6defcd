"""clsnet: the supervised baseline, softmax on the labelled images only."""

from egoequiv.methods.base import Method, Needs


class ClsNet(Method):
    requires = Needs(labels=True)
