"""The documentation covers what the code offers."""

from pathlib import Path

from egoequiv.config import field_names
from egoequiv.data.registry import SOURCES
from egoequiv.methods import METHODS

REPO = Path(__file__).resolve().parents[1]


def test_every_config_key_is_documented():
    text = (REPO / "docs" / "config.md").read_text()
    missing = [k for k in field_names() if f"`{k}`" not in text]
    assert not missing


def test_readme_names_every_method_and_source_and_starts_with_the_demo():
    text = (REPO / "README.md").read_text()
    assert [m for m in METHODS if f"`{m}`" not in text] == []
    assert [s for s in SOURCES if f"`{s}" not in text] == []
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    assert "egoequiv demo" in first_block and "torch==2.13.0" in first_block


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```bash")[1:]]
    test_command = blocks[1]
    assert "pytest" in test_command
    assert test_command in (REPO / ".ci" / "run").read_text()


def test_each_method_row_names_the_keys_the_method_declares():
    rows = {line.split("`")[1]: line for line in (REPO / "README.md").read_text().splitlines()
            if line.startswith("`") and line.split("`")[1] in METHODS}
    for name, cls in METHODS.items():
        own = cls.__dict__.get("hyperparameters", {})
        assert [k for k in own if f"`{k}`" not in rows[name]] == [], name


def test_every_record_key_is_documented():
    from egoequiv.evaluation import record
    from egoequiv.evaluation.suite import KEYS as SUITE_KEYS

    text = (REPO / "docs" / "evaluation.md").read_text()
    own = [k for k in record.KEYS if k not in SUITE_KEYS]
    assert [k for k in own if f"`{k}`" not in text] == []
