"""`make test` leaves the tracked screenshots alone; `make screenshots` is what refreshes them."""

import shutil
import subprocess

import pytest

from tests.browser import ROOT, screenshots_dir


@pytest.fixture
def git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("these checks need the git checkout the suite runs from")
    return lambda *args: subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def test_the_suite_writes_screenshots_to_an_ignored_folder(git, monkeypatch):
    monkeypatch.delenv("SCREENSHOTS_DIR", raising=False)
    shot = screenshots_dir() / "board.png"
    assert git("check-ignore", "-q", str(shot)).returncode == 0, f"{shot} is not git-ignored"
    assert not git("ls-files", str(shot.parent)).stdout  # nothing tracked there either


def test_make_screenshots_writes_the_readmes_pictures():
    dry_run = subprocess.run(
        ["make", "-n", "screenshots"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "SCREENSHOTS_DIR=docs/screenshots" in dry_run
    assert "tests/test_console_browser.py" in dry_run
    readme = (ROOT / "README.md").read_text()
    for name in ("alert-phone", "board-phone", "board", "patient", "rules-refused"):
        assert f"docs/screenshots/{name}.png" in readme
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").exists()
