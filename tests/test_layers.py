"""Imports run one way: data -> motion -> task -> models/losses -> methods -> evaluation ->
training -> api/experiment -> demo/reproduce -> cli (docs/contributing.md). A module may import
its own package and any lower layer, never a higher one or a sibling at its own layer."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "egoequiv"
#: the layer of each top-level module or package of egoequiv (0: used by everyone)
LAYERS = {"errors": 0, "utils": 0, "config": 0, "data": 1, "render": 2, "motion": 3,
          "task": 4, "models": 5, "losses": 5, "methods": 6, "evaluation": 7, "training": 8,
          "api": 9, "experiment": 9, "transfer": 9, "demo": 10, "reproduce": 10, "cli": 11}


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("egoequiv."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("egoequiv.")]
    return found


def test_every_module_has_a_layer():
    tops = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert tops - {"__init__", "__main__"} <= set(LAYERS), tops - set(LAYERS)


def test_imports_run_one_way():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in ("__init__", "__main__"):
            continue
        me = parts[0]
        for line, module in imports_of(path):
            other = module.split(".")[1]
            if other == me or other not in LAYERS:
                continue
            if LAYERS[other] > LAYERS[me] or (LAYERS[other] == LAYERS[me] and LAYERS[me] > 0):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {me} imports {module}")
    assert wrong == []
