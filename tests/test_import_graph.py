"""The packages import each other only in the direction docs/ARCHITECTURE.md draws, with no
circle, and the core below the two front ends never imports Flask (issue 12)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "api",
    "access",
    "clinical",
    "console",
    "fhir_r4",
    "messages",
    "models",
    "schedules",
    "triage",
}
CORE = PACKAGES - {"api", "console", "models"}


def imports() -> dict[str, dict[str, set[str]]]:
    """{package: {imported top-level module: {files importing it}}}, lazy imports included."""
    found = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found[package].setdefault(name.split(".")[0], set()).add(path.name)
    return found


def documented() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    table = text.split("<!-- import-direction")[1].split("\n\n")[0]
    allowed = {}
    for package, may in re.findall(r"^\| `(\w+)` \|([^|]*)\|$", table, re.M):
        allowed[package] = {name.strip() for name in may.split(",") if name.strip()}
    return allowed


def test_the_documented_direction_covers_every_package():
    assert set(documented()) == PACKAGES


def test_no_package_imports_against_the_direction():
    allowed, actual = documented(), imports()
    wrong = {
        (package, target, tuple(sorted(files)))
        for package, targets in actual.items()
        for target, files in targets.items()
        if target in PACKAGES and target != package and target not in allowed[package]
    }
    assert wrong == set()


def test_the_direction_has_no_circle():
    allowed = documented()
    done = set()

    def visit(package, path):
        assert package not in path, f"circle: {' -> '.join([*path, package])}"
        if package in done:
            return
        for target in allowed[package]:
            visit(target, [*path, package])
        done.add(package)

    for package in allowed:
        visit(package, [])
    assert done == PACKAGES


def test_the_core_never_imports_flask():
    actual = imports()
    flask = {
        (package, target)
        for package in CORE
        for target in actual[package]
        if target == "flask" or target.startswith("flask_")
    }
    assert flask == set()


def test_the_check_can_fail(tmp_path, monkeypatch):
    """A console module importing api/ is caught."""
    wrong = ROOT / "console" / "_probe_import.py"
    wrong.write_text("from api import audit\n")
    try:
        actual = imports()
        assert "api" in actual["console"]
        assert "api" not in documented()["console"]
    finally:
        wrong.unlink()
