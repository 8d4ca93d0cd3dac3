"""Ruff, configured in pyproject.toml, finds nothing: lint rules (pyflakes, pycodestyle, isort, bugbear,
pyupgrade, simplify, unused noqa) and the formatter's layout, over the package, the tests and the scripts."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff") or shutil.which("ruff", path=str(ROOT / ".venv" / "bin"))
    command = [exe] if exe else [sys.executable, "-m", "ruff"]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("check", "--output-format", "concise", "."), ("format", "--check", ".")])
def test_ruff_finds_nothing(args):
    result = ruff(*args)
    assert result.returncode == 0, f"ruff {' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_ruff_would_catch_a_defect(tmp_path):
    """The configuration is the one in force: an unused import and an undefined name are findings."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    result = ruff("check", "--output-format", "concise", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert result.returncode == 1
    assert "F401" in result.stdout and "F821" in result.stdout, result.stdout
