"""How every benchmark shows its figures: one aligned line per key, and a JSON file if asked."""

from __future__ import annotations

import json
from pathlib import Path


def report(result: dict, json_path: str | None) -> None:
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:>{width}}: {v:.3f}" if isinstance(v, float) else f"{k:>{width}}: {v}")
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
