"""egoequiv: image features tied to egomotion (Jayaraman & Grauman, IJCV 2017)."""

__version__ = "0.1.0"
