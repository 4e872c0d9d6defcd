"""OUT/results.json and OUT/report.md of ``egoequiv reproduce``.

The conclusions, tables and plots are ``egoequiv report``'s (``evaluation.report``), over the
final runs and the controls, with the same mean ± std and the same rule for a clear gap
(``evaluation.conclusions``). This module adds only what the protocol knows: the comparison
with the controls, the chosen hyperparameters and the validation scores behind them, the fixed
settings and the held-out learning curves.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

from egoequiv.evaluation.conclusions import MEASURES, SPREAD, is_clear, mean_std, summary
from egoequiv.evaluation.plots import plot_curves
from egoequiv.evaluation.report import conclusion_section, dataset_section
from egoequiv.reproduce.controls import CONTROLS
from egoequiv.reproduce.protocols import Protocol
from egoequiv.training.monitor import CURVES, monitor_curves
from egoequiv.utils.atomic import atomic_write_json, atomic_write_text

#: the per-pattern errors results.json averages over splits
PER_PATTERN = {"equivariance_error": "equivariance_error_per_pattern",
               "learned_map_error": "learned_map_error_per_pattern"}
#: results.json's next-best-view entry: {name: key inside a run's next_best_view}
NBV = {"chosen": "accuracy_chosen", "random": "accuracy_random", "oracle": "accuracy_best",
       "one_view": "accuracy_one_view"}


def _per_pattern(runs: list[dict], key: str) -> list[float | None] | None:
    rows = [r.get(key) for r in runs if r.get(key)]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    return [mean_std([r[g] for r in rows if g < len(r)])[0] for g in range(width)]


def entry(runs: list[dict], chosen: dict | None) -> dict:
    """The results.json entry of one method or control from its runs (one per label split):
    each measure of the conclusions as {mean, std, n} (``conclusions.summary``)."""
    out = {key: summary([r.get(key) for r in runs]) for key, _, _ in MEASURES}
    for key, per in PER_PATTERN.items():
        if out.get(key):
            out[key]["per_pattern"] = _per_pattern(runs, per)
    nbv = [r.get("next_best_view") or {} for r in runs]
    stats = {name: summary([n.get(inner) for n in nbv]) for name, inner in NBV.items()}
    out["nbv"] = {name: s and s["mean"] for name, s in stats.items()}
    out["nbv"]["chosen_std"] = stats["chosen"] and stats["chosen"]["std"]
    out["chosen"] = None if chosen is None else {k: chosen[k] for k in ("lr", "lam", "iters")}
    out["per_split"] = {key: [r.get(key) for r in runs] for key, _, _ in MEASURES}
    out["warnings"] = sorted({w for r in runs for w in (r.get("warnings") or [])})
    return out


def clear(a: dict | None, b: dict | None) -> bool | None:
    """Whether the gap between two {mean, std} exceeds twice the larger std (None without
    both, or without a spread to judge by)."""
    if not a or not b or (a["std"] is None and b["std"] is None):
        return None
    return is_clear(a["mean"] - b["mean"], max(s for s in (a["std"], b["std"]) if s is not None))


def _distinct(warnings: list[str]) -> list[str]:
    """One line per kind of warning (the same text but for its numbers; pattern numbers
    kept), with how many more splits gave it."""
    kinds: dict[str, list[str]] = {}
    for w in warnings:
        kinds.setdefault(re.sub(r"(?<!pattern )\d+(\.\d+)?", "#", w), []).append(w)
    return [ws[0] if len(ws) == 1 else f"{ws[0]} (and {len(ws) - 1} similar)"
            for ws in kinds.values()]


def _times(seconds: float, finals: dict[str, list[dict]]) -> str:
    """This call's wall time, and the final runs' own time summed over every call (a
    resumed protocol's last call alone would understate it)."""
    own = sum(r.get("total_seconds") or 0.0 for rs in finals.values() for r in rs)
    return (f"this call {seconds / 60:.1f} min; the final runs' training and measuring "
            f"{own / 60:.1f} min summed over every call")


def close_choices(chosen: dict, results: dict) -> list[str]:
    """Validation choices whose runner-up scored within the noise: twice the std of the
    method's final top-1 over label splits (the spread the choice is judged by)."""
    lines = []
    for name, c in chosen.items():
        scores = sorted(((v, k) for k, v in c["validation_top1"].items() if v is not None),
                        reverse=True)
        top = results.get(name, {}).get("top1") or {}
        if len(scores) < 2 or top.get("std") is None:
            continue
        (best, at), (second, other) = scores[0], scores[1]
        if not is_clear(best - second, top["std"]):
            lines.append(f"- {name}: {at} ({best:.4f}) over {other} ({second:.4f}); gap "
                         f"{best - second:.4f}, final top-1 std {top['std']:.3f}.")
    return lines


def control_lines(results: dict, names: list[str]) -> list[str]:
    """Each method's refitted equivariance error against the controls'."""
    lines = []
    for name in names:
        eq = results[name].get("equivariance_error")
        if not eq or name in CONTROLS:
            continue
        below = [c for c in CONTROLS if results.get(c, {}).get("equivariance_error")
                 and clear(eq, results[c]["equivariance_error"])
                 and eq["mean"] < results[c]["equivariance_error"]["mean"]]
        lines.append(f"- {name}: equivariance error {eq['mean']:.3f}; " + (
            f"clearly below {', '.join(below)}." if below else
            "not clearly below any control."))
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
    runs = [r for rs in finals.values() for r in rs]
    lines = [f"# egoequiv reproduce {protocol.name}{' --quick' if quick else ''}", "",
             f"{protocol.title}. Data `{dataset}`" + (f", labels from `{labelled}`"
                                                      if labelled else "")
             + f"; {protocol.splits} label splits; {_times(seconds, finals)} on "
               f"{platform.machine()}.", "",
             "## Conclusions", "",
             f"Cells: {SPREAD}. A gap is *clear* when it exceeds "
             "twice the larger standard deviation; otherwise it is inside the noise. "
             "Equivariance errors are relative to \"no change\" (the identity map scores 1.0).",
             "", *conclusion_section("The methods and the controls", runs),
             "### Against the controls", "", *control_lines(results, names), ""]
    warned = {n: _distinct(results[n]["warnings"]) for n in names if results[n]["warnings"]}
    if warned:
        lines += ["**Warnings** (the numbers they qualify are still shown):", ""]
        lines += [f"- {n}: {w}" for n, ws in warned.items() for w in ws]
        lines.append("")
    lines += dataset_section("Results", runs, out / "figures", "results",
                             image_prefix="figures/")
    labels = first.get("pattern_labels")
    if labels:
        lines += ["Equivariance error per motion pattern (mean over splits):", "",
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
    close = close_choices(chosen, results)
    if close:
        lines += ["", "**Choices inside the noise** (the runner-up's validation top-1 within "
                  "twice the method's std of final top-1 over splits; another machine or seed "
                  "may choose the other value):", "", *close]
    fixed = ", ".join(f"{k}={v}" for k, v in protocol.config.items())
    lines += ["", f"Fixed, not searched: {fixed}; iteration budget {protocol.budget}, "
              f"validation measured every {protocol.monitor_every} iterations, patience "
              f"{protocol.patience} (0: no early stopping); validation = "
              f"{protocol.validation_fraction:.0%} of the training instances (or sequences). "
              "Controls: `pixels` (the normalised frames) and `random-init` (the untrained "
              "network), top-1 from a linear probe on the same labelled frames.", "",
              *_curve_plots(histories or {}, out / "figures"),
              "Definitions: docs/evaluation.md and docs/reproduce.md. Every run is under "
              "`runs/`.", ""]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path


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
    why = ("The curves are measured during training on held-out *training* sequences (maps "
           "refitted on the other training pairs) and on the validation frames; the tables' "
           "errors use maps fitted on every training pair, scored on the test pairs. So a "
           "curve's last point and the table's number are different measurements and may "
           "differ.")
    return (["## Learning curves (validation split; has training flattened?)", "", why, "",
             *lines] if lines else [])
