"""egoequiv: image features tied to egomotion (Jayaraman & Grauman, IJCV 2017).

The Python API (docs/api.md): ``egoequiv.load``, ``egoequiv.from_pretrained``,
``egoequiv.train``, ``egoequiv.train_grid``, ``egoequiv.evaluate``,
``egoequiv.evaluate_checkpoint``, ``egoequiv.embed_dataset``, and ``egoequiv.PairDataset``
(the training pairs as a torch Dataset, for a loop of your own); they are imported on first
use, so ``import egoequiv`` stays light.
"""

__version__ = "0.1.0"
#: where each public name lives (imported on first use)
_HOMES = {**{name: "egoequiv.api" for name in (
    "load", "from_pretrained", "train", "train_grid", "evaluate", "evaluate_checkpoint",
    "embed_dataset")}, "PairDataset": "egoequiv.training.pairs_dataset",
    "finetune": "egoequiv.transfer"}
__all__ = list(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'egoequiv' has no attribute {name!r}")
