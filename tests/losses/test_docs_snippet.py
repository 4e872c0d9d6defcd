"""docs/losses.md, "Using the losses in your own loop": its code block runs as written and
trains (finite losses, the maps get gradients)."""

import math
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "losses.md"
HEADING = "## Using the losses in your own loop"


def snippet() -> str:
    section = DOC.read_text().split(HEADING, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section holds one python block"
    return blocks[0]


def test_the_own_loop_snippet_runs_and_trains(capsys):
    scope = {}
    exec(compile(snippet(), f"{DOC}:{HEADING}", "exec"), scope)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == ["step 0", "step 1", "step 2"]
    assert all(math.isfinite(float(line.rsplit(" ", 1)[1])) for line in printed)
    assert scope["maps"].grad is not None and scope["maps"].grad.abs().sum() > 0
