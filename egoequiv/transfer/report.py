"""What a finetuning call reports: top-1 mean ± sample std over label splits per
(initialisation, layer, label count) (``conclusions.summary``), the pretrained-minus-random
gap judged by the 2-std rule (``conclusions.is_clear``), a plot of top-1 against labels per
class, and report.md saying it in words."""

from __future__ import annotations

from pathlib import Path

from egoequiv.evaluation.conclusions import CLEAR_FACTOR, decimals, fmt, is_clear, summary
from egoequiv.utils.atomic import atomic_write_text, atomic_write_with

PLOT = "finetune_top1.png"


def table(cells, settings) -> list[dict]:
    """One row per (init, layer, label count): the test top-1 summary and each split's
    choice."""
    rows = []
    for init in settings.inits:
        for layer in settings.layers:
            for n in settings.labels_per_class:
                mine = sorted((c for c in cells if (c.init, c.layer, c.labels_per_class)
                               == (init, layer, n)), key=lambda c: c.split)
                rows.append({"init": init, "layer": layer, "labels_per_class": n,
                             "top1": summary([c.test_top1 for c in mine]),
                             "per_split": [c.test_top1 for c in mine],
                             "lr": [c.lr for c in mine],
                             "val_top1": [c.val_top1 for c in mine],
                             "val_top1_by_lr": [c.val_by_lr for c in mine],
                             "best_iteration": [c.best_iteration for c in mine],
                             "stopped_early": [c.stopped_early for c in mine]})
    return rows


def gaps(rows: list[dict]) -> list[dict]:
    """Pretrained minus random per (layer, label count), when both were run."""
    by = {(r["init"], r["layer"], r["labels_per_class"]): r["top1"] for r in rows}
    out = []
    for (init, layer, n), pre in by.items():
        rnd = by.get(("random", layer, n))
        if init != "pretrained" or rnd is None or pre is None:
            continue
        spread = max((s for s in (pre["std"], rnd["std"]) if s is not None), default=None)
        gap = pre["mean"] - rnd["mean"]
        out.append({"layer": layer, "labels_per_class": n, "gap": gap, "spread": spread,
                    "clear": None if spread is None else is_clear(gap, spread)})
    return out


def verdict(g: dict) -> str:
    if g["clear"] is None:
        return "one split: no spread to judge by"
    d = decimals(g["spread"])
    word = "pretrained better" if g["gap"] > 0 else "random better"
    bound = f"{CLEAR_FACTOR:g} × the larger std {g['spread']:.{d}f}"
    if g["clear"]:
        return f"clear, {word}: the gap exceeds {bound}"
    return f"within the noise: the gap is not above {bound}"


def plot(rows: list[dict], path: Path, chance: float, title: str = "") -> Path:
    """Top-1 against labels per class, one line per initialisation (and layer); std bars
    only where there is a spread (more than one split)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    layers = sorted({r["layer"] for r in rows}, key=[r["layer"] for r in rows].index)
    for key in dict.fromkeys((r["init"], r["layer"]) for r in rows):
        mine = [r for r in rows if (r["init"], r["layer"]) == key and r["top1"]]
        x = [r["labels_per_class"] for r in mine]
        y = [r["top1"]["mean"] for r in mine]
        err = [r["top1"]["std"] for r in mine]
        label = key[0] if len(layers) == 1 else f"{key[0]} ({key[1]})"
        ax.errorbar(x, y, yerr=None if any(e is None for e in err) else err, marker="o",
                    capsize=3, label=label, linestyle="-" if key[0] == "pretrained" else "--")
    ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label=f"chance ({chance:.2f})")
    ax.set_xscale("log")
    ticks = sorted({r["labels_per_class"] for r in rows})
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("labelled training images per class")
    ax.set_ylabel("test top-1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    spread = any(r["top1"] and r["top1"]["std"] is not None for r in rows)
    ax.set_title(title + ("\n(bars: sample std over label splits)" if spread else ""),
                 fontsize=9)
    path = Path(path)
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"),
                      suffix=".png")
    return path


def _cell(top1: dict | None) -> str:
    if not top1:
        return "—"
    return fmt(top1["mean"], top1["std"]) + f" (n={top1['n']})"


def markdown(record: dict) -> str:
    """report.md: what was finetuned, how, the table, the plot and what it shows."""
    st = record["pretrained"]
    lines = [f"# Finetuning on {record['dataset']}", "",
             f"Started from the {st['kind']} `{st['path']}` ({st.get('method')} pretrained on "
             f"`{st.get('dataset')}`, iteration {st.get('iteration')}).", "",
             "## Protocol", "", *_protocol(record["config"]), "",
             "## Test top-1 (mean ± sample std over label splits)", "", *_results(record), "",
             f"Chance: {1 / record['num_classes']:.3f} ({record['num_classes']} classes).", "",
             f"![top-1 against labels per class]({PLOT})", "",
             "## What it shows", "", *_findings(record["finetune_gaps"]),
             *_edges(record["finetune"], record["config"]["lr_grid"]), "",
             "## Choices made on validation", "", *_choices(record["finetune"])]
    if record["warnings"]:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in record["warnings"]]]
    return "\n".join(lines) + "\n"


def _protocol(c: dict) -> list[str]:
    sizes = c["images"]
    return [f"- test split: {c['test_split']} ({sizes['test']} images), scored once per "
            "run, after every choice;",
            f"- validation: {sizes['validation']} labelled training images "
            f"({c['val_fraction']:g} of each class's groups), disjoint from the labelled "
            f"subsets, which are drawn from the other {sizes['pool']};",
            f"- {c['splits']} label split(s) per label count (nested across counts); lr "
            f"chosen per split from {c['lr_grid']} on validation top-1; {c['iters']} "
            f"iterations at most, batch {c['batch_size']}, weight decay "
            f"{c['weight_decay']:g}, Nesterov momentum {c['momentum']:g}; the best validation "
            f"iterate kept (measured every {c['eval_every']}, stop after {c['patience']} "
            "without improvement);",
            f"- freeze: {c['freeze']} ({_freeze_words(c['freeze'])}); the head reads relu "
            f"of layer {', '.join(c['layers'])}, standardised by the labelled subset;",
            f"- initialisations: {', '.join(c['inits'])} (random: the same architecture and "
            "schedule, the backbone's own initialisation drawn per split)."]


def _results(record: dict) -> list[str]:
    """The table: a row per layer and label count, a column per initialisation, the gap."""
    c, rows, gap_rows = record["config"], record["finetune"], record["finetune_gaps"]
    inits = c["inits"]
    lines = ["| layer | labels / class | " + " | ".join(inits) +
             (" | pretrained − random | 2-std rule |" if gap_rows else " |"),
             "|---|---|" + "---|" * len(inits) + ("---|---|" if gap_rows else "")]
    top1 = {(r["init"], r["layer"], r["labels_per_class"]): r["top1"] for r in rows}
    gap_of = {(g["layer"], g["labels_per_class"]): g for g in gap_rows}
    for layer in c["layers"]:
        for n in c["labels_per_class"]:
            cells = [_cell(top1.get((i, layer, n))) for i in inits]
            g = gap_of.get((layer, n))
            extra = [f"{g['gap']:+.3f}", verdict(g)] if g else []
            lines.append("| " + " | ".join([layer, str(n), *cells, *extra]) + " |")
    return lines


def _choices(rows: list[dict]) -> list[str]:
    """Each split's lr, best iteration and validation top-1."""
    def joined(values, show):
        return ", ".join("diverged" if v is None else show(v) for v in values)

    lines = ["| init | layer | labels / class | lr per split | best iteration | "
             "validation top-1 |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['init']} | {r['layer']} | {r['labels_per_class']} | "
                     f"{joined(r['lr'], lambda x: f'{x:g}')} | "
                     f"{joined(r['best_iteration'], str)} | "
                     f"{joined(r['val_top1'], lambda x: f'{x:.3f}')} |")
    return lines


def _freeze_words(freeze: str) -> str:
    if freeze == "all":
        return "a linear classifier on the frozen features"
    if freeze == "none":
        return "the whole backbone trains with the head"
    return f"the parameters {freeze} depends on stay fixed; those above it train"


def _findings(gap_rows: list[dict]) -> list[str]:
    if not gap_rows:
        return ["- Only one initialisation was run: nothing to compare (add "
                "`--init pretrained,random`)."]
    out = []
    for g in gap_rows:
        out.append(f"- {g['layer']}, {g['labels_per_class']} labels per class: pretrained "
                   f"minus random {g['gap']:+.3f}; {verdict(g)}.")
    clear = [g for g in gap_rows if g["clear"]]
    judged = [g for g in gap_rows if g["clear"] is not None]
    if judged and not clear:
        out.append("- No gap exceeds twice the larger std over splits: on this data and at "
                   "this size, the pretraining's effect is not distinguishable from the "
                   "split-to-split noise.")
    return out


def write_report(out: Path, record: dict) -> Path:
    path = Path(out) / "report.md"
    atomic_write_text(path, markdown(record))
    return path


def chance(num_classes: int) -> float:
    return 1.0 / max(1, num_classes)


def _edges(rows: list[dict], grid: list[float]) -> list[str]:
    """A note when validation often chose an end of the lr grid (a wider one might win)."""
    if len(grid) < 2:
        return []
    chosen = [lr for r in rows for lr in r["lr"]]
    low, high = sum(lr == min(grid) for lr in chosen), sum(lr == max(grid) for lr in chosen)
    if low + high <= len(chosen) / 2:
        return []
    return [f"- Validation chose an end of the lr grid in {low + high} of {len(chosen)} runs "
            f"({low} at {min(grid):g}, {high} at {max(grid):g}): a wider --lr-grid may do "
            "better."]
