"""OUT/results.json and OUT/report.md of ``egoequiv reproduce``: conclusions first, then the
tables (mean ± sample std over label splits), the chosen hyperparameters and the plots.

A difference between two entries is called *clear* when it exceeds twice the larger of
their two standard deviations over label splits; otherwise it is inside the noise.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from egoequiv.evaluation.conclusions import is_clear
from egoequiv.evaluation.plots import plot_bars, plot_curves
from egoequiv.reproduce.controls import CONTROLS
from egoequiv.reproduce.protocols import Protocol
from egoequiv.training.monitor import CURVES, monitor_curves
from egoequiv.utils.atomic import atomic_write_json, atomic_write_text

#: (key in results.json, column name, lower is better)
MEASURES = [("top1", "top-1", False), ("equivariance_error", "equivariance error", True),
            ("learned_map_error", "learned-map error", True),
            ("slowness_auroc", "slowness AUROC", False), ("hits@1", "hits@1", False)]


def stats(values) -> dict | None:
    vals = [float(v) for v in values if isinstance(v, (int, float)) and v is not None]
    if not vals:
        return None
    return {"mean": float(np.mean(vals)),
            "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0, "n": len(vals)}


def _per_pattern(runs: list[dict], key: str) -> list[float | None] | None:
    rows = [r.get(key) for r in runs if r.get(key)]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    return [(stats([r[g] for r in rows if g < len(r)]) or {}).get("mean") for g in range(width)]


def entry(runs: list[dict], chosen: dict | None) -> dict:
    """The results.json entry of one method or control from its runs (one per label split)."""
    nbv = [r.get("next_best_view") or {} for r in runs]
    out = {key: stats([r.get(key) for r in runs]) for key, _, _ in MEASURES}
    if out["equivariance_error"]:
        out["equivariance_error"]["per_pattern"] = _per_pattern(runs,
                                                                "equivariance_error_per_pattern")
    if out["learned_map_error"]:
        out["learned_map_error"]["per_pattern"] = _per_pattern(runs,
                                                               "learned_map_error_per_pattern")
    out["probe_top1"] = stats([r.get("probe_top1") for r in runs])
    out["nbv"] = {name: (stats([n.get(key) for n in nbv]) or {}).get("mean")
                  for name, key in (("chosen", "accuracy_chosen"), ("random", "accuracy_random"),
                                    ("oracle", "accuracy_best"),
                                    ("one_view", "accuracy_one_view"))}
    out["nbv"]["chosen_std"] = (stats([n.get("accuracy_chosen") for n in nbv]) or {}).get("std")
    out["chosen"] = None if chosen is None else {k: chosen[k] for k in ("lr", "lam", "iters")}
    out["per_split"] = {key: [r.get(key) for r in runs] for key, _, _ in MEASURES}
    out["warnings"] = sorted({w for r in runs for w in (r.get("warnings") or [])})
    return out


def clear(a: dict | None, b: dict | None) -> bool | None:
    """Whether the gap between two {mean, std} exceeds twice the larger std."""
    if not a or not b:
        return None
    return is_clear(a["mean"] - b["mean"], max(a["std"], b["std"]))


def _distinct(warnings: list[str]) -> list[str]:
    """One line per kind of warning (the same text but for its numbers; pattern numbers
    kept), with how many more splits gave it."""
    import re

    kinds: dict[str, list[str]] = {}
    for w in warnings:
        kinds.setdefault(re.sub(r"(?<!pattern )\d+(\.\d+)?", "#", w), []).append(w)
    return [ws[0] if len(ws) == 1 else f"{ws[0]} (and {len(ws) - 1} similar)"
            for ws in kinds.values()]


def _cell(s: dict | None, digits: int = 3) -> str:
    return "–" if not s else f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}"


def conclusions(results: dict, names: list[str]) -> list[str]:
    lines = []
    for key, title, lower in MEASURES:
        have = [(n, results[n][key]) for n in names if results[n].get(key)]
        if len(have) < 2:
            continue
        have.sort(key=lambda x: x[1]["mean"], reverse=not lower)
        (best, s), (second, s2) = have[0], have[1]
        verdict = "a clear gap" if clear(s, s2) else "inside the noise"
        lines.append(f"- **{title}**: best {best} ({_cell(s)}); next {second} ({_cell(s2)}): "
                     f"{verdict}.")
    for name in names:
        eq = results[name].get("equivariance_error")
        if eq and name not in CONTROLS:
            below = [c for c in CONTROLS if clear(eq, results.get(c, {}).get(
                "equivariance_error")) and eq["mean"] < results[c]["equivariance_error"]["mean"]]
            lm = results[name].get("learned_map_error")
            lines.append(
                f"- {name}: equivariance error {eq['mean']:.3f}, {1 - eq['mean']:+.3f} from the "
                f"identity's 1.0; clearly below {', '.join(below) or 'no control'}"
                + (f"; learned maps {lm['mean']:.3f} ({'better' if lm['mean'] < 1 else 'worse'}"
                   " than the identity)" if lm else "") + ".")
    return lines


def write_results(out: Path, protocol: Protocol, dataset: str, labelled: str | None,
                  chosen: dict, finals: dict[str, list[dict]], seconds: float,
                  quick: bool, histories: dict[str, list[dict]] | None = None) -> Path:
    """OUT/results.json, OUT/report.md and OUT/figures/; ``histories``: each method's chosen
    validation run's training history (its held-out learning curves)."""
    names = list(finals)
    results = {name: entry(runs, chosen.get(name)) for name, runs in finals.items()}
    first = next(iter(finals.values()))[0]
    results["protocol"] = {"name": protocol.name, "quick": quick, "dataset": dataset,
                           "labelled_dataset": labelled, "splits": protocol.splits,
                           "wall_seconds": seconds, "budget": protocol.budget,
                           "lr_grid": list(protocol.lr_grid),
                           "lam_exponents": list(protocol.lam_exponents),
                           "validation_fraction": protocol.validation_fraction,
                           "patience": protocol.patience, "fixed": protocol.config,
                           "pattern_labels": first.get("pattern_labels"),
                           "chosen": chosen}
    atomic_write_json(out / "results.json", results)
    figures = out / "figures"
    labels = first.get("pattern_labels")
    _plots(results, names, figures, labels, first.get("num_classes"))
    lines = [f"# egoequiv reproduce {protocol.name}{' --quick' if quick else ''}", "",
             f"{protocol.title}. Data `{dataset}`" + (f", labels from `{labelled}`"
                                                      if labelled else "")
             + f"; {protocol.splits} label splits; wall time {seconds / 60:.1f} min on "
               f"{platform.machine()}.", "",
             "## Conclusions", "",
             "A gap is *clear* when it exceeds twice the larger standard deviation over label "
             "splits; otherwise it is inside the noise. Equivariance errors are relative to "
             "\"no change\" (the identity map scores 1.0).", "",
             *conclusions(results, names), ""]
    warned = {n: _distinct(results[n]["warnings"]) for n in names if results[n]["warnings"]}
    if warned:
        lines += ["**Warnings** (the numbers they qualify are still shown):", ""]
        lines += [f"- {n}: {w}" for n, ws in warned.items() for w in ws]
        lines.append("")
    lines += ["## Results", "", "| method | " + " | ".join(t for _, t, _ in MEASURES)
              + " | NBV chosen | NBV random | NBV oracle |",
              "|---|" + "---|" * (len(MEASURES) + 3)]
    for n in names:
        r = results[n]
        nbv = r["nbv"]
        lines.append(f"| {n} | " + " | ".join(_cell(r[k]) for k, _, _ in MEASURES) + " | "
                     + " | ".join("–" if nbv[k] is None else f"{nbv[k]:.3f}"
                                  for k in ("chosen", "random", "oracle")) + " |")
    if labels:
        lines += ["", "Equivariance error per motion pattern (mean over splits):", "",
                  "| method | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for n in names:
            pp = (results[n]["equivariance_error"] or {}).get("per_pattern") or []
            lines.append(f"| {n} | " + " | ".join("–" if v is None else f"{v:.3f}"
                                                  for v in pp) + " |")
    lines += ["", "## Chosen by cross-validation (validation split only)", "",
              "| method | lr | lam | iterations | validation top-1 per value |",
              "|---|---|---|---|---|"]
    for n, c in chosen.items():
        scores = ", ".join(f"{k}: {'–' if v is None else f'{v:.3f}'}"
                           for k, v in c["validation_top1"].items())
        lam = "–" if c["lam"] is None else f"{c['lam']:g}"
        lines.append(f"| {n} | {c['lr']:g} | {lam} | {c['iters']} | {scores} |")
    fixed = ", ".join(f"{k}={v}" for k, v in protocol.config.items())
    lines += ["", f"Fixed, not searched: {fixed}; iteration budget {protocol.budget}, "
              f"validation measured every {protocol.monitor_every} iterations, patience "
              f"{protocol.patience} (0: no early stopping); validation = "
              f"{protocol.validation_fraction:.0%} of the training instances (or sequences). "
              "Controls: `pixels` (the normalised frames) and `random-init` (the untrained "
              "network), top-1 from a linear probe on the same labelled frames.", "",
              "![top-1](figures/top1.png)", "",
              "![equivariance error per pattern](figures/equivariance_per_pattern.png)", "",
              *_curve_plots(histories or {}, figures),
              "Definitions: docs/evaluation.md and docs/reproduce.md. Every run is under "
              "`runs/`.", ""]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path


def _plots(results: dict, names: list[str], figures: Path, labels, num_classes) -> None:
    top = [results[n]["top1"] for n in names]
    plot_bars({"top-1": [t and t["mean"] for t in top]}, figures / "top1.png",
              "Top-1 accuracy per method (mean ± std over label splits)", "top-1", names,
              errors={"top-1": [t and t["std"] for t in top]},
              reference=1.0 / num_classes if num_classes else None,
              reference_label="chance" if num_classes else "")
    series = {n: (results[n]["equivariance_error"] or {}).get("per_pattern") for n in names}
    series = {n: v for n, v in series.items() if v}
    if series:
        width = max(len(v) for v in series.values())
        plot_bars(series, figures / "equivariance_per_pattern.png",
                  "Refitted equivariance error per motion pattern (test pairs)", "error",
                  labels or [f"pattern {g}" for g in range(width)], reference=1.0,
                  reference_label="identity map (no change)")


#: the held-out learning curves of each method's chosen validation run
LEARNING_CURVES = ("val_top1", "equivariance_heldout", "learned_map_heldout")


def _curve_plots(histories: dict[str, list[dict]], figures: Path) -> list[str]:
    """Plots of ``LEARNING_CURVES`` (one line per method) and the report lines linking them."""
    lines = []
    for key in LEARNING_CURVES:
        series = {m: monitor_curves(h)[key] for m, h in histories.items()}
        series = {m: pts for m, pts in series.items() if pts}
        if not series:
            continue
        plot_curves(series, figures / f"curve_{key}.png",
                    f"{CURVES[key]}: each method's chosen validation run", ylabel=key)
        lines += [f"![{CURVES[key]}](figures/curve_{key}.png)", ""]
    return (["## Learning curves (validation split; has training flattened?)", "", *lines]
            if lines else [])
