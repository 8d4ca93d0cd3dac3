"""Inputs bounded before anything loads or decodes (issue 31): only the documented picture formats,
huge pictures shrunk as they are decoded, every step charged at least a floor, octave scales bounded,
and files that are not regular files said in one line. The server's side is tests/test_web_security.py."""

from __future__ import annotations

import io
import os

import pytest
from conftest import cli
from PIL import Image


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_load_image_shrinks_a_huge_picture_as_it_decodes(tmp_path):
    from deepdream.images import load_image

    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), (10, 200, 30)).save(path)
    small = load_image(path, shrink_to=256)
    assert small.rgb.shape == (429, 572, 3) and small.rgb.dtype.name == "float32"  # reduce(7): not below 2 x 256
    assert load_image(path).rgb.shape == (3000, 4000, 3)


@pytest.mark.parametrize("fmt", ["EPS", "ICO", "TGA", "PCX"])
def test_only_the_documented_formats_are_decoded(tmp_path, fmt):
    from deepdream.errors import InputError
    from deepdream.images import declared_size, load_image

    path = tmp_path / f"c.{fmt.lower()}"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(path, format=fmt)
    with pytest.raises(InputError, match=r"is not an image deepdream can read \(it reads PNG, JPEG, WebP"):
        load_image(path)
    assert declared_size(path.read_bytes()) == (0, 0)


def test_the_budget_charges_each_step_at_least_the_floor():
    from deepdream.budget import STEP_FLOOR, work
    from deepdream.settings import DreamSettings, StyleSettings

    # the octaves as large as the picture are left out (the render leaves them out too): one of 10000 steps
    assert work(DreamSettings(steps=10000, octaves=3, octave_scale=1.0000001), 64, 64) == 10000 * STEP_FLOOR
    assert work(DreamSettings(steps=10, octaves=3), 64, 64) == 3 * 10 * STEP_FLOOR
    assert work(DreamSettings(steps=10, octaves=1), 512, 512) == 10 * 512 * 512  # big pictures: their pixels
    style = StyleSettings(styles=("s.png",), iterations=10000, scales=1)
    assert work(style, 64, 64) == 10000 * STEP_FLOOR


def test_a_huge_octave_scale_is_one_line_and_exit_2(tmp_path):
    from deepdream.errors import SettingsError
    from deepdream.settings import DreamSettings

    with pytest.raises(SettingsError, match=r"^--octave-scale must be at most 4 \(got 1e\+10\)"):
        DreamSettings(octave_scale=1e10, octaves=32)
    picture = tmp_path / "cat.png"
    picture.write_bytes(small_png())
    for extra in ([], ["--dry-run"]):
        result = cli("dream", picture, "--octave-scale", "1e10", "--octaves", "32", *extra)
        said = result.stdout + result.stderr
        assert result.returncode == 2 and "at most 4" in said and "Traceback" not in said
    result = cli("dream", picture, "--octave-scale", "1e200", "--dry-run")
    assert result.returncode == 2 and "would write" not in result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_files_that_are_not_regular_are_said_before_anything_loads(tmp_path, kind):
    picture = tmp_path / "cat.png"
    picture.write_bytes(small_png())
    if kind == "fifo":
        odd = tmp_path / "pipe.png"
        os.mkfifo(odd)
    elif kind == "device":
        odd = "/dev/zero"
    else:
        odd = tmp_path / "folder.png"
        odd.mkdir()
    for args in (
        ["dream", picture, "--settings", odd],
        ["dream", picture, "--weights", odd],
        ["dream", picture, "-l", f"block5c_add@{odd}"],
        ["style", picture, "--style", picture, "--init", odd],
    ):
        result = cli(*args)
        assert result.returncode == 2, (args, (result.stdout + result.stderr))
        assert "is not a regular file" in (result.stdout + result.stderr) and "does not exist" not in (
            result.stdout + result.stderr
        ), result.stdout + result.stderr
