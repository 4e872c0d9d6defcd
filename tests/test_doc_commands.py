"""Every ``egoequiv`` command the README and docs/*.md show runs as written: each one's
arguments parse with the command's own parser, and the cheap ones (listings, ``data info``,
``report``) run, from the repository root where their ``../shared/data`` paths point."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from egoequiv.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: the commands run as written: cheap ones, which read no more than a listing or a table
#: (``data info`` where it names the shared data; other paths are the reader's own files)
CHEAP = ("methods", "backbones", "sources", "data info")


def cheap(argv: list[str]) -> bool:
    line = " ".join(argv)
    return line.startswith(CHEAP) and (not line.startswith("data") or "../shared/data" in line)


def documented_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of each ``egoequiv ...`` command in a shell block of the docs; a
    synopsis (``[--json]``, ``a|b``) is a usage line, not a command, and is left out."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.finditer(r"```(?:bash|sh|shell|console)?\n(.*?)```", text, re.S):
            first = text[:block.start()].count("\n") + 2
            for start, line in _logical_lines(block.group(1)):
                for command in re.split(r"\s*(?:&&|;)\s*", line.split(" #")[0]):
                    command = command.strip().removeprefix("$ ")
                    if not command.startswith("egoequiv ") or re.search(r"[\[\]|]", command):
                        continue
                    found.append((f"{doc.relative_to(REPO)}:{first + start}",
                                  shlex.split(command)[1:]))
    return found


def _logical_lines(block: str) -> list[tuple[int, str]]:
    """Lines of a shell block with ``\\`` continuations joined: (first line, text)."""
    out, current, start = [], "", 0
    for k, line in enumerate(block.split("\n")):
        if not current:
            start = k
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        out.append((start, current + line))
        current = ""
    return out


COMMANDS = documented_commands()


def test_the_docs_show_commands_of_every_kind():
    kinds = {argv[0] for _, argv in COMMANDS}
    assert {"demo", "train", "eval", "data", "report", "reproduce", "finetune",
            "export"} <= kinds, kinds


@pytest.mark.parametrize("where, argv", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_a_documented_command_parses_as_written(where, argv):
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{where}: `egoequiv {shlex.join(argv)}`: {err.getvalue().strip()}")


@pytest.mark.parametrize("where, argv", [(w, a) for w, a in COMMANDS if cheap(a)],
                         ids=[w for w, a in COMMANDS if cheap(a)])
def test_a_cheap_documented_command_runs_as_written(where, argv, shared_data, monkeypatch,
                                                    capsys):
    monkeypatch.chdir(REPO)
    argv = [a.replace("../shared/data", str(shared_data)) for a in argv]
    assert main(argv) == 0, f"{where}: {capsys.readouterr().err}"
    assert capsys.readouterr().out.strip()


def test_report_on_a_run_folder_writes_beside_it_as_documented(tmp_path, shared_data,
                                                               monkeypatch):
    """docs/data.md ends with ``egoequiv report runs/bag``: no --out needed."""
    where, argv = next((w, a) for w, a in COMMANDS if a[0] == "report")
    monkeypatch.chdir(tmp_path)
    run = Path(argv[1])
    assert main(["train", "--dataset", f"eth80:{shared_data / 'eth80'}", "--method", "drlim",
                 "--iters", "2", "--set", "image_size=16", "--set", "batch_size=8",
                 "--set", "conv_channels=4,8", "--set", "hidden_dim=16",
                 "--set", "feature_dim=8", "--quiet", "--out", str(run)]) == 0, where
    assert main(argv) == 0, where
    assert "drlim" in (run / "report.md").read_text()
