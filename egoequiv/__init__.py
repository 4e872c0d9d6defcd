"""egoequiv: image features tied to egomotion (Jayaraman & Grauman, IJCV 2017).

The Python API (docs/api.md): ``egoequiv.load``, ``egoequiv.train``, ``egoequiv.train_grid``,
``egoequiv.evaluate``, ``egoequiv.evaluate_checkpoint``, ``egoequiv.embed_dataset``; they are
imported on first use, so ``import egoequiv`` stays light.
"""

__version__ = "0.1.0"
__all__ = ["load", "train", "train_grid", "evaluate", "evaluate_checkpoint", "embed_dataset"]


def __getattr__(name):
    if name in __all__:
        from egoequiv import api

        return getattr(api, name)
    raise AttributeError(f"module 'egoequiv' has no attribute {name!r}")
