"""Progress bars (rate and ETA) for long work; silent when not on a terminal if asked."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


def progress(total: int | None = None, desc: str = "", unit: str = "it", disable: bool = False,
             **kwargs) -> tqdm:
    """A tqdm bar on stderr. ``EGOEQUIV_QUIET=1`` turns every bar off (tests, CI logs)."""
    disable = disable or os.environ.get("EGOEQUIV_QUIET") == "1"
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr,
                dynamic_ncols=True, mininterval=0.5, **kwargs)
