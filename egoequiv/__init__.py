"""egoequiv: image features tied to egomotion (Jayaraman & Grauman, IJCV 2017).

The Python API (docs/api.md): ``egoequiv.load``, ``egoequiv.from_pretrained``,
``egoequiv.train``, ``egoequiv.train_grid``, ``egoequiv.evaluate``,
``egoequiv.evaluate_checkpoint``, ``egoequiv.embed_dataset``, ``egoequiv.frames`` (a
dataset's decoded frames), ``egoequiv.finetune``, ``egoequiv.PairDataset`` (the training
pairs as a torch Dataset, for a loop of your own) and ``egoequiv.LabelledFrames`` (its
labelled frames); they are imported on first use, so
``import egoequiv`` stays light.

``module 'egoequiv' has no attribute 'load'`` means this file was not imported: a folder
named ``egoequiv`` without it (a clone's root, in the current directory) was taken as the
package; see docs/api.md, "When egoequiv.load is missing".
"""

__version__ = "0.1.0"
#: where each public name lives (imported on first use)
_HOMES = {**{name: "egoequiv.api" for name in (
    "load", "from_pretrained", "train", "train_grid", "evaluate", "evaluate_checkpoint",
    "embed_dataset", "frames")}, "PairDataset": "egoequiv.training.pairs_dataset",
    "LabelledFrames": "egoequiv.training.pairs_dataset",
    "finetune": "egoequiv.transfer"}
__all__ = list(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'egoequiv' has no attribute {name!r}")
