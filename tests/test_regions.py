"""Regional dreams: any objective may carry its own mask (`-l NAME@MASK`, `--class NAME@MASK`,
`--guide FILE@MASK`), and each region changes by its own objective, in one run."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image

from deepdream import dream
from deepdream.errors import SettingsError
from deepdream.settings import DreamSettings
from deepdream.settings.specs import parse_layer_spec, split_region

SIZE = (96, 64)  # width, height
QUICK = dict(backbone="vgg16", octaves=1, steps=4, step_size=6.0, jitter=0, seed=3)


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The photo at test size, and a left and a right mask (white where the objective acts)."""
    folder = tmp_path_factory.mktemp("regions")
    photo = Image.open(SAMPLES / "chelsea.png").convert("RGB").resize(SIZE)
    left = np.zeros(SIZE[::-1], np.uint8)
    left[:, : SIZE[0] // 2] = 255
    Image.fromarray(left).save(folder / "left.png")
    Image.fromarray(255 - left).save(folder / "right.png")
    return photo, folder / "left.png", folder / "right.png"


def test_the_region_of_an_objective_is_read_from_its_text():
    assert split_region("block2b_expand@ground.png") == ("block2b_expand", "ground.png")
    assert split_region("golden retriever @ sky.png") == ("golden retriever", "sky.png")
    assert split_region("brick.png") == ("brick.png", None)
    spec = parse_layer_spec("block4_conv3:7=0.5@dir/me@2x.png")  # the first @ splits
    assert (spec.name, spec.channel, spec.weight, spec.mask) == ("block4_conv3", 7, 0.5, "dir/me@2x.png")
    assert str(parse_layer_spec("block4_conv3=2@m.png")) == "block4_conv3=2@m.png"
    settings = DreamSettings(layers=("a@one.png", "b"), target_class="lemon@two.png", mask="all.png")
    assert settings.class_name == "lemon"
    assert settings.region_masks() == {"--layer": ["one.png"], "--class": ["two.png"]}
    assert settings.files() == ["all.png", "one.png", "two.png"]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(layers=("block4_conv3@",)), "'block4_conv3@' ends in @: write WHAT@MASK"),
        (dict(target_class="@sky.png"), "'@sky.png' names a mask but nothing to dream there"),
        (
            dict(guide=("brick.png",), layers=("block3_conv3@wall.png",)),
            "In a guided dream --layer names where the guide is matched; give the region to the guide instead",
        ),
    ],
)
def test_a_region_written_wrong_is_one_clear_sentence(changes, message):
    with pytest.raises(SettingsError) as error:
        DreamSettings(**changes)
    assert message in str(error.value)


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))


def test_each_region_changes_by_its_own_objective(halves):
    """Left: block1_conv2 (fine colour noise), right: block5_conv3 (large shapes). Each half of the
    regional dream is the dream of its own objective there, not the other's; the two objectives
    change the picture in visibly different ways (the regional half is far from the other
    objective's dream), and nothing is left undreamt."""
    photo, left, right = halves
    shallow, deep = "block1_conv2", "block5_conv3"
    regional = np.asarray(dream(photo, layers=[f"{shallow}@{left}", f"{deep}@{right}"], **QUICK))
    only_shallow = np.asarray(dream(photo, layers=[shallow], **QUICK))
    only_deep = np.asarray(dream(photo, layers=[deep], **QUICK))
    half = SIZE[0] // 2
    inner = slice(0, half - 8), slice(half + 8, None)  # away from the feathered border
    for side, own, other in ((inner[0], only_shallow, only_deep), (inner[1], only_deep, only_shallow)):
        mine, theirs = _change(regional[:, side], own[:, side]), _change(regional[:, side], other[:, side])
        assert mine < 0.5 * theirs, (side, mine, theirs)
        assert _change(regional[:, side], np.asarray(photo)[:, side]) > 3.0  # dreamt there
    # the border blends: no column jumps more than the dream's own texture does
    columns = np.abs(np.diff(regional.astype(np.float32), axis=1)).mean(axis=(0, 2))
    assert columns[half - 2 : half + 2].max() < 2.5 * np.median(columns)


def test_a_dry_run_reads_every_region_mask_and_refuses_a_missing_one(tmp_path, halves):
    _, left, right = halves
    ok = cli(
        "dream",
        str(SAMPLES / "chelsea.png"),
        "-b",
        "vgg16",
        "-l",
        f"block3_conv3@{left}",
        "-l",
        f"block5_conv3@{right}",
        "-o",
        str(tmp_path / "out.png"),
        "--dry-run",
    )
    assert ok.returncode == 0 and "would write" in ok.stdout
    missing = cli(
        "dream",
        str(SAMPLES / "chelsea.png"),
        "-b",
        "vgg16",
        "-l",
        "block3_conv3@nowhere.png",
        "-o",
        str(tmp_path / "out.png"),
        "--dry-run",
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "nowhere.png" in missing.stderr and "does not exist" in missing.stderr
    kept = cli(
        "dream",
        str(SAMPLES / "chelsea.png"),
        "-b",
        "vgg16",
        "-l",
        f"block3_conv3@{left}",
        "-o",
        str(left),
        "--overwrite",
    )  # a region's mask is an input: never overwritten
    assert kept.returncode == 2 and "input" in kept.stderr


@pytest.mark.slow  # a class painted into a region, and a guide (seconds)
def test_a_guide_and_a_class_act_only_in_their_regions(halves):
    """`--guide FILE@MASK` and `--class NAME@MASK`: each changes its own half and leaves the other as
    it was (no other objective acts there), with the feathered border between."""
    photo, left, right = halves
    before = np.asarray(photo, np.float32)
    half = SIZE[0] // 2
    guided = np.asarray(
        dream(photo, guide=[f"{SAMPLES / 'brick.png'}@{left}"], layers=["block3_conv3"], **QUICK), np.float32
    )
    painted = np.asarray(
        dream(photo, backbone="efficientnet-lite2", target_class=f"lemon@{right}", octaves=1, steps=2, seed=3),
        np.float32,
    )
    for picture, acting, resting in (
        (guided, slice(0, half - 8), slice(half + 8, None)),
        (painted, slice(half + 8, None), slice(0, half - 8)),
    ):
        assert _change(picture[:, acting], before[:, acting]) > 3.0
        assert _change(picture[:, resting], before[:, resting]) < 0.6


def test_batch_zoom_and_settings_files_take_regions(tmp_path, halves):
    """A region travels wherever a dream's settings go: a batch and a zoom check its mask like
    `dream` does (a missing one is named), and a picture's settings carry it for `--settings`."""
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    _, left, _ = halves
    for args in (
        ["batch", str(SAMPLES / "chelsea.png"), "--out", str(tmp_path / "b")],
        ["zoom", str(SAMPLES / "chelsea.png"), "-o", str(tmp_path / "z.gif"), "--frames", "2"],
    ):
        missing = cli(*args, "-b", "vgg16", "-l", "block3_conv3@gone.png", "--dry-run")
        assert missing.returncode in (1, 2) and "gone.png" in missing.stderr and "does not exist" in missing.stderr
        assert cli(*args, "-b", "vgg16", "-l", f"block3_conv3@{left}", "--dry-run").returncode == 0
    made = cli(
        "dream",
        str(SAMPLES / "chelsea.png"),
        "-b",
        "vgg16",
        "-l",
        f"block3_conv3@{left}",
        "--octaves",
        "1",
        "--steps",
        "1",
        "--max-side",
        "64",
        "-o",
        str(tmp_path / "r.png"),
        "-q",
    )
    assert made.returncode == 0, made.stderr
    again = cli(
        "dream",
        str(SAMPLES / "chelsea.png"),
        "--settings",
        str(tmp_path / "r.png"),
        "-o",
        str(tmp_path / "again.png"),
        "-q",
    )
    assert again.returncode == 0 and (tmp_path / "again.png").read_bytes() == (tmp_path / "r.png").read_bytes()


def test_the_work_of_a_regional_dream_counts_each_region_and_the_painted_class():
    """The server's budget and the progress bar's estimate count a regional dream's real work: one
    gradient per region of the layers, and the class's painting steps."""
    from deepdream.budget import painting_work, work

    plain = work(DreamSettings(layers=("a", "b")), 300, 400)
    assert work(DreamSettings(layers=("a@one.png", "b@two.png")), 300, 400) == 2 * plain
    assert work(DreamSettings(layers=("a@one.png", "b@one.png")), 300, 400) == plain  # one region, one gradient
    settings = DreamSettings(layers=("a@one.png",), target_class="lemon@two.png")
    assert work(settings, 300, 400) == plain + painting_work(300, 4, 300, 400)
    assert work(DreamSettings(target_class="lemon@two.png"), 300, 400) == painting_work(300, 4, 300, 400)
