"""Gather the ``metrics.json`` of runs into one ``report.md``: a table per dataset, and plots.

Runs are found as every ``metrics.json`` under each given directory. A run is identified by
its run id (older records: by dataset, method and a grid member's values, seed,
label_split); when several files describe the same run (the trainer's
``RUN/metrics.json`` and ``egoequiv eval``'s ``RUN/eval/metrics.json``), the one with the
most measured values is used. Table cells: mean ± sample std (n - 1) over the runs of a
method, and the number of runs when they differ across columns; "–" where not measured.
Runs of one method whose settings differ (other than seed and label split) are rows of
their own, named by those settings.
"""

from __future__ import annotations

from pathlib import Path

from egoequiv.config import NEUTRAL_KEYS
from egoequiv.data.spec import short_spec
from egoequiv.evaluation import record
from egoequiv.evaluation.conclusions import (
    SPREAD,
    conclusions,
    fmt,
    mean_std,
    run_label,
    summary,
    warning_lines,
)
from egoequiv.evaluation.plots import plot_bars, plot_curves
from egoequiv.evaluation.suite import COLUMNS as SUITE_COLUMNS
from egoequiv.utils.atomic import atomic_write_text
from egoequiv.utils.metrics_csv import read_metrics_csv

#: the table columns, their meanings and groups: from the suite's registry of measurements
COLUMNS = [(c.key, c.title) for c in SUITE_COLUMNS]
MEANINGS = {c.key: c.meaning for c in SUITE_COLUMNS}
GROUPS = {group: tuple(c.key for c in SUITE_COLUMNS if c.group == group)
          for group in dict.fromkeys(c.group for c in SUITE_COLUMNS)}
# run times are not in the tables: they measure the machine's load, not the method; the
# one-view NBV accuracy is top-1 itself


def _trained(checkpoint: Path) -> dict:
    """The record of the run that trained ``checkpoint`` ({} if there is none)."""
    try:
        return record.read(checkpoint.parent / record.FILE)
    except record.RecordError:
        return {}


def _measured(m: dict) -> int:
    return sum(isinstance(m.get(k), (int, float)) for k, _ in COLUMNS)


def gather(run_dirs: list[str | Path], unreadable: list[str] | None = None,
           check=None) -> list[dict]:
    """Flattened metrics of every distinct run below ``run_dirs`` (see module doc). Files
    that are not a run's metrics (bad JSON, no "method") are listed in ``unreadable``;
    ``check(record)``: why a record is left out (one line, listed in ``unreadable`` too), or
    None to keep it (``egoequiv report`` passes a check that its folder holds one run)."""
    best: dict[tuple, dict] = {}
    for root in run_dirs:
        root = Path(root)
        files = [root] if root.is_file() else sorted(root.rglob(record.FILE))
        for f in files:
            try:
                m = record.read(f)
            except record.RecordError as e:
                if unreadable is not None:
                    unreadable.append(str(e))
                continue
            if m.get("provenance") == "finetune":  # its own report.md holds its tables
                continue
            why = check(m) if check is not None else None
            if why is not None:
                if unreadable is not None:
                    unreadable.append(why)
                continue
            if m.get("checkpoint") and not (m.get("grid") and m.get("run_id")):
                trained = _trained(Path(m["checkpoint"]))  # egoequiv eval of that run
                m["grid"] = m.get("grid") or trained.get("grid")
                m["run_id"] = m.get("run_id") or trained.get("run_id")
            # one run's records (the trainer's, egoequiv eval's) share its id
            key = (m.get("dataset"), m["run_id"]) if m.get("run_id") else \
                (m.get("dataset"), run_label(m), m.get("seed"), m.get("label_split"))
            if key not in best or _measured(m) > _measured(best[key]):
                best[key] = m
    return _with_settings(list(best.values()))


def _with_settings(runs: list[dict]) -> list[dict]:
    """``runs``, each given ``settings``: the config values in which it differs from the
    other runs of its method on its dataset (besides seed, label split and the keys that do
    not change what a run learns), so that runs of other settings get rows of their own
    instead of being averaged together."""
    groups: dict[tuple, list[dict]] = {}
    for m in runs:
        groups.setdefault((m.get("dataset"), run_label(m)), []).append(m)
    for group in groups.values():
        configs = [m.get("config") or {} for m in group]
        keys = sorted({k for c in configs for k in c} - NEUTRAL_KEYS
                      - {"seed", "label_split", *(group[0].get("grid") or {})})
        differing = [k for k in keys if any(c.get(k) != configs[0].get(k) for c in configs)]
        for m, c in zip(group, configs):
            if differing:
                m["settings"] = {k: c.get(k) for k in differing}
    return runs


def _cell(mean, std, n, runs) -> str:
    """mean ± std, rounded to what the spread supports (two significant digits of std)."""
    if mean is None:
        return "–"
    return fmt(mean, std) + (f" (n={n})" if n != runs else "")


def method_table(runs: list[dict], columns=None) -> tuple[list[str], dict[str, list[dict]]]:
    """Markdown lines of a table (rows: methods, columns: those of ``columns`` (default
    ``COLUMNS``) that some run measured), and the runs grouped by method."""
    methods: dict[str, list[dict]] = {}
    for m in runs:
        methods.setdefault(run_label(m), []).append(m)
    cols = [(k, name) for k, name in (columns or COLUMNS)
            if mean_std([m.get(k) for m in runs])[2]]
    if not cols:
        return [], methods
    lines = ["| method | runs | " + " | ".join(name for _, name in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for method, rs in methods.items():
        cells = [_cell(*mean_std([r.get(k) for r in rs]), len(rs)) for k, _ in cols]
        lines.append(f"| {method} | {len(rs)} | " + " | ".join(cells) + " |")
    return lines, methods


def label_counts(methods: dict[str, list[dict]]) -> str | None:
    """One line: the labelled frames per class behind each method's top-1 (the head's, from
    its config) and behind its probes, so numbers from different label counts are not read
    as comparable."""
    def values(rs, key):
        return "/".join(str(v) for v in sorted({r.get(key) for r in rs} - {None})) or "–"

    parts = [f"{m} {values(rs, 'labels_per_class')} (probes {values(rs, 'probe_labels_per_class')})"
             for m, rs in methods.items()]
    return "Labelled training frames per class behind top-1: " + "; ".join(parts) + "." \
        if parts else None


#: fewer logged losses than this make no curve worth drawing
MIN_CURVE_POINTS = 5


def loss_curves(methods: dict[str, list[dict]]) -> dict[str, list]:
    """Each method's training loss (its first run's metrics.csv) over its first logged value,
    for methods that logged at least ``MIN_CURVE_POINTS`` losses."""
    curves = {}
    for n, rs in methods.items():
        first = min(rs, key=lambda r: r.get("label_split") or 0)
        log = Path(first.get("_path") or "").parent / "metrics.csv"
        points = read_metrics_csv(log).get("loss", []) if first.get("_path") and \
            log.exists() else []
        if len(points) >= MIN_CURVE_POINTS and points[0][1]:
            curves[n] = [(x, y / points[0][1]) for x, y in points]
    return curves


def ranking_chance(runs: list[dict]) -> str | None:
    """The ranking scores' candidate count and chance level, so a hits@10 of 1.0 over 25
    candidates reads as what it is."""
    counts = sorted({r["ranking_candidates"] for r in runs if r.get("ranking_candidates")})
    if not counts:
        return None
    c = counts[0] if len(counts) == 1 else None
    where = f"{c} candidates per query" if c else \
        f"{counts[0]}–{counts[-1]} candidates per query"
    c = c or counts[0]
    return (f"Ranking: {where}; chance hits@1 = 1/{c} = {1 / c:.3f}, hits@10 = "
            f"{min(1.0, 10 / c):.3f}, MRR ≈ {sum(1 / k for k in range(1, c + 1)) / c:.3f}.")


def summarise(runs: list[dict]) -> dict[str, dict]:
    """{method: {column: {"mean", "std", "n"}}} over the runs of each method."""
    out: dict[str, dict] = {}
    for m in runs:
        out.setdefault(m["method"], {})
    for method in out:
        rs = [r for r in runs if r["method"] == method]
        for key, _ in COLUMNS:
            if (s := summary([r.get(key) for r in rs])):
                out[method][key] = s
    return out


def dataset_section(title: str, runs: list[dict], out_dir: Path, slug: str,
                    image_prefix: str = "", plot_title: str | None = None) -> list[str]:
    """A report section: the method tables, the runs' warnings (with what they mean), top-1
    per method against chance and the equivariance error per method and pattern against the
    identity (PNGs written to ``out_dir``, linked as ``image_prefix + name``). The plots
    are titled ``plot_title`` (default ``title``)."""
    lines = [f"## {title}", ""]
    title = plot_title or title
    for group, keys in GROUPS.items():
        table, methods = method_table(runs, [c for c in COLUMNS if c[0] in keys])
        if table:
            lines += [f"**{group}**", "", *table, ""]
            if "top1" in keys and (counts := label_counts(methods)):
                lines += [counts, ""]
            if "mrr" in keys and (chance := ranking_chance(runs)):
                lines += [chance, ""]
    warned = warning_lines(runs)
    if warned:
        lines += ["**Warnings** (they qualify the numbers above):", "", *warned, ""]
    names = list(methods)
    acc = [mean_std([r.get("top1") for r in methods[n]]) for n in names]
    classes = next((r.get("num_classes") for r in runs if r.get("num_classes")), None)
    if any(a[0] is not None for a in acc):
        spread = "mean ± std over runs" if any(a[2] > 1 for a in acc) else "one run each"
        plot_bars({"top-1": [a[0] for a in acc]}, out_dir / f"{slug}_top1.png",
                  f"{title}: top-1 accuracy per method ({spread})", "top-1",
                  names, errors={"top-1": [a[1] for a in acc]},
                  reference=1 / classes if classes else None,
                  reference_label=f"chance (1/{classes})" if classes else "")
        lines += [f"![top-1]({image_prefix}{slug}_top1.png)", ""]
    curves = loss_curves(methods)
    if curves:
        plot_curves(curves, out_dir / f"{slug}_loss_curves.png",
                    f"{title}: training loss / its first logged value\n(first run of each "
                    "method; the methods' losses differ in kind: only their shapes compare)",
                    ylabel="loss / first loss")
        lines += [f"![training loss]({image_prefix}{slug}_loss_curves.png)", ""]
    series, errors, labels, other = per_pattern_series(methods)
    if series:
        plot_bars(series, out_dir / f"{slug}_equivariance.png",
                  f"{title}: equivariance error per motion pattern (refitted maps)",
                  "||M'z(x) - z(gx)|| / ||z(x) - z(gx)||", pattern_ticks(labels, series),
                  errors=errors, reference=1.0, reference_label="identity map (no change)",
                  zoom=True)
        lines += [f"![equivariance error per pattern]({image_prefix}{slug}_equivariance.png)",
                  ""]
        if other:
            lines += [f"Not in the per-pattern chart (their runs fitted other motion "
                      f"patterns): {', '.join(other)}.", ""]
    return lines


def per_pattern_series(methods: dict[str, list[dict]]) -> tuple[dict, dict, list | None,
                                                                list[str]]:
    """The per-pattern chart's data: {method: means}, {method: stds}, the pattern labels
    and the methods left out. One chart has one set of patterns, the first measured run's;
    runs whose patterns differ (another split or motion setting) are left out and named."""
    measured = [r for rs in methods.values() for r in rs
                if r.get("equivariance_error_per_pattern")]
    labels = measured[0].get("pattern_labels") if measured else None
    series, errors, other = {}, {}, []
    for n, rs in methods.items():
        alike = [r for r in rs if r.get("pattern_labels") == labels]
        if any(r in measured and r not in alike for r in rs):
            other.append(n)
        per = [r.get("equivariance_error_per_pattern") or [] for r in alike]
        width = max((len(p) for p in per), default=0)
        if width:
            st = [mean_std([p[g] if g < len(p) else None for p in per]) for g in range(width)]
            series[n], errors[n] = [s[0] for s in st], [s[1] for s in st]
    return series, errors, labels, other


def pattern_ticks(labels: list[str] | None, series: dict[str, list]) -> list[str]:
    """The per-pattern chart's tick labels: each pattern's motion (``g0``... without names),
    marked "(not measured)" where no series has a value (a pattern without test pairs)."""
    width = max(len(v) for v in series.values())
    names = labels if labels and len(labels) == width else [f"g{g}" for g in range(width)]
    return [f"{name}\n(not measured)" if all(g >= len(v) or v[g] is None
                                             for v in series.values()) else name
            for g, name in enumerate(names)]


def conclusion_section(title: str, runs: list[dict]) -> list[str]:
    """The conclusions of one dataset's runs (see ``evaluate.conclusions``)."""
    found = conclusions(runs)
    warned = sum(bool(r.get("warnings")) for r in runs)
    if warned:
        found.append(f"- **warnings**: {warned} of {len(runs)} runs carry warnings; they are "
                     "listed under the tables below with what they mean.")
    return [f"### {title}", "", *(found or ["- fewer than two methods: nothing to compare."]),
            ""]


def meanings(keys=None) -> list[str]:
    """Markdown bullet lines saying what each column means."""
    return [f"- **{name}**: {MEANINGS[k]}" for k, name in COLUMNS
            if k in MEANINGS and (keys is None or k in keys)]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")[:60] or "dataset"


def write_report(run_dirs: list[str | Path], out_dir: str | Path,
                 runs: list[dict] | None = None, skipped: list[str] | None = None) -> Path:
    """Write OUT/report.md (and its PNGs); returns the report's path. ``runs`` and
    ``skipped``: what ``gather`` found in ``run_dirs``, when the caller has it (else they are
    gathered here)."""
    out_dir = Path(out_dir)
    if runs is None:
        skipped = []
        runs = gather(run_dirs, skipped)
    skipped = skipped or []
    lines = ["# Report", "", f"{len(runs)} runs from: " + ", ".join(map(str, run_dirs)), "",
             f"Cells: {SPREAD}; n = runs that measured the column. "
             "Definitions: docs/evaluation.md.", ""]
    if not runs:
        lines.append("No metrics.json found.")
    if skipped:
        lines += ["**Skipped files:**", "", *(f"- {w}" for w in skipped), ""]
    by_dataset: dict[str, list[dict]] = {}
    for m in runs:
        by_dataset.setdefault(str(m.get("dataset")), []).append(m)
    if runs:
        lines += ["## Conclusions", ""]
        for dataset, rs in sorted(by_dataset.items()):
            lines += conclusion_section(dataset, rs)
    for dataset, rs in sorted(by_dataset.items()):
        short = short_spec(dataset)  # the heading names the whole spec, the plots this
        lines += dataset_section(dataset, rs, out_dir, _slug(short), plot_title=short)
    measured = {k for k, _ in COLUMNS if mean_std([m.get(k) for m in runs])[2]}
    lines += ["## What each number means", "", *meanings(measured)]
    path = out_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
