"""What README.md and the docs show runs as written.

Every `deepdream ...` command of README.md and of docs/*.md runs from a folder of its own holding the
files the commands name (samples/ and docs/images/, copied), never from the repository's root, so
nothing a user left there (the quick start's picture, say) changes the result: a rendering command is
checked with --dry-run (every input read, every setting checked, nothing written), a listing command is
run as it is. Every fenced `python` block runs in a fresh process in such a folder. The quick start's
render runs twice over (the second run replaces the picture the first wrote). Commands and examples
added later are covered the day they are added; one this test cannot run fails it, loudly."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, cli, free_port

#: Commands that are not renders and cannot run here as written: a server, and the weights
#: commands (they download or add files). Anything else must run.
NOT_RENDERS = {"serve", "weights"}
#: Commands that only list things: run as they are (cheap).
LISTINGS = {"layers", "classes", "backbones", "presets"}
#: The modules of the optional extras some commands need.
EXTRA_MODULES = {"ray": ("ray",), "video": ("av", "cv2")}
#: A placeholder in a synopsis (`deepdream dream INPUT [-o OUTPUT]`, `--class NAME`, `SHEET.png`).
PLACEHOLDER = re.compile(r"^(\[.*|.*\]|\.\.\.|[A-Z][A-Z_]*(\.[a-z]+)?|[A-Z]+,[A-Z,]+|-.*=[A-Z_]+)$")
#: The pages whose commands and examples are checked.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: What the pages' commands read, copied into each test folder.
NAMED_FILES = ("samples", "docs/images")


def fenced(text: str, language: str | None = None) -> list[str]:
    """The bodies of the text's fenced code blocks (of one language, or all)."""
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", text, flags=re.S | re.M)
    return [body for lang, body in blocks if language is None or lang.strip() == language]


def page_commands(text: str) -> list[str]:
    """Each `deepdream ...` command of a page: lines of its code blocks (comments cut) and backticked
    spans of its tables and text, in order."""
    found = []
    for block in fenced(text):
        for line in block.replace("\\\n", " ").splitlines():  # a line continued with \ is one command
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith("deepdream "):
                found.append(line)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    found += [span.strip() for span in re.findall(r"`(deepdream [^`]+)`", prose)]
    return found


def all_commands() -> list[str]:
    return list(dict.fromkeys(c for page in PAGES for c in page_commands(page.read_text(encoding="utf-8"))))


def python_examples() -> list[tuple[str, str]]:
    """(page:n, code) for each fenced python block of the pages."""
    out = []
    for page in PAGES:
        for n, block in enumerate(fenced(page.read_text(encoding="utf-8"), "python"), 1):
            out.append((f"{page.relative_to(ROOT)}:{n}", block))
    return out


def is_synopsis(words: list[str]) -> bool:
    """A synopsis (placeholders in capitals), or a command named in passing (`deepdream style`)."""
    bare = len(words) == 2 and words[1] not in LISTINGS | NOT_RENDERS and not words[1].startswith("-")
    return bare or any(PLACEHOLDER.match(word) for word in words[1:])


def quick_start() -> list[str]:
    """The lines of the code block under README.md's "## Install, render, test"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Install, render, test", 1)[1]
    return [line.strip() for line in fenced(section)[0].splitlines() if line.strip()]


COMMANDS = all_commands()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="session")
def reader_folder(tmp_path_factory) -> Path:
    """A folder as a reader's clone has it, for the commands: samples/ and docs/images/ (copied)."""
    folder = tmp_path_factory.mktemp("reader")
    for name in NAMED_FILES:
        shutil.copytree(ROOT / name, folder / name)
    return folder


def in_process(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`deepdream ARGS` run in this process (one TensorFlow start for every command) from `cwd`."""
    from deepdream.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(args)
    return subprocess.CompletedProcess(["deepdream", *args], code, out.getvalue(), err.getvalue())


def test_the_pages_have_commands_and_examples_to_check():
    assert len(COMMANDS) > 40
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
    assert {name.split(":")[0] for name, _ in python_examples()} >= {"README.md", "docs/python.md"}


def test_the_readme_is_a_front_door():
    """At most 250 lines, the quick start first, and every mode's page linked."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    assert quick_start()[0] == "pip install ." and quick_start()[-1] == 'pip install ".[test]" && python -m pytest'
    for page in ("dream", "paintings", "guided", "regional", "style", "motion", "batches", "studio", "python"):
        assert f"(docs/{page}.md)" in text, page
    for link in re.findall(r"\]\(((?:docs/|LICENSE)[^)#]*)", text):
        assert (ROOT / link).exists(), f"README.md links to {link}, which is not in the repository"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_runs_as_written(command, reader_folder):
    """From a reader's folder (the files as the pages name them) with --dry-run, so nothing is
    written; a file one command makes and the next uses is not assumed."""
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
        helped = in_process([name, "--help"], reader_folder)
        assert helped.returncode == 0, f"a page names a command that does not exist: {command}"
        for word in words[2:]:
            if word.startswith("--") and word != "--help":
                assert word.split("=")[0] in helped.stdout, f"{command}: {word} is not an option of `deepdream {name}`"
        return
    before = listing(reader_folder)
    is_listing = len(words) > 1 and (words[1] in LISTINGS or "--help" in words or "--version" in words)
    args = words[1:] if is_listing else [*words[1:], "--dry-run"]
    result = in_process(args, reader_folder)
    assert listing(reader_folder) == before, "a command wrote into the reader's folder"
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
        # the page adds this network's weights file first (`deepdream weights add`); here it is
        # missing, and the command must say so (and nothing else is wrong with it)
        assert "weights" in result.stderr and "deepdream weights add" in result.stderr, result.stderr
        pytest.skip(f"needs {needs[-1]}'s weights file, not added here (the command says how to add it)")
    assert result.returncode == 0, f"`{command}` failed as written: {result.stderr}"
    if not is_listing:
        assert result.stdout.startswith(("would ", "  ")) or "up to date" in result.stdout, result.stdout


#: The address the examples of the server's API talk to (`deepdream serve`'s default).
SERVER = "127.0.0.1:7860"


@contextlib.contextmanager
def server_for(code: str):
    """The example's code, and a `deepdream serve` for it where it talks to one: started on a free
    port (the one change made to the example: its port), stopped after."""
    if SERVER not in code:
        yield code
        return
    import socket
    import time

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):  # until it answers (the network loads first), at most two minutes
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert server.poll() is None, "deepdream serve ended before it answered"
            time.sleep(0.2)
        yield code.replace(SERVER, f"127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.mark.slow  # real renders (and a server where the example needs one)
@pytest.mark.parametrize("name,code", python_examples(), ids=[name for name, _ in python_examples()])
def test_every_python_example_runs_as_written(name, code, tmp_path):
    """Each example as a script of its own (its own globals: a missing import fails), run from a
    folder holding only the files the pages name, in this process: TensorFlow's start-up is the
    same seconds for every example, and `test_front_door` starts a fresh interpreter on the API."""
    import io
    import runpy

    if "websockets" in code:
        pytest.importorskip("websockets", reason='the web extra is not installed (pip install ".[web]")')
    for part in NAMED_FILES:
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / part).symlink_to(ROOT / part)
    with server_for(code) as runnable, contextlib.chdir(tmp_path), contextlib.redirect_stdout(io.StringIO()):
        (tmp_path / "example.py").write_text(runnable, encoding="utf-8")
        runpy.run_path("example.py", run_name="__main__")


@pytest.mark.slow  # a render in a fresh process: the user's path
def test_the_quick_starts_render_runs_twice_and_writes_where_the_user_is(tmp_path):
    """The quick start's render, run twice from the user's folder (at a documented small size,
    --max-side 96, to be quick; the first in a process of its own, as the console runs it, the
    second in this one): the second run replaces the picture the first wrote (its settings prove
    it is deepdream's), and a file deepdream did not write is refused, untouched."""
    render = quick_start()[1]
    words = shlex.split(render)
    assert words[:2] == ["deepdream", "dream"] and "-o" in words
    output = tmp_path / words[words.index("-o") + 1]
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    command = [sys.executable, "-m", "deepdream", *words[1:], "--max-side", "96"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    made = output.read_bytes()
    again = cli(*command[3:], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"replacing {output.name} (a picture deepdream wrote)" in again.stderr
    assert output.read_bytes() == made  # same command and seed: the same bytes again
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["samples", output.name])
    output.write_bytes(b"the user's own file")
    refused = cli(*command[3:], cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"deepdream: error: Output file '{output.name}' already exists and deepdream did not write it; "
        "pass --overwrite to replace it."
    )
    assert output.read_bytes() == b"the user's own file"
