"""``egoequiv data info|convert|download``: inspect, export and fetch data sources."""

from __future__ import annotations

import json
import sys
import warnings


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="inspect, convert and download data sets",
                              description="Inspect, convert and download data sets.")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    sub.required = True

    info = sub.add_parser("info", help="what a source holds (images, sequences, motor, ...)")
    info.add_argument("spec", metavar="SPEC", help="dataset spec, e.g. kitti-raw:DIR")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="a run's config key, to see the split and patterns it would make, "
                           "e.g. --set split=time (repeatable)")
    info.set_defaults(func=cmd_info)

    conv = sub.add_parser("convert", help="write a source as frames-csv (PNG frames + CSV)")
    conv.add_argument("spec", metavar="SPEC")
    conv.add_argument("out_dir", metavar="OUT_DIR")
    conv.set_defaults(func=cmd_convert)

    dl = sub.add_parser("download", help="fetch smallNORB or SUN397; print KITTI instructions")
    dl.add_argument("dataset", choices=["norb", "sun397", "kitti"])
    dl.add_argument("--to", required=True, metavar="DIR", help="destination folder")
    dl.add_argument("--url-base", metavar="URL", help="a mirror: files are fetched as "
                                                      "URL/<file name>")
    dl.set_defaults(func=cmd_download)


def cmd_info(args) -> int:
    from egoequiv.data.registry import open_source
    from egoequiv.data.rosbag import TopicChoiceError
    from egoequiv.task.build import describe_patterns

    source = open_source(args.spec)
    topics = source.topics() if hasattr(source, "topics") else None
    try:
        table = _table(source)
    except TopicChoiceError as e:  # no camera/motion chosen: list what it has
        if args.json:
            print(json.dumps({"source": source.describe(), "topics": topics,
                              "error": str(e)}, indent=2))
        else:
            for t in topics:
                print(f"{t['topic']:<32}  {t['type']:<36}  {t['count']} {source.count_unit}")
        # the spec cannot be trained on: a script must be able to tell
        print(f"egoequiv: error: {e.path}: {e.message.split('; the bag has')[0]}",
              file=sys.stderr)
        return 2
    info = {"source": source.describe(), **table.info(), "frame": source.frame_info(),
            "motion_patterns": describe_patterns(table, _config(args.set))}
    if topics is not None:
        info["topics"] = topics
    if args.json:
        print(json.dumps(info, indent=2))
        return _trainable(info)
    present = sorted({table.class_names[c] for c in table.labels if c >= 0}) \
        if table.labels is not None and table.class_names else []
    labelled = "unlabelled" if info["num_classes"] is None else \
        f"{info['num_classes']} classes, {info['num_labelled']} labelled" + (
            f" ({len(present)} present: {', '.join(present[:5])})"
            if len(present) < info["num_classes"] else "")
    still = table.motor_spec.names == ("still",)
    layout = "still images (each its own sequence: no pairs)" if still else info["layout"]
    frame = info["frame"]
    size = (f"{frame['width']} x {frame['height']} px, "
            f"{'grey' if frame['channels'] == 1 else 'colour'} (the first frame); a run uses "
            f"{frame['trains_as_channels']} channel(s) unless the config sets channels"
            ) if "channels" in frame else f"- ({frame['error']})" if frame else "-"
    rows = [("source", info["source"]), ("images", info["num_images"]), ("frames", size),
            ("sequences", info["num_sequences"]), ("labels", labelled), ("layout", layout)]
    if info["splits"]:
        rows.append(("splits", ", ".join(f"{k or '(none)'} {v}"
                                         for k, v in info["splits"].items())))
    for m in [] if still else info["motor"]:
        cyclic = f", cyclic {m['period']:g}" if m["period"] else ""
        rows.append((f"motor {m['name']}",
                     f"{_num(m['min'])} .. {_num(m['max'])} {m['unit']}{cyclic}".rstrip()))
    pats = info["motion_patterns"]
    settings = "the --set" if args.set else "the default"
    rows.append(("pairs", f"{pats['num_pairs']} neighbour pairs; a run with {settings} "
                          f"settings trains on {pats['train_pairs']} and tests on "
                          f"{pats['test_pairs']} (the motion rows below: its training "
                          "pairs)"))
    if "split" in pats:
        rows.append(("split", pats["split"].removeprefix("split: ")))
    for m in pats.get("motion", []):
        rows.append((f"motion {m['name']}", f"{_num(m['min'])} .. {_num(m['max'])} "
                                            f"(median {_num(m['median'])}) {m['unit']}"))
    for p in pats["patterns"]:
        ratio = "-" if p["spread_ratio"] is None else f"{p['spread_ratio']:.2f}"
        rows.append((f"pattern {p['pattern']}",
                     f"{p['motion']}: {p['pairs']} train / {p['test_pairs']} test pairs, "
                     f"spread ratio {ratio} (lower is purer)"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for w in info["warnings"] + pats["warnings"]:
        print(f"warning: {w}")
    return _trainable(info)


def _trainable(info: dict) -> int:
    """0, or 2 with one line when no method can train on the source: no neighbour pair and
    no label (a script must be able to tell)."""
    if info["motion_patterns"]["num_pairs"] or info["num_labelled"]:
        return 0
    print(f"egoequiv: error: {info['source']}: nothing to train on: no neighbour pairs and "
          "no labels", file=sys.stderr)
    return 2


def _config(items: list[str]):
    """The config of ``--set`` (loaded only when given: it reads the backbone registry,
    which imports torch)."""
    if not items:
        return None
    from egoequiv.config import load_config, parse_overrides

    return load_config(None, parse_overrides(items))


def _table(source):
    """The source's table; its warnings are reported from ``table.warnings`` instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return source.table()


def _num(x) -> str:
    return "-" if x is None else f"{x:.4g}"


def cmd_convert(args) -> int:
    from egoequiv.data.convert import convert_to_frames_csv
    from egoequiv.data.registry import open_source

    source = open_source(args.spec)
    path, frames = convert_to_frames_csv(source, args.out_dir,
                                         warn=lambda w: print(w, file=sys.stderr))
    print(f"wrote {frames} frames: {path} (use --dataset frames-csv:{path})")
    return 0


def cmd_download(args) -> int:
    from egoequiv.data.download import KITTI_HELP, download_dataset

    if args.dataset == "kitti":
        print(KITTI_HELP.format(to=args.to))
        return 0
    download_dataset(args.dataset, args.to, url_base=args.url_base)
    return 0
