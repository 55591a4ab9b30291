"""docs/configuration.md's table against the code: an operator who reads a default there gets it,
and finds every variable the project reads, and none it doesn't. The table was kept by hand
beside subscriptions/app_settings.py and drifted from it."""

import ast
import dataclasses
import re
from pathlib import Path

from subscriptions.app_settings import Defaults

ROOT = Path(__file__).resolve().parent.parent
# A row of the table: | `NAME` | default | meaning |
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|", re.M)
ENV_READERS = {"env_bool", "env_int", "env_float", "env_list"}


def documented() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    text = (ROOT / "docs" / "configuration.md").read_text()
    for name, default in ROW.findall(text):
        rows.setdefault(name, []).append(default.strip())
    return rows


def as_documented(value: object) -> str:
    """How the table writes a default: `value`, empty, or on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value in ("", ()):
        return "empty"
    if isinstance(value, tuple):
        value = ",".join(value)
    return f"`{value}`"


def read_by_project_settings() -> set[str]:
    """Every variable newsroom/settings.py reads by name: os.environ.get/setdefault, env_*()."""
    tree = ast.parse((ROOT / "newsroom" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func, first = node.func, node.args[0]
        reads = (isinstance(func, ast.Name) and func.id in ENV_READERS) or (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "setdefault")
            and ast.unparse(func.value) == "os.environ"
        )
        if reads and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def test_every_app_setting_is_documented_once_with_its_default():
    rows = documented()
    for field in dataclasses.fields(Defaults):
        assert field.name in rows, f"{field.name} is missing from docs/configuration.md"
        assert len(rows[field.name]) == 1, f"{field.name} has {len(rows[field.name])} rows"
        shown, expected = rows[field.name][0], as_documented(field.default)
        assert shown.startswith(expected), f"{field.name}: the doc says {shown!r}, not {expected}"


def test_every_variable_the_settings_module_reads_is_documented():
    missing = read_by_project_settings() - set(documented())
    assert not missing, f"read by newsroom/settings.py, not in docs/configuration.md: {missing}"


def test_the_doc_names_no_setting_that_does_not_exist():
    rows = documented()
    assert len(rows) >= 80  # the parser still finds the table's rows
    known = {field.name for field in dataclasses.fields(Defaults)} | read_by_project_settings()
    # ANYMAIL_<NAME> hands every such variable to anymail, which documents its own.
    unknown = {name for name in rows if name not in known and not name.startswith("ANYMAIL_")}
    assert not unknown, f"docs/configuration.md names settings nothing reads: {unknown}"
    twice = {name for name, defaults in rows.items() if len(defaults) > 1}
    assert not twice, f"docs/configuration.md has more than one row for {twice}"
