"""What ``reproduce kitti-227`` writes: OUT/results.json, OUT/report.md and a plot per readout
of test top-1 per method against labels per class, random init beside each method, gaps
judged by the 2-std rule (``evaluation.conclusions``)."""

from __future__ import annotations

import platform
from pathlib import Path

from egoequiv.data.spec import short_spec
from egoequiv.evaluation.conclusions import CLEAR_FACTOR, fmt, is_clear
from egoequiv.utils.atomic import atomic_write_json, atomic_write_text

RANDOM = "random init"


def cells(transfers: dict) -> dict:
    """{readout: {name: {labels per class: top-1 summary}}} of every transfer record."""
    out: dict = {}
    for (name, readout), result in transfers.items():
        row = out.setdefault(readout, {}).setdefault(name, {})
        for r in result["finetune"]:
            row[r["labels_per_class"]] = r["top1"]
    return out


def gap(mine: dict | None, base: dict | None) -> dict | None:
    """Method minus random init: the gap, the larger std and whether it is clear."""
    if not mine or not base:
        return None
    spread = max((s for s in (mine["std"], base["std"]) if s is not None), default=None)
    diff = mine["mean"] - base["mean"]
    return {"gap": diff, "spread": spread,
            "clear": None if spread is None else is_clear(diff, spread)}


def write_transfer_report(out: Path, protocol, dataset: str, labelled: str, quick: bool,
                          pretrained: dict, transfers: dict, seconds: float) -> Path:
    table = cells(transfers)
    counts = list(protocol.labels_per_class)
    names = [*protocol.methods, RANDOM]
    layer = {"linear": f"linear softmax on frozen {protocol.linear_layer}",
             "finetuned": "finetuned end to end (new softmax head on the top layer)"}
    first = next(iter(transfers.values()))
    classes = first["num_classes"]
    results = {
        "protocol": {"name": protocol.name, "quick": quick, "dataset": dataset,
                     "labelled_dataset": labelled, "wall_seconds": seconds,
                     "stage_minutes": float(_minutes(pretrained, transfers)),
                     "sizes": protocol.sizes(), "methods": list(protocol.methods)},
        "pretraining": {m: {"equivariance_error": r.get("equivariance_error"),
                            "iterations": r.get("iterations")}
                        for m, (_, r) in pretrained.items()},
        "transfer": {readout: {name: {str(n): rows.get(n) for n in counts}
                               for name, rows in by_name.items()}
                     for readout, by_name in table.items()},
        "gaps": {readout: {m: {str(n): gap(by_name.get(m, {}).get(n),
                                           by_name.get(RANDOM, {}).get(n)) for n in counts}
                           for m in protocol.methods}
                 for readout, by_name in table.items()}}
    atomic_write_json(out / "results.json", results)
    figures = out / "figures"
    pngs = {readout: _plot(table[readout], names, counts, figures / f"{readout}_top1.png",
                           f"{layer[readout]}, {short_spec(labelled)}", 1 / classes)
            for readout in table}
    stages = _minutes(pretrained, transfers)
    lines = [f"# egoequiv reproduce {protocol.name}{' --quick' if quick else ''}", "",
             f"{protocol.title}. Video `{dataset}`, labelled scenes `{labelled}` "
             f"({classes} classes, chance {1 / classes:.3f}). Time on {platform.machine()}: this "
             f"call {seconds / 60:.1f} min; the pretrainings and transfers {stages} min "
             "summed over every call (a second call reuses them).", "",
             f"Sizes: {_sizes(protocol.sizes())}." + (
                 " `--quick` runs the same stages smaller (docs/reproduce.md); its numbers "
                 "say nothing about the full protocol's." if quick else ""), "",
             "Cells: test top-1, mean ± sample std over "
             f"{protocol.splits} label splits (n = splits). A gap to random init is *clear* "
             f"when it exceeds {CLEAR_FACTOR:g} × the larger std; otherwise it is inside "
             "the noise.", ""]
    lines += ["## Conclusions", "", *_conclusions(results["gaps"], layer), ""]
    for readout in table:
        lines += [f"## {layer[readout].capitalize()}", "",
                  "| initialisation | " + " | ".join(f"{n} / class" for n in counts) +
                  " | vs random init |", "|---|" + "---|" * (len(counts) + 1)]
        for name in names:
            row = table[readout].get(name, {})
            verdicts = "" if name == RANDOM else "; ".join(
                _verdict(results["gaps"][readout][name][str(n)]) for n in counts)
            lines.append(f"| {name} | " + " | ".join(_cell(row.get(n)) for n in counts)
                         + f" | {verdicts} |")
        lines += ["", f"![{readout}](figures/{pngs[readout].name})", ""]
    lines += ["## Pretraining", "",
              "| method | iterations | equivariance error (refitted maps, 1.0 = no change) |",
              "|---|---|---|"]
    for m, entry in results["pretraining"].items():
        eq = entry["equivariance_error"]
        lines.append(f"| {m} | {entry['iterations']} | "
                     f"{'n/a' if eq is None else f'{eq:.3f}'} |")
    lines += ["", "Each transfer's own report (lr chosen per split, validation scores) is "
              "`transfer/<initialisation>/<readout>/report.md`.", ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
    return out / "report.md"


def _minutes(pretrained: dict, transfers: dict) -> str:
    """The stages' own times, summed from their records (a resumed call reuses most)."""
    records = [r for _, r in pretrained.values()] + list(transfers.values())
    return f"{sum(r.get('total_seconds') or 0.0 for r in records) / 60:.1f}"


def _conclusions(gaps: dict, layer: dict) -> list[str]:
    """Per readout and label count: the methods clearly above random init, clearly below
    it, and the range of the gaps inside the noise."""
    lines = []
    for readout, by_method in gaps.items():
        counts = list(next(iter(by_method.values()), {}))
        for n in counts:
            found = {m: g[n] for m, g in by_method.items() if g.get(n)}
            if not found:
                continue
            up = [m for m, g in found.items() if g["clear"] and g["gap"] > 0]
            down = [m for m, g in found.items() if g["clear"] and g["gap"] < 0]
            rest = [g["gap"] for m, g in found.items() if m not in up + down]
            words = [f"clearly above random init: {', '.join(up) or 'no method'}"]
            if down:
                words.append(f"clearly below it: {', '.join(down)}")
            if rest:
                other = "the other gaps" if up or down else "every gap"
                words.append(f"{other} ({min(rest):+.3f} to {max(rest):+.3f}) inside the "
                             "noise")
            lines.append(f"- {layer[readout]}, {n} labels per class: {'; '.join(words)}.")
    return lines or ["- nothing to compare."]


def _verdict(g: dict | None) -> str:
    if not g:
        return "—"
    sign = f"{g['gap']:+.3f}"
    if g["clear"] is None:
        return f"{sign} (one split: no spread)"
    return f"{sign} ({'clear' if g['clear'] else 'within noise'})"


def _cell(top1: dict | None) -> str:
    return "—" if not top1 else fmt(top1["mean"], top1["std"])


def _sizes(sizes: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sizes.items())


def _plot(rows: dict, names: list[str], counts: list[int], path: Path, title: str,
          chance: float) -> Path:
    """Grouped points: test top-1 per initialisation at each label count, std bars where
    there is a spread, the chance line."""
    from egoequiv.evaluation.plots import plot_bars

    groups = {f"{n} / class": [(rows.get(name, {}).get(n) or {}).get("mean")
                               for name in names] for n in counts}
    errors = {f"{n} / class": [(rows.get(name, {}).get(n) or {}).get("std")
                               for name in names] for n in counts}
    splits = max(((rows.get(name, {}).get(n) or {}).get("n") or 0)
                 for name in names for n in counts)
    ylabel = f"test top-1 (mean ± std, {splits} splits)" if splits > 1 else "test top-1"
    return plot_bars(groups, path, title, ylabel, names, errors=errors,
                     reference=chance, reference_label=f"chance ({chance:.3f})", zoom=True)
