"""--dry-run on every rendering command: every input read and every setting checked, what would be
written said, nothing written (not even a folder). In process: the process is not the point."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, cli
from PIL import Image

FAST = ["-b", "vgg16", "--octaves", "1", "--steps", "1", "--tile-size", "64"]


@pytest.fixture
def folder(tmp_path):
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((72, 48)).save(tmp_path / "cat.png")
    (tmp_path / "notes.png").write_text("not a picture")
    return tmp_path


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def one_line_error(result, fragment):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and fragment in lines[0], result.stderr
    return lines[0]


def test_the_readme_batch_with_vgg16_layers_fails_on_one_line_naming_five_layers_and_writes_no_folder(folder):
    before = listing(folder)
    line = one_line_error(
        cli(
            "batch",
            folder / "cat.png",
            "--out",
            folder / "sweep",
            "-l",
            "block4_conv3",
            "-l",
            "block5_conv1",
            "--seed",
            "1",
            "--seed",
            "2",
        ),
        "Unknown layer 'block4_conv3' for backbone 'efficientnet-lite2'.",
    )
    named = line.split("The nearest of its 65 layers: ")[1].split(" (")[0].split(", ")
    assert len(named) == 5 and all(name.startswith("block") for name in named)
    assert listing(folder) == before  # no empty sweep/ left behind


@pytest.mark.parametrize(
    "args,says",
    [
        (["dream", "cat.png", "-o", "out.png", *FAST], "would write out.png (72x48, vgg16, its default layers"),
        (["dream", "cat.png", "-o", "out.png", "--save-every", "2", *FAST], "and out_NNNN.png every 2 steps"),
        (
            ["class", "134", "-o", "bird.png", "--size", "64x64"],
            "would write bird.png (64x64, efficientnet-lite2, class 134 crane (the bird)",
        ),
        (
            ["style", "cat.png", "-s", "cat.png", "-o", "styled.png", "--iterations", "3"],
            "would write styled.png (72x48, vgg16",
        ),
        (["texture", "cat.png", "--size", "64x64", "-o", "t.png"], "would write t.png (64x64, vgg16"),
        (
            ["batch", "cat.png", "--out", "dreams", "--seed", "1", "--seed", "2", *FAST],
            "would write 2 pictures in dreams/ (the folder dreams/ made first): vgg16, 1 octaves x 1 steps\n"
            "  cat.png seed=1 -> dreams/cat__seed-1.png\n  cat.png seed=2 -> dreams/cat__seed-2.png\n",
        ),
        (
            ["gallery", "cat.png", "-o", "sheet.png", "-l", "block1_conv1", "--channels", "2", *FAST],
            "would write sheet.png and sheet.html: 2 cells in sheet_cells/\n"
            "  block1_conv1:0 -> sheet_cells/cat__layer-block1_conv1-0.png",
        ),
    ],
)
def test_dry_run_says_what_it_would_write_and_writes_nothing(folder, args, says):
    before = listing(folder)
    result = cli(*args, "--dry-run", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert says in result.stdout
    assert listing(folder) == before


def test_zoom_dry_run_makes_no_frames_folder(folder):
    pytest.importorskip("av")
    before = listing(folder)
    result = cli("zoom", "cat.png", "-o", "z.gif", "--frames", "3", *FAST, "--dry-run", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "would write z.gif: zoom, 3 frames (72x48, 12 fps); frames in z_frames/\n"
    assert listing(folder) == before


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["dream", "cat.png", "-l", "block9_conv1", *FAST], "Unknown layer 'block9_conv1' for backbone 'vgg16'"),
        (["dream", "cat.png", "--guide", "notes.png", *FAST], "Cannot use the guide: 'notes.png' is not an image"),
        (["dream", "cat.png", "--mask", "nowhere.png", *FAST], "nowhere.png"),
        (["dream", "cat.png", "--class", "dgo"], "Unknown ImageNet class 'dgo'"),
        (["class", "golden retriever", "-o", "cat.png"], "already exists"),
        (["style", "cat.png", "-s", "notes.png"], "notes.png"),
        (["style", "cat.png", "-s", "cat.png", "--style-layer", "block9_conv1"], "Unknown layer 'block9_conv1'"),
        (["texture", "cat.png", "--style-layer", "conv9"], "Unknown layer 'conv9'"),
        (["batch", "cat.png", "--out", "cat.png", *FAST], "is a file"),
        (["gallery", "cat.png", "--class", "dgo"], "Unknown ImageNet class 'dgo'"),
    ],
)
def test_dry_run_checks_every_input_and_setting(folder, args, fragment):
    before = listing(folder)
    one_line_error(cli(*args, "--dry-run", cwd=folder), fragment)
    assert listing(folder) == before


def test_batch_dry_run_lists_a_broken_input_and_exits_1(folder):
    before = listing(folder)
    result = cli("batch", "cat.png", "notes.png", "--out", "dreams", *FAST, "--dry-run", cwd=folder)
    assert result.returncode == 1
    assert "  notes.png -> dreams/notes.png  (cannot: " in result.stdout
    assert result.stdout.startswith("would write 1 picture in dreams/")
    assert listing(folder) == before
