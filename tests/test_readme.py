"""Every `deepdream ...` command in README.md runs as written, from the repository's root with the
files it names: a rendering command is checked with --dry-run (every input read, every setting
checked, nothing written), a listing command is run as it is. Commands added to the README later are
covered the day they are added; one this test cannot run fails it, loudly."""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest
from conftest import ROOT, cli

#: Commands that are not renders and cannot run here as written: a server, and the weights
#: commands (they download or add files). Anything else must run.
NOT_RENDERS = {"serve", "weights"}
#: Commands that only list things: run as they are (cheap).
LISTINGS = {"layers", "classes", "backbones", "presets"}
#: The modules of the optional extras some commands need.
EXTRA_MODULES = {"ray": ("ray",), "video": ("av", "cv2")}
#: A placeholder in a synopsis (`deepdream dream INPUT [-o OUTPUT]`, `--class NAME`, `SHEET.png`).
PLACEHOLDER = re.compile(r"^(\[.*|.*\]|\.\.\.|[A-Z][A-Z_]*(\.[a-z]+)?|[A-Z]+,[A-Z,]+|-.*=[A-Z_]+)$")


def readme_commands() -> list[str]:
    """Each `deepdream ...` command of README.md: lines of its code blocks (comments cut) and
    backticked spans of its tables and text, in order, each once."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    for block in blocks:
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith("deepdream "):
                found.append(line)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    found += [span.strip() for span in re.findall(r"`(deepdream [^`]+)`", prose)]
    return list(dict.fromkeys(found))


def is_synopsis(words: list[str]) -> bool:
    """A synopsis (placeholders in capitals), or a command named in passing (`deepdream style`)."""
    bare = len(words) == 2 and words[1] not in LISTINGS | NOT_RENDERS and not words[1].startswith("-")
    return bare or any(PLACEHOLDER.match(word) for word in words[1:])


COMMANDS = readme_commands()


def test_the_readme_has_commands_to_check():
    assert len(COMMANDS) > 20
    runnable = [c for c in COMMANDS if not is_synopsis(shlex.split(c))]
    assert {shlex.split(c)[1] for c in runnable} >= {
        "dream",
        "class",
        "batch",
        "gallery",
        "zoom",
        "video",
        "style",
        "texture",
        "layers",
        "classes",
        "backbones",
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_runs_as_written(command):
    """Run from the repository's root (its files as the README names them) with --dry-run, so
    nothing is written there; a file the README makes with one command and uses in the next is not
    assumed."""
    from deepdream.backbones import weights_status

    words = shlex.split(command)
    assert words[0] == "deepdream"
    if len(words) > 1 and words[1] in NOT_RENDERS:
        pytest.skip(f"`deepdream {words[1]}` is not run here: see NOT_RENDERS")
    if is_synopsis(words):
        # a synopsis (placeholders in capitals): its command must exist, and so must its options
        name = words[1]
        if name in ("COMMAND", "..."):  # `deepdream COMMAND --help`, `deepdream ...`
            return
        assert cli(name, "--help").returncode == 0, f"README names a command that does not exist: {command}"
        help_text = cli(name, "--help").stdout
        for word in words[2:]:
            if word.startswith("--") and word != "--help":
                assert word.split("=")[0] in help_text, f"{command}: {word} is not an option of `deepdream {name}`"
        return
    before = sorted(p.name for p in ROOT.iterdir())
    listing = len(words) > 1 and (words[1] in LISTINGS or "--help" in words or "--version" in words)
    args = words[1:] if listing else [*words[1:], "--dry-run"]
    result = cli(*args, cwd=ROOT)
    assert sorted(p.name for p in ROOT.iterdir()) == before, "a README command wrote into the repository"
    extras = {"ray": "--ray" in words, "video": words[1] in ("zoom", "video")}
    missing = [
        extra
        for extra, needed in extras.items()
        if needed and any(importlib.util.find_spec(m) is None for m in EXTRA_MODULES[extra])
    ]
    if missing and result.returncode == 2:  # an optional extra not installed here: it must say how to get it
        assert f'pip install "deepdream-studio[{missing[0]}]"' in result.stderr, result.stderr
        pytest.skip(f"needs the {missing[0]} extra, not installed here (the command says how to get it)")
    needs = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-b", "--backbone")]
    if needs and not weights_status(needs[-1]).available and result.returncode == 2:
        # the README adds this network's weights file first (`deepdream weights add`); here it is
        # missing, and the command must say so (and nothing else is wrong with it)
        assert "weights" in result.stderr and "deepdream weights add" in result.stderr, result.stderr
        pytest.skip(f"needs {needs[-1]}'s weights file, not added here (the command says how to add it)")
    assert result.returncode == 0, f"`{command}` failed as written: {result.stderr}"
    if not listing:
        assert result.stdout.startswith(("would ", "  ")) or "up to date" in result.stdout, result.stdout
