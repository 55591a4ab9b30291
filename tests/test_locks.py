"""The two hashed locks: requirements.lock for production, requirements-dev.lock for the rest.

Production's .venv (`make install-runtime`) gets the runtime lock alone, so nothing that only
tests, lints or types the code may be in it. The dev lock is the same runtime packages at the
same versions plus the dev extra, so the tests run against what production runs.

What each package pulls in is read from the dev lock's own "# via" annotations (uv writes them
by default); a lock compiled without them fails here rather than passing unchecked.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .support.stack import ROOT

RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
# Named outright, so the test can't pass by misreading the locks' annotations.
TEST_AND_LINT_TOOLS = {"pytest", "playwright", "mypy", "ruff", "hypothesis"}

PIN = re.compile(
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?: ; [^\\]+?)?"
    r"(?P<hashes>(?: --hash=sha256:[0-9a-f]{64})+)"
)


@dataclass
class Pin:
    version: str
    line: str
    # The packages that require this one (and PROJECT when pyproject.toml names it).
    required_by: set[str] = field(default_factory=set)


def read_lock(path: Path) -> dict[str, Pin]:
    """Each package of a `uv pip compile --generate-hashes` lock, by canonical name."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    logical = ""
    for raw in path.read_text().splitlines():
        if raw.startswith("    #"):  # an annotation of the pin above it: "via a" or "  a"
            via = raw.strip("# ").removeprefix("via").strip()
            if current is not None and via and not via.startswith("-"):
                current.required_by.add(canonicalize_name(via.split(" ")[0]))
        elif not raw.startswith("#") and raw.strip():
            logical += " " + raw.strip().removesuffix("\\").strip()
            if not raw.endswith("\\"):
                line, logical = logical.strip(), ""
                match = PIN.fullmatch(line)
                name = canonicalize_name(match["name"]) if match else line
                current = pins[name] = Pin(match["version"] if match else "", line)
    return pins


def runtime_closure(dev: dict[str, Pin]) -> set[str]:
    """What [project].dependencies pull in, followed through the dev lock's annotations."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed: set[str] = {
        canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]
    }
    while True:
        more = {name for name, pin in dev.items() if pin.required_by & needed} - needed
        if not more:
            return needed
        needed |= more


@pytest.fixture(scope="module")
def runtime() -> dict[str, Pin]:
    return read_lock(RUNTIME_LOCK)


@pytest.fixture(scope="module")
def dev() -> dict[str, Pin]:
    return read_lock(DEV_LOCK)


def test_production_lock_holds_no_test_lint_or_type_checking_tool(runtime, dev):
    dev_only = set(dev) - runtime_closure(dev)
    assert TEST_AND_LINT_TOOLS - dev_only == set()  # each in the dev lock for the dev extra alone
    assert (TEST_AND_LINT_TOOLS | dev_only) & set(runtime) == set()


def test_production_lock_holds_everything_the_project_dependencies_pull_in(runtime, dev):
    assert set(runtime) == runtime_closure(dev)


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda path: path.name)
def test_every_package_in_each_lock_is_pinned_to_one_version_with_its_hashes(lock):
    pins = read_lock(lock)
    assert pins
    assert [pin.line for pin in pins.values() if not pin.version] == []


def test_tests_run_every_production_package_at_production_version(runtime, dev):
    assert {name: pin.version for name, pin in runtime.items()} == {
        name: dev[name].version if name in dev else None for name in runtime
    }
