"""The `deepdream` command as a user runs it: renders, and every bad input as one clear line."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import SAMPLES, cli, run_cli
from PIL import Image

FAST = ["-b", "vgg16", "--octaves", "2", "--steps", "2", "--tile-size", "64", "-q"]


@pytest.fixture
def small_png(tmp_path):
    path = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((72, 48)).save(path)
    return path


def assert_clean_failure(result, fragment, folder=None, before=None):
    """Exit 2, one line on stderr containing fragment, no traceback, nothing new in folder."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("deepdream: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    if folder is not None:
        assert sorted(p.name for p in folder.iterdir()) == before


def test_dream_renders_and_keeps_alpha(tmp_path):
    rgba = Image.open(SAMPLES / "chelsea.png").convert("RGBA").resize((72, 48))
    alpha = np.zeros((48, 72), np.uint8)
    alpha[:, 36:] = 255
    rgba.putalpha(Image.fromarray(alpha))
    src = tmp_path / "in.png"
    rgba.save(src)
    result = cli("dream", src, "-o", tmp_path / "out.png", *FAST)
    assert result.returncode == 0, result.stderr
    out = Image.open(tmp_path / "out.png")
    assert out.mode == "RGBA" and out.size == (72, 48)
    np.testing.assert_array_equal(np.asarray(out)[..., 3], alpha)
    rgb_in = np.asarray(rgba.convert("RGB"), np.float32)
    assert np.abs(np.asarray(out.convert("RGB"), np.float32) - rgb_in).mean() > 2  # it dreamt
    # JPEG has no alpha: it is dropped, and --max-side shrinks the input first
    result = cli("dream", src, "-o", tmp_path / "out.jpg", "--max-side", "60", "--octaves", "1", "--steps", "2", "-q")
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "out.jpg").mode == "RGB" and Image.open(tmp_path / "out.jpg").size == (60, 40)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_an_existing_output_is_replaced_only_where_deepdream_wrote_it(small_png, tmp_path):
    """-o onto a file deepdream did not write needs --overwrite; onto one it wrote (a rerun), not."""
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("dream", small_png, "-o", out, *FAST),
        "already exists and deepdream did not write it; pass --overwrite",
        tmp_path,
        before,
    )
    assert out.read_bytes() == b"keep me"
    Image.new("RGB", (8, 8)).save(out)  # a picture, but not deepdream's: its settings are missing
    assert cli("dream", small_png, "-o", out, *FAST).returncode == 2
    result = cli("dream", small_png, "-o", out, "--overwrite", *FAST)
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (72, 48)
    made = out.read_bytes()
    # deepdream's own: replaced, and said (unless quiet)
    again = cli("dream", small_png, "-o", out, "--seed", "5", *[a for a in FAST if a != "-q"])
    assert again.returncode == 0, again.stderr
    assert f"deepdream: replacing {out} (a picture deepdream wrote)" in again.stderr
    assert out.read_bytes() != made and Image.open(out).size == (72, 48)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--steps", "0"], "--steps must be at least 1 (got 0)"),
        (["--steps", "ten"], "--steps must be a whole number (got 'ten')."),  # one line, not a box
        (["--step-size", "strong"], "--step-size must be a number (got 'strong')."),
        (["--stpes", "3"], "No such option: --stpes"),
        (["--steps", "-3"], "--steps must be at least 1 (got -3)"),
        (["--octaves", "0"], "--octaves must be"),
        (["--octave-scale", "1"], "--octave-scale must be greater than 1"),
        (["--octave-scale", "0.5"], "--octave-scale must be greater than 1"),
        (["--step-size", "0"], "--step-size must be greater than 0 (got 0)"),
        (["--step-size", "nan"], "--step-size must be a finite number (got nan)"),
        (["--tile-size", "0"], "--tile-size must be at least 32"),
        (["--max-side", "-1"], "--max-side must be at least 1 (got -1)"),
        (
            ["--normalize", "laplace"],
            "--normalize must be one of laplacian, mean (got 'laplace'). Did you mean 'laplacian'?",
        ),
        (["--jitter", "-1"], "--jitter must be at least 0 (got -1)"),
        (["--scale-jitter", "0.9"], "--scale-jitter must be at most 0.5 (got 0.9)"),
        (["--rotate-jitter", "-2"], "--rotate-jitter must be at least 0 (got -2)"),
        (["--mask", "nowhere.png"], "nowhere.png"),
        (["--settings", "nowhere.json"], "Settings file 'nowhere.json' does not exist"),
        (["--save-every", "0"], "--save-every must be at least 1 (got 0)"),
        (["--backbone", "vgg61"], "Unknown backbone 'vgg61'. Did you mean 'vgg16'?"),
        (["--layer", "block4_conv"], "Unknown layer 'block4_conv' for backbone 'vgg16'. Did you mean"),
        (["--layer", "block4_conv3:512"], "Channel 512 is out of range for layer 'block4_conv3'"),
        (["--layer", "block4_conv3:x"], "Cannot read layer 'block4_conv3:x'"),
    ],
)
def test_bad_settings_are_one_line(small_png, tmp_path, args, fragment):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("dream", small_png, "-o", tmp_path / "out.png", "-b", "vgg16", *args, "-q"), fragment, tmp_path, before
    )


def test_bad_inputs_are_one_line(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    cut = tmp_path / "cut.png"
    Image.open(SAMPLES / "chelsea.png").save(tmp_path / "full.png")
    cut.write_bytes((tmp_path / "full.png").read_bytes()[:60000])
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (20, 20)).save(tiny)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (10000, 10000)).save(bomb)  # 100 megapixels, a few kB
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.png"
    cases = [
        (tmp_path / "missing.png", "does not exist"),
        (tmp_path, "folder"),
        (text, "is not an image"),
        (cut, "truncated"),
        (bomb, "over the safe limit"),
        (tiny, "needs at least 32 pixels"),
    ]
    for source, fragment in cases:
        assert_clean_failure(cli("dream", source, "-o", out, *FAST), fragment, tmp_path, before)


def test_bad_outputs_are_one_line(small_png, tmp_path):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("dream", small_png, "-o", tmp_path / "no" / "out.png", *FAST),
        "does not exist; create it first",
        tmp_path,
        before,
    )
    assert_clean_failure(
        cli("dream", small_png, "-o", small_png, "--overwrite", *FAST), "would overwrite the input", tmp_path, before
    )
    assert_clean_failure(
        cli("dream", small_png, "-o", tmp_path / "out.gif", *FAST), "use one of .png", tmp_path, before
    )


def test_layers_and_backbones_commands():
    result = cli("layers", "-b", "vgg16")
    assert result.returncode == 0
    assert "block4_conv3          512      8  (default)" in result.stdout
    result = cli("layers")  # the dream default: efficientnet-lite2
    assert result.returncode == 0
    assert any(line.startswith("block6a_expand") and line.endswith("(default)") for line in result.stdout.splitlines())
    result = cli("backbones")
    assert result.returncode == 0
    assert any(line.startswith("vgg16") and "ready" in line for line in result.stdout.splitlines())
    assert any(line.startswith("efficientnet-lite2") and "ready" in line for line in result.stdout.splitlines())
    assert "inceptionv3" in result.stdout


@pytest.mark.slow  # a process of its own: the Ctrl-C is the point
def test_an_interrupted_render_leaves_no_file(small_png, tmp_path):
    """Ctrl-C once the render is stepping (its progress bar, on a terminal, says step 1): exit 130,
    one line saying nothing was written, no traceback, no file."""
    import pty
    import re
    import select
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    out = tmp_path / "out.png"
    terminal, their_end = pty.openpty()  # a terminal for stderr, so the progress bar is drawn as it goes
    proc = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "dream", small_png, "-o", out, "--steps", "10000", "--tile-size", "64"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=their_end,
        text=True,
        env=dict(os.environ, TERM="xterm", COLUMNS="160"),
        # a shell that started the test run in the background ignores SIGINT, and
        # children inherit that: give the render Python's own Ctrl-C handling
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(their_end)
    seen = b""

    def read(wait: float) -> bool:
        nonlocal seen
        if not select.select([terminal], [], [], wait)[0]:
            return False
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the process ended and closed its side
            return False
        seen += chunk
        return bool(chunk)

    try:
        deadline = time.monotonic() + 240
        while not re.search(rb"step [1-9]\d*/10000", seen):  # stepping: well into the render
            assert proc.poll() is None and time.monotonic() < deadline, seen[-2000:]
            read(0.5)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        while read(1.0):
            pass
    finally:
        if proc.poll() is None:  # never leave a render running behind a failed test
            proc.kill()
        proc.communicate()
        os.close(terminal)
    err = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))
    lines = [line for line in re.split(r"[\r\n]+", err) if line.strip()]
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert lines[-1] == "deepdream: interrupted; nothing written."  # said, not silent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.png"]


# ---------------------------------------------------------------------------- absurd input


def test_absurd_counts_and_values_are_one_line_and_end_at_once(small_png, tmp_path):
    def settings_file(name, text, bom=False):
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        return path

    deep = settings_file("deep.json", "[" * 100000 + "]" * 100000)
    odd_mode = settings_file("mode.json", json.dumps({"mode": {"x": 1}, "settings": {}}))
    huge = settings_file("huge.json", json.dumps({"mode": "dream", "settings": {"normalize": "x" * 10_000_000}}))
    bom = settings_file("bom.json", json.dumps({"mode": "dream", "settings": {"steps": 0}}), bom=True)
    layers = settings_file("layers.json", json.dumps({"layers": ["block4_conv3"] * 600_000}))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.png"
    cases = [
        (["--steps", str(10**400)], "--steps must be at most 10,000 (got a number of about 401 digits)."),
        (["--octaves", "1000"], "--octaves must be at most 32 (got 1000)."),
        (["--step-size", "1e300"], "--step-size must be at most 255 (got 1e+300)."),
        (["--layer", "block4_conv3=1e300"], "The weight in layer 'block4_conv3=1e300' must be a finite number"),
        (
            [arg for _ in range(3000) for arg in ("-l", "block4_conv3")],
            "--layer was given 3,000 times; the limit is 64.",
        ),
        (["--settings", layers], "--layer was given 600,000 times; the limit is 64."),
        (["--settings", deep], f"Settings file '{deep}' is nested too deeply to be deepdream settings."),
        (
            ["--settings", odd_mode],
            f"Settings file '{odd_mode}' names no deepdream mode (its \"mode\" is {{'x': 1}}; "
            f"one of dream, class, visualize, style, texture, zoom, video).",
        ),
        (["--settings", bom], "--steps must be at least 1 (got 0)."),
        (
            ["--backbone", "b" * 100_000],
            "A command-line value of 100,000 characters ('bbbbbbbbbbbbbbbbbbbb'...) is too long; the limit is 4,096.",
        ),
    ]
    for args, fragment in cases:
        assert_clean_failure(cli("dream", small_png, "-o", out, "-b", "vgg16", *args, "-q"), fragment, tmp_path, before)
    result = cli("dream", small_png, "-o", out, "--settings", huge, "-q")
    assert_clean_failure(result, "--normalize must be one of laplacian, mean (got 'xxxx", tmp_path, before)
    assert len(result.stderr) < 300 and "(10,000,002 characters))." in result.stderr


def test_a_fifo_mask_and_the_files_a_settings_file_names(small_png, tmp_path):
    # in a process of its own: a mask read that blocked on the pipe would hang this one (here it ends
    # at the timeout); both refusals come before TensorFlow is imported, so it starts in about a second
    fifo = tmp_path / "mask.png"
    os.mkfifo(fifo)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.png"
    assert_clean_failure(
        run_cli("dream", small_png, "-o", out, *FAST, "--mask", fifo, timeout=60),
        f"--mask '{fifo}' is not a regular file (a pipe, socket or device)",  # before the network loads
        tmp_path,
        before,
    )
    named = tmp_path / "named.json"
    named.write_text(json.dumps({"mode": "dream", "settings": {"guide": ["/etc/hostname"], "mask": str(fifo)}}))
    result = run_cli("dream", small_png, "-o", out, *FAST, "--settings", named, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        f"deepdream: the settings in '{named}' read --mask '{fifo}', --guide '/etc/hostname'"
    )
    assert not out.exists()


def test_a_libtiff_complaint_is_part_of_the_one_line(tmp_path, capfd):
    path = tmp_path / "bad.tif"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(
        path, compression="tiff_deflate"
    )
    data = bytearray(path.read_bytes())
    start = Image.open(path).tag_v2[273][0]
    for i in range(start + 2, start + 200):  # spoil the deflate stream
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    before = sorted(p.name for p in tmp_path.iterdir())
    capfd.readouterr()
    assert_clean_failure(
        cli("dream", path, "-o", tmp_path / "out.png", *FAST),
        "(decoder error -2: ZIPDecode: Decoding error at scanline 0",
        tmp_path,
        before,
    )
    assert capfd.readouterr().err == ""  # libtiff wrote nothing of its own to the process's stderr
