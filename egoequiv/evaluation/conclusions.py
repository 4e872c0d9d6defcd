"""What a reader should conclude from a table of runs, in words: the best method on each
measure, whether its lead over the next exceeds the spread over label splits, how far each
equivariance error lies below the identity's 1.0, and what the runs' warnings mean.

The rule for "a clear difference", shared with ``egoequiv reproduce``'s report: the gap
between two means must exceed ``CLEAR_FACTOR`` (2) times the larger of their two sample
standard deviations over splits. With one split per method there is no spread, and the report
says so instead of declaring a winner.
"""

from __future__ import annotations

import math

import numpy as np

from egoequiv.evaluation.suite import COLUMNS

#: the measures a conclusion is drawn on: (key, name, True if higher is better), from the
#: suite's registry (columns with a direction)
MEASURES = [(c.key, c.label or c.title, c.higher_is_better) for c in COLUMNS
            if c.higher_is_better is not None]
#: each measure's score of no information (``Column.null``), where it has one
NULLS = {c.key: c.null for c in COLUMNS if c.null is not None}
#: what every table's ± is taken over, in the words every report uses
SPREAD = ("mean ± sample std over a method's runs (its seeds and label splits; one run: no "
          "± shown)")

#: what a warning's kind means for the numbers next to it
WARNING_MEANINGS = [
    ("no test pairs", "that motion pattern has no test pair: its per-pattern error is not "
                      "measured, and the mean error averages the other patterns only"),
    ("no training pairs to fit its map", "that pattern's refitted map could not be fitted; "
                                         "it is left out of the error"),
    ("worse than no change", "the refitted map, fitted on training pairs, predicts the test "
                             "pairs worse than the identity: that pattern is not learned in a "
                             "way that carries to new sequences"),
    ("mixes motions", "one affine map cannot model a pattern that lumps different motions; "
                      "its error is pessimistic"),
    ("no labelled training frame", "top-1 cannot be earned on those classes"),
    ("diverged", "the run diverged (lr or lam too high); it has no measurements"),
    ("0/0", "pairs whose two features are identical are left out of the ratio"),
]


#: a gap is clear when it exceeds this many times the larger split std
CLEAR_FACTOR = 2.0


def is_clear(gap: float, spread: float) -> bool:
    """Whether a gap between two means stands out of their spread (module doc)."""
    return abs(gap) > CLEAR_FACTOR * spread


def decimals(std: float | None) -> int:
    """Decimals that a value with this spread supports: the std's first significant digit,
    or its first two when they start with 1 or 2 (0.084 -> 2, 0.14 -> 2, 0.0031 -> 3,
    0.6 -> 1); 3 when there is no spread."""
    if std is None or not math.isfinite(std) or std <= 0:
        return 3
    first = -math.floor(math.log10(std))
    leading = int(std * 10 ** first)
    return int(min(4, max(1, first + (leading < 3))))


def fmt(mean: float, std: float | None) -> str:
    d = decimals(std)
    return f"{mean:.{d}f}" + (f" ± {std:.{d}f}" if std is not None else "")


def mean_std(values) -> tuple[float | None, float | None, int]:
    """(mean, sample std or None for one value, count) of the finite numbers in ``values``
    (None and missing measurements are skipped); (None, None, 0) when there are none."""
    vals = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v)]
    if not vals:
        return None, None, 0
    return float(np.mean(vals)), (float(np.std(vals, ddof=1)) if len(vals) > 1 else None), \
        len(vals)


def summary(values) -> dict | None:
    """{"mean", "std", "n"} of ``mean_std`` (None when nothing was measured): the form the
    JSON results take."""
    mean, std, n = mean_std(values)
    return {"mean": mean, "std": std, "n": n} if n else None


def run_label(m: dict) -> str:
    """A table row's name: the method, with a grid member's values other than the seed and
    label split (over which rows take mean ± std) and the ``settings`` in which it differs
    from the method's other runs (``report.gather``), e.g. ``equiv+drlim [lam=0.316]``."""
    values = {k: v for k, v in {**(m.get("grid") or {}), **(m.get("settings") or {})}.items()
              if k not in ("seed", "label_split")}
    return m["method"] + (f" [{', '.join(f'{k}={v}' for k, v in values.items())}]"
                          if values else "")


def conclusions(runs: list[dict]) -> list[str]:
    """Markdown bullet lines of conclusions for the runs of one dataset."""
    methods: dict[str, list[dict]] = {}
    for r in runs:
        methods.setdefault(run_label(r), []).append(r)
    lines = []
    for key, name, higher in MEASURES:
        stats = {m: mean_std([r.get(key) for r in rs]) for m, rs in methods.items()}
        stats = {m: s for m, s in stats.items() if s[2]}
        if len(stats) < 2:
            continue
        order = sorted(stats, key=lambda m: stats[m][0], reverse=higher)
        null = NULLS.get(key)
        beats = [m for m in order if null is None or
                 (stats[m][0] > null if higher else stats[m][0] < null)]
        if not beats:  # a "best" no better than no information would mislead
            lines.append(f"- **{name}**: none beats no information ({null:g}); closest "
                         f"{order[0]} ({fmt(*stats[order[0]][:2])}).")
            continue
        best = beats[0]
        second = next(m for m in order if m != best)
        (mb, sb, _), (ms, ss, _) = stats[best], stats[second]
        gap = abs(mb - ms)
        spread = max((s for s in (sb, ss) if s is not None), default=None)
        if spread is None:
            verdict = "one run each: no spread to judge the gap by"
        elif is_clear(gap, spread):
            verdict = f"a clear gap: {gap:.{decimals(spread)}f}, more than twice the larger " \
                      f"std over runs ({spread:.{decimals(spread)}f})"
        else:
            verdict = f"the gap {gap:.{decimals(spread)}f} is within twice the larger std " \
                      f"over runs ({spread:.{decimals(spread)}f}): not a reliable difference"
        lines.append(f"- **{name}**: best {best} ({fmt(mb, sb)}), then {second} "
                     f"({fmt(ms, ss)}); {verdict}.")
    errors = {m: mean_std([r.get("equivariance_error") for r in rs]) for m, rs in methods.items()}
    below = [f"{m} {(1 - s[0]) * 100:.0f} % below" if s[0] <= 1
             else f"{m} {(s[0] - 1) * 100:.0f} % above (worse than no change)"
             for m, s in sorted(errors.items(), key=lambda kv: kv[1][0] or 9) if s[2]]
    if below:
        lines.append("- **equivariance error vs the identity's 1.0** (1.0: a refitted map "
                     "predicts the next view no better than no change): " + ", ".join(below)
                     + ".")
    return lines


def warning_lines(runs: list[dict]) -> list[str]:
    """Every distinct warning of the runs, with the methods and splits it came from, grouped
    under what that kind of warning means for the numbers."""
    seen: dict[str, list[str]] = {}
    for r in runs:
        for w in r.get("warnings") or []:
            seen.setdefault(w, []).append(f"{r['method']} split {r.get('label_split', 0)}")
    groups: dict[str, list[str]] = {}
    for w, where in seen.items():
        meaning = next((m for key, m in WARNING_MEANINGS if key in w), "other warnings")
        groups.setdefault(meaning, []).append(f"  - {w} ({', '.join(sorted(set(where)))})")
    lines = []
    for meaning, items in groups.items():
        lines += [f"- *{meaning[0].upper() + meaning[1:]}*:", *items]
    return lines
