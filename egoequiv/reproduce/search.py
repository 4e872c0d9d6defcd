"""Greedy cross-validation, as in the paper's appendix: one hyperparameter at a time, the
others held at the values already chosen.

``choose`` is pure: it takes a score per candidate value (higher is better; None = the run
failed or could not be measured) and returns the best. Ties go to the earlier value in the
grid, so the grid's order states the preference (e.g. the smaller lam).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def choose(grid: Sequence, score: Callable[[object], float | None]) -> tuple[object, dict]:
    """The grid value with the highest ``score`` and every value's score.

    Raises ValueError when no value could be scored."""
    scores = {value: score(value) for value in grid}
    scored = [(s, -k, v) for k, (v, s) in enumerate(scores.items()) if s is not None]
    if not scored:
        raise ValueError(f"no value of {list(grid)} could be scored")
    return max(scored)[2], scores


def lam_grid(low_exp: float, high_exp: float) -> list[float]:
    """10^e for e = low_exp, low_exp + 0.5, ..., high_exp (the paper's 10^0.5 steps)."""
    count = int(round((high_exp - low_exp) / 0.5)) + 1
    return [float(round(10 ** (low_exp + 0.5 * k), 6)) for k in range(count)]
