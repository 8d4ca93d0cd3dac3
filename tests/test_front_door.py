"""What a new user meets first: the install name, quiet start-up, one-line errors, --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import ROOT

DISTRIBUTION = "deepdream-studio"  # `deepdream` on the package index is an unrelated 2020 project


def test_the_distribution_has_a_name_of_its_own_and_every_install_line_uses_it():
    from deepdream._install import DISTRIBUTION as named, extra_hint

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == named == DISTRIBUTION
    assert project["scripts"] == {"deepdream": "deepdream.cli:main"}  # the command keeps its name
    texts = {path: path.read_text() for path in [ROOT / "README.md", *(ROOT / "deepdream").rglob("*.py")]}
    named_lines = [(path.name, m.group(1)) for path, text in texts.items()
                   for m in re.finditer(r'pip install \\?["\']?([\w.-]+)\[', text)]
    assert named_lines, "no install line with an extra found"
    assert {name for _, name in named_lines if name != "."} == {DISTRIBUTION}, named_lines
    assert extra_hint("video") == 'pip install "deepdream-studio[video]" (or pip install ".[video]" from a clone)'
