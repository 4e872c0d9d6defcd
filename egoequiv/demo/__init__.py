"""``egoequiv demo``: the paper's comparison on the embedded rendered data."""
