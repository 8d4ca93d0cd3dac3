"""The documentation site: MkDocs builds it offline with no warning and no broken link, its
command-line reference is generated from the command line (every command, every option, the
settings' own defaults), and no page holds an option table written by hand."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_has_every_command_and_option_with_the_settings_defaults():
    import typer

    from deepdream.cli import app
    from deepdream.settings import DreamSettings, ZoomSettings

    text = hooks().cli_reference()
    root = typer.main.get_command(app)
    ctx = type(root).context_class(root, info_name="deepdream")
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert f"## `deepdream {name}`" in text, name
        section = text.split(f"## `deepdream {name}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            for opt in param.opts if param.param_type_name == "option" else []:
                assert opt in section, f"deepdream {name}: {opt} is missing from the reference"
    dream = text.split("## `deepdream dream`", 1)[1].split("\n## ", 1)[0]
    for field, flag in (("steps", "--steps N"), ("octaves", "--octaves N"), ("step_size", "--step-size X")):
        row = next(line for line in dream.splitlines() if line.startswith(f"| `{flag}`"))
        assert f"| `{DreamSettings.default(field):g}` |" in row, row
    zoom = text.split("## `deepdream zoom`", 1)[1].split("\n## ", 1)[0]
    assert f"`{ZoomSettings.default('frames')}`" in next(
        line for line in zoom.splitlines() if line.startswith("| `--frames N`")
    )


def test_no_page_holds_a_hand_written_option_table():
    """The reference is the one table of options: the pages link to it."""
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    tables = [str(p.relative_to(ROOT)) for p in pages if re.search(r"^\| *option *\| *default", p.read_text(), re.M)]
    assert tables == []


def test_the_python_reference_lists_every_exported_name():
    import deepdream

    text = hooks().python_reference()
    assert [line[len("::: deepdream.") :] for line in text.split("\n\n")] == [
        n for n in deepdream.__all__ if not n.startswith("_")
    ]


@pytest.mark.slow  # the whole site: about half a minute
def test_the_docs_build_strictly_offline(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip('the docs extra is not installed (pip install ".[docs]")')
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    reference = (site / "reference" / "cli" / "index.html").read_text()
    assert "deepdream dream" in reference and "--step-size" in reference
    python = (site / "reference" / "python" / "index.html").read_text()
    assert "deepdream.dream" in python and "Dream on an image" in python
    assert (site / "images" / "chelsea_dream.png").is_file()
    shutil.rmtree(site)
