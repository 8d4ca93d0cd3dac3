"""What a new user meets first: the install name, quiet start-up, one-line errors, --help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

DISTRIBUTION = "deepdream-studio"  # `deepdream` on the package index is an unrelated 2020 project


def test_the_distribution_has_a_name_of_its_own_and_every_install_line_uses_it():
    from deepdream._install import DISTRIBUTION as named
    from deepdream._install import extra_hint

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == named == DISTRIBUTION
    assert project["scripts"] == {"deepdream": "deepdream.cli:main"}  # the command keeps its name
    texts = {path: path.read_text() for path in [ROOT / "README.md", *(ROOT / "deepdream").rglob("*.py")]}
    named_lines = [
        (path.name, m.group(1))
        for path, text in texts.items()
        for m in re.finditer(r'pip install \\?["\']?([\w.-]+)\[', text)
    ]
    assert named_lines, "no install line with an extra found"
    assert {name for _, name in named_lines if name != "."} == {DISTRIBUTION}, named_lines
    assert extra_hint("video") == 'pip install "deepdream-studio[video]" (or pip install ".[video]" from a clone)'


@pytest.mark.slow  # a new process: its first TensorFlow import is the point
def test_the_python_api_keeps_tensorflow_start_up_chatter_off_stderr():
    """The process's stderr is the point: TensorFlow logs CUDA probing, CPU features and oneDNN notes
    from C++ when first imported, unless deepdream imports it quietly first."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}  # conftest quiets this process only
    code = (
        "import numpy as np, deepdream\n"
        "deepdream.load_backbone('vgg16')\n"
        "a = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype(np.uint8)\n"
        "deepdream.synthesize_texture(a, '32x32', iterations=1, scales=1)\n"
        "deepdream.stylize(a, a, iterations=1, scales=1)\n"
        "print('done')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == ""


def test_a_channel_label_too_long_for_its_cell_keeps_its_channel_number():
    from PIL import Image, ImageDraw

    from deepdream.gallery import _fit_text, _font

    draw, font = ImageDraw.Draw(Image.new("RGB", (10, 10))), _font(13)
    label = _fit_text(draw, "block5a_expand:12", font, 70)
    assert label.endswith("…:12") and label.startswith("block") and draw.textlength(label, font=font) <= 70
    assert _fit_text(draw, "block5a_expand_and_more", font, 70).endswith("…")  # other labels: cut at the end


def test_style_blend_with_one_style_is_refused():
    import pytest

    from deepdream.errors import SettingsError
    from deepdream.settings import StyleSettings

    with pytest.raises(SettingsError, match=r"^--style-blend weighs several styles, and there is one --style; "):
        StyleSettings(styles=("a.png",), style_blend="0.7")
    assert StyleSettings(styles=("a.png", "b.png"), style_blend="3,1").style_blend == (0.75, 0.25)


def test_help_shows_each_commands_real_defaults_and_optional_arguments():
    from conftest import cli

    dream, style, texture = (cli(c, "--help").stdout for c in ("dream", "style", "texture"))
    assert "INPUT_dream.png" in dream and "INPUT_style.png" in style and "INPUT_texture.png" in texture
    assert "INPUT_MODE" not in dream + style + texture
    assert re.search(r"--seed N\s+Random seed[^\[]*\[default: 0\]", " ".join(dream.split())), dream
    assert "[default: 0]" in " ".join(cli("batch", "--help").stdout.split())  # the sweep's --seed too, once
    assert cli("classes", "--help").stdout.startswith("Usage: deepdream classes [OPTIONS] [WORD]")
    assert cli("dream", "--help").stdout.startswith("Usage: deepdream dream [OPTIONS] INPUT")


def test_the_missing_weights_message_names_both_networks_that_work_offline(tmp_path, monkeypatch):
    from conftest import SAMPLES, cli

    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))  # no Keras cache either
    result = cli("dream", SAMPLES / "chelsea.png", "-b", "googlenet", "-o", tmp_path / "out.png", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "or use --backbone efficientnet-lite2 (the default) or vgg16, which work offline."
    )


def test_the_long_run_warning_suggests_only_options_the_command_has():
    from deepdream.cli import app  # noqa: F401  (the commands, registered)
    from deepdream.progress import _Bar

    assert _Bar("painting").faster == "fewer --steps or a smaller --size"  # `class` has no --max-side
    assert _Bar("texture").faster == "fewer --iterations or a smaller --size"
    assert _Bar("dreaming").faster == "fewer --steps or a smaller --max-side"


def test_an_unknown_backbone_is_one_line_before_anything_loads(tmp_path):
    """`-b resnet` on every command that takes a backbone: exit 2, one line naming the valid ones,
    and TensorFlow never started (no "loading resnet" bar first)."""
    commands = [
        ["dream", "samples/chelsea.png"],
        ["zoom", "samples/chelsea.png", "-o", "z.gif"],
        ["style", "samples/chelsea.png", "-s", "samples/brick.png"],
        ["texture", "samples/brick.png"],
        ["gallery", "samples/chelsea.png"],
        ["batch", "samples/chelsea.png", "--out", "out"],
        ["class", "lemon"],
    ]
    code = (
        "import contextlib, io, sys\n"
        "from deepdream.cli import run\n"
        f"for args in {commands!r}:\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        code = run([*args, '-b', 'resnet'])\n"
        "    print(code, 'tensorflow' in sys.modules, err.getvalue().strip().replace(chr(10), ' / '))\n"
    )
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(commands)
    for args, line in zip(commands, lines, strict=True):
        assert line.startswith("2 False deepdream: error: Unknown backbone 'resnet'."), (args, line)
        assert "Valid backbones: vgg16, inceptionv3, googlenet, efficientnet-lite2." in line and " / " not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples"]


def test_the_repository_holds_its_licence_and_no_stray_packages():
    """The MIT licence the package declares is in the repository and in the package's metadata; no
    built wheel or archive is committed at the top."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert [p for p in tracked if p.endswith((".whl", ".tar.gz", ".zip"))] == []


def _sections(text: str) -> dict[str, list[str]]:
    """A help text's sections (a line `Name:` at the margin) -> the first word of each entry."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][^:]*:", line):
            current = sections.setdefault(line[:-1], [])
        elif current is not None and re.match(r"  \S", line):
            current.append(line.split()[0].rstrip(","))
    return sections


def test_deepdream_help_lists_the_commands_in_groups_with_whole_summaries():
    from conftest import cli

    from deepdream.cli import app
    from deepdream.cli.app import summary

    text = cli("--help").stdout
    sections = _sections(text)
    assert list(sections) == ["Options", "Render", "Motion", "Many pictures", "Inspect", "Serve"]
    assert sections["Render"] == ["dream", "class", "visualize", "style", "texture"]
    assert sections["Motion"] == ["zoom", "video"] and sections["Many pictures"] == ["batch", "gallery"]
    assert sections["Inspect"] == ["presets", "layers", "backbones", "classes", "weights"]
    assert sections["Serve"] == ["serve"]
    flat = " ".join(text.split())
    for command in app.registered_commands:
        line = summary(typer_command(app, command.name))
        assert line.endswith(".") and "..." not in line and line[0].isupper(), line
        assert line in flat, line  # whole, however the terminal wraps it
    assert '(class visualisation), e.g. deepdream class "golden retriever".' in flat


def typer_command(app, name):
    import typer.main

    group = typer.main.get_command(app)
    return group.commands[name]


def test_dream_help_groups_its_options_the_look_first():
    from conftest import cli

    sections = _sections(cli("dream", "--help").stdout)
    assert list(sections)[:2] == ["Arguments", "The look"]
    assert sections["The look"][:2] == ["--preset", "-l"] and "--step-size" in sections["The look"]
    assert "--guide" in sections["Guides and regions"] and "--backbone" not in sections["The look"]
    assert sections["Network"][0] == "-b" and "--tile-size" in sections["Size, speed and seed"]
    assert sections["Input and output"] == ["-o", "--settings", "--save-every", "--overwrite", "--dry-run", "-q"]
    assert list(sections)[-1] == "Options" and sections["Options"] == ["-h"]
    zoom = _sections(cli("zoom", "--help").stdout)
    assert list(zoom).index("The look") < list(zoom).index("Motion") and "--frames" in zoom["Motion"]
