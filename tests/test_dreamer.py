"""Engine v2: the reusable Dreamer, jitter at every size, the step rules, --preserve-colors, --mask,
and settings carried in the picture (--settings), with the real embedded VGG16."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
from conftest import SAMPLES, cli
from PIL import Image

from deepdream import DreamSettings, api, images
from deepdream.colors import chroma_noise, to_ycbcr
from deepdream.errors import SettingsError
from deepdream.objectives import from_specs
from deepdream.render.grid import Grid
from deepdream.render.steps import StepRule, laplacian_merge, laplacian_normalize, laplacian_split
from deepdream.render.tiles import TiledGradient
from deepdream.render.transforms import AffineJitter, Jitter, StepParams

FAST = dict(backbone="vgg16", layers=["block3_conv3"], octaves=1, steps=3, precision="float32")


@pytest.fixture(scope="module")
def cat320() -> np.ndarray:
    """The cat photo at 320x213: smaller than a tile, where jitter is the only random shift."""
    img = Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((320, 213), Image.LANCZOS)
    return np.asarray(img)


# ---------------------------------------------------------------------------- jitter and tiles


@pytest.mark.parametrize(
    "height,width,tile", [(64, 96, 512), (300, 451, 128), (700, 130, 256), (33, 40, 32), (63, 95, 48), (129, 70, 64)]
)
def test_jittered_grids_cover_the_picture_once_with_valid_mirror_pads(height, width, tile):
    """The picture moves by (dy, dx) under the grid: the cores cover every pixel once but for the
    |dy| rows and |dx| columns that sit the step out; the network sees no more pixels than the
    picture has, and the mirrored padding is always shorter than what it mirrors."""
    rng = np.random.default_rng(0)
    min_tile = max(32, tile // 4)
    grid = Grid(height, width, tile, min_tile)
    seen = set()
    for _ in range(30):
        dy, dx = Jitter(32).params(StepParams(), rng, grid, 0).shift
        seen.add((dy, dx))
        assert abs(dy) <= min(32, min(height, width) // 4) and abs(dx) <= min(32, min(height, width) // 4)
        offset = tuple(rng.integers(0, tile, size=2))
        cover = np.zeros((height, width), np.int32)
        fed = 0
        for t in grid.tiles(offset, (dy, dx)):
            cover[t.y0 : t.y1, t.x0 : t.x1] += 1
            top, bottom, left, right = t.pads
            assert max(top, bottom) < t.y1 - t.y0 and max(left, right) < t.x1 - t.x0  # mirror padding is valid
            fed += (t.y1 - t.y0 + top + bottom) * (t.x1 - t.x0 + left + right)
        assert fed == height * width  # jitter costs no extra pixels
        assert cover.max() == 1
        assert (cover == 0).sum() == height * width - (height - abs(dy)) * (width - abs(dx))
    assert len(seen) > (20 if min(height, width) >= 64 else 1)


def test_a_picture_smaller_than_the_tile_gets_another_alignment_each_step(vgg, photo):
    objective = from_specs(vgg, ["block3_conv3"])
    tiled = TiledGradient(vgg, objective, tile_size=512, precision="float32", tile_batch=1)
    image = vgg.preprocess(photo)
    plain, _ = tiled(image)
    shifted, _ = tiled(image, StepParams(shift=(5, 11)))
    other, _ = tiled(image, StepParams(shift=(-9, 2)))
    assert shifted.shape == plain.shape == image.shape
    assert np.abs(shifted.numpy() - plain.numpy()).mean() > 0.1 * np.abs(plain.numpy()).mean()
    assert np.abs(shifted.numpy() - other.numpy()).mean() > 0.1 * np.abs(plain.numpy()).mean()
    assert tiled.traces == 1


@pytest.mark.slow  # three 320x213 dreams
def test_seeds_change_a_picture_smaller_than_the_tile(cat320):
    dreamer = api.prepare(**FAST)
    a, b, c = dreamer.run(cat320, seed=7), dreamer.run(cat320, seed=7), dreamer.run(cat320, seed=8)
    assert a.dtype == np.uint8 and a.shape == cat320.shape  # uint8 in, uint8 out
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()
    assert np.abs(a.astype(int) - c).mean() > 1.0  # another picture, not a rounding difference
    assert dreamer.traces == 1  # three pictures, one trace


def test_affine_jitter_zooms_and_rotates_each_tile_and_the_gradient_flows_back(vgg, photo):
    x = tf.constant(photo[None] / 255.0, tf.float32)
    same = AffineJitter.apply(x, tf.constant([1.0, 0.0]))
    np.testing.assert_allclose(same.numpy(), x.numpy(), atol=1e-5)
    turned = AffineJitter.apply(x, tf.constant([1.1, 0.2]))
    assert turned.shape == x.shape and np.abs(turned.numpy() - x.numpy()).mean() > 0.02
    draw = AffineJitter(0.05, 5).params(StepParams(), np.random.default_rng(1), Grid(64, 64, 512, 128), 0).affine
    assert 0.95 <= draw[0] <= 1.05 and abs(draw[1]) <= np.radians(5)
    tiled = TiledGradient(vgg, from_specs(vgg, ["block3_conv1"]), 512, precision="float32", tile_batch=1)
    gradient, _ = tiled(vgg.preprocess(photo), StepParams(zoom=1.05, angle=0.1))
    assert (np.abs(gradient.numpy()).sum(axis=-1) > 0).mean() > 0.9
    # A dream without zoom or turn traces its function without that part: same gradient, bit for bit
    # (edge tiles mirrored in by a shift included); a zoomed step is refused rather than done wrong.
    plain = TiledGradient(vgg, from_specs(vgg, ["block3_conv1"]), 48, precision="float32", tile_batch=1, affine=False)
    full = TiledGradient(vgg, from_specs(vgg, ["block3_conv1"]), 48, precision="float32", tile_batch=1)
    moved = StepParams(offset=(5, 9), shift=(3, -4))
    assert np.array_equal(plain(vgg.preprocess(photo), moved)[0].numpy(), full(vgg.preprocess(photo), moved)[0].numpy())
    with pytest.raises(ValueError, match="cannot zoom or turn"):
        plain(vgg.preprocess(photo), StepParams(zoom=1.05))


# ---------------------------------------------------------------------------- step rules


def test_laplacian_split_merges_back_and_normalises_every_level():
    g = tf.constant(np.random.default_rng(3).normal(size=(2, 45, 61, 3)), tf.float32)
    bands = laplacian_split(g, 4)
    assert [b.shape[1:3] for b in bands] == [(6, 8), (12, 16), (23, 31), (45, 61)]
    np.testing.assert_allclose(laplacian_merge(bands).numpy(), g.numpy(), atol=1e-5)
    scaled = g * tf.constant([1.0, 1000.0])[:, None, None, None]  # tiles of any strength come out alike
    normal = laplacian_normalize(scaled, 4).numpy()
    np.testing.assert_allclose(normal, laplacian_normalize(g, 4).numpy(), rtol=1e-3, atol=1e-4)
    # a gradient of one broad wave plus faint pixel noise: the fine scale gets its say afterwards
    yy, xx = np.mgrid[0:64, 0:64] / 64.0
    wave = np.sin(2 * np.pi * xx)[None, :, :, None] * np.ones((1, 1, 1, 3))
    noise = 0.03 * np.random.default_rng(5).normal(size=(1, 64, 64, 3))
    before = laplacian_split(tf.constant(wave + noise, tf.float32), 4)
    after = laplacian_split(laplacian_normalize(tf.constant(wave + noise, tf.float32), 4), 4)

    def rms(x):
        return float(np.sqrt(np.mean(np.square(x.numpy()))))

    assert rms(before[-1]) < 0.1 * rms(before[0])
    assert rms(after[-1]) > 0.3 * rms(after[0])


def test_the_luminance_rule_moves_r_g_and_b_alike():
    g = tf.constant(np.random.default_rng(4).normal(size=(1, 8, 8, 3)), tf.float32)
    out = StepRule("mean", chroma=0.0, levels=4).tile_gradient(g).numpy()
    np.testing.assert_allclose(out[..., 0], out[..., 1])
    np.testing.assert_allclose(out[..., 0], g.numpy().mean(axis=-1), rtol=1e-6)


def test_chroma_noise_is_zero_for_grey_and_large_for_colour_speckle():
    ramp = np.repeat(np.linspace(0, 255, 64, dtype=np.float32)[None, :, None], 32, axis=0).repeat(3, axis=2)
    assert chroma_noise(ramp) == 0.0  # grey: no colour at all
    speckle = ramp.copy()
    speckle[::2, ::2] += np.array([40.0, -40.0, 0.0], np.float32)  # colour flips from pixel to pixel
    assert chroma_noise(speckle) > 1.0


@pytest.mark.slow  # two full default dreams and one free-colour dream of a 160x120 photo
def test_the_default_dream_keeps_a_photos_colour_calm_where_free_colours_go_rainbow():
    rgb = np.asarray(Image.open(SAMPLES / "coffee.png").convert("RGB").resize((160, 107), Image.LANCZOS), np.float32)
    astronaut = np.asarray(
        Image.open(SAMPLES / "astronaut.png").convert("RGB").resize((160, 160), Image.LANCZOS), np.float32
    )
    for photo in (rgb, astronaut):
        out = api.dream(photo)  # every default: 6 octaves of 12 steps, chroma 0.3
        assert np.abs(out - photo).mean() > 15  # a bold dream...
        assert chroma_noise(out) < 0.3, chroma_noise(out)  # ...in colours as calm as a photo's (0.22-0.26 here)
    assert chroma_noise(api.dream(astronaut, chroma=1.0)) > 0.38  # free colours: the rainbow (0.42)


@pytest.mark.slow  # two 160x107 dreams of 6 steps
def test_preserve_colors_keeps_chroma_and_changes_luminance():
    cat = np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((160, 107), Image.LANCZOS))
    settings = dict(FAST, steps=6, step_size=3.0)
    plain = api.dream(cat.astype(np.float32), chroma=1.0, **settings)  # colours free
    kept = api.dream(cat.astype(np.float32), preserve_colors=True, **settings)
    before, after, free = to_ycbcr(cat), to_ycbcr(kept), to_ycbcr(plain)  # measured: 0.06, 4.9, 8.0
    assert np.abs(after[..., 1:] - before[..., 1:]).mean() < 2.0
    assert np.abs(free[..., 1:] - before[..., 1:]).mean() > 4.0  # the plain dream changes colours
    assert np.abs(after[..., 0] - before[..., 0]).mean() > 5.0  # the dream is in the luminance


def test_the_mask_says_where_to_dream(tmp_path, cat320):
    mask = np.zeros(cat320.shape[:2], np.uint8)
    mask[:, 160:] = 255
    mask_file = tmp_path / "mask.png"
    Image.fromarray(mask).resize((160, 106)).save(mask_file)  # another size: resized to the picture
    out = api.dream(cat320.astype(np.float32), mask=str(mask_file), step_size=2.0, **FAST)
    change = np.abs(out - cat320).mean(axis=-1)
    assert change[:, :150].mean() < 0.05  # black: untouched (a few pixels blur at the edge)
    assert change[:, 170:].mean() > 3.0
    with pytest.raises(SettingsError, match="black everywhere"):
        api.prepare(mask=np.zeros((40, 40, 3), np.uint8), backbone="vgg16")


# ---------------------------------------------------------------------------- settings


def test_class_dream_steps_are_300_at_the_defaults_and_scale_with_steps_and_octaves():
    from deepdream.budget import described
    from deepdream.render.param import class_dream_steps

    lemon = DreamSettings(target_class="lemon")
    assert class_dream_steps(lemon) == 300 and described(lemon) == "300 painting steps"
    assert class_dream_steps(lemon.replace(steps=6)) == 150
    assert class_dream_steps(lemon.replace(steps=5, octaves=4)) == 83  # 300 x 20 / 72, rounded
    assert class_dream_steps(lemon.replace(steps=1, octaves=1)) == 4


def test_settings_hold_defaults_help_and_checks():
    s = DreamSettings()
    assert (
        s.backbone,
        s.octaves,
        s.steps,
        s.step_size,
        s.jitter,
        s.scale_jitter,
        s.rotate_jitter,
        s.normalize,
        s.seed,
    ) == ("efficientnet-lite2", 6, 12, 4.0, 32, 0.05, 5.0, "mean", 0)
    assert DreamSettings.help("jitter").startswith("Random shift")
    assert DreamSettings.flag("layers") == "--layer"
    again = DreamSettings.from_dict(json.loads(s.replace(steps=3, layers=["a"]).to_json())["settings"])
    assert again == s.replace(steps=3, layers=("a",))
    with pytest.raises(SettingsError, match=r"Unknown dream setting 'stpes'. Did you mean 'steps'\?"):
        DreamSettings.from_dict({"stpes": 3})
    with pytest.raises(SettingsError, match=r"--octave-scale must be greater than 1 \(got 1\)"):
        DreamSettings(octave_scale=1)
    with pytest.raises(SettingsError, match="--seed must be a whole number"):
        DreamSettings(seed=1.5)
    assert DreamSettings(seed=-5).seed == -5  # any integer is a seed


@pytest.mark.slow  # a dream, then the same from its PNG (seconds)
def test_a_dream_re_rendered_from_its_own_png_has_the_same_bytes(tmp_path):
    source = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((120, 80)).save(source)
    first = tmp_path / "first.png"
    done = cli(
        "dream",
        source,
        "-o",
        first,
        "-b",
        "vgg16",
        "--layer",
        "block3_conv3",
        "--octaves",
        "2",
        "--steps",
        "2",
        "--seed",
        "-5",
        "--preserve-colors",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    recorded = json.loads(images.read_metadata(first))
    assert recorded["mode"] == "dream" and recorded["settings"]["seed"] == -5
    assert recorded["settings"]["preserve_colors"] is True and recorded["input"] == "cat.png"
    again = tmp_path / "again.png"
    assert cli("dream", source, "--settings", first, "-o", again, "-q").returncode == 0
    assert again.read_bytes() == first.read_bytes()
    other = tmp_path / "other.png"
    assert cli("dream", source, "--settings", first, "--seed", "3", "-o", other, "-q").returncode == 0
    assert json.loads(images.read_metadata(other))["settings"]["seed"] == 3  # options beside it win
    assert other.read_bytes() != first.read_bytes()
    plain = tmp_path / "plain.png"  # a switch on in the file is turned off beside it
    assert cli("dream", source, "--settings", first, "--no-preserve-colors", "-o", plain, "-q").returncode == 0
    assert json.loads(images.read_metadata(plain))["settings"]["preserve_colors"] is False


def test_without_o_the_next_free_name_is_taken_and_said(tmp_path):
    source = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((64, 48)).save(source)
    (tmp_path / "cat_dream.png").write_bytes(b"an earlier result")
    args = ("dream", source, "-b", "vgg16", "--layer", "block2_conv1", "--octaves", "1", "--steps", "1")
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "deepdream: cat_dream.png exists; writing cat_dream_2.png" in done.stderr
    assert (tmp_path / "cat_dream.png").read_bytes() == b"an earlier result"
    assert Image.open(tmp_path / "cat_dream_2.png").size == (64, 48)


def test_version_and_plain_help():
    import deepdream

    assert cli("--version").stdout.strip() == f"deepdream {deepdream.__version__}"
    help_text = cli("dream", "--help").stdout
    assert "Usage: deepdream dream [OPTIONS] INPUT" in help_text
    assert "<bool>" not in help_text and "<list" not in help_text and "{input}" not in help_text.lower()
    assert "--normalize RULE" in help_text and "[default: mean]" in help_text


def test_rgba_to_jpeg_says_the_alpha_is_dropped(tmp_path):
    source = tmp_path / "see-through.png"
    Image.new("RGBA", (64, 48), (200, 120, 40, 128)).save(source)
    out = tmp_path / "out.jpg"
    done = cli("dream", source, "-o", out, "-b", "vgg16", "--layer", "block2_conv1", "--octaves", "1", "--steps", "1")
    assert done.returncode == 0, done.stderr
    assert "JPEG has no transparency; the input's alpha channel is dropped" in done.stderr
    assert Image.open(out).mode == "RGB"


def test_save_every_snapshots_look_as_the_result_will(tmp_path):
    """--save-every pictures get what the result gets after the loop: the input's colours with
    --preserve-colors; a class painting's last snapshot is the painting."""
    source = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((64, 48)).save(source)
    out = tmp_path / "kept.png"
    done = cli(
        "dream",
        source,
        "-o",
        out,
        "-b",
        "vgg16",
        "--layer",
        "block2_conv1",
        "--octaves",
        "1",
        "--steps",
        "2",
        "--save-every",
        "1",
        "--preserve-colors",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    first = np.asarray(Image.open(tmp_path / "kept_0001.png"), np.float32)
    last = np.asarray(Image.open(tmp_path / "kept_0002.png"))
    assert np.array_equal(last, np.asarray(Image.open(out)))
    chroma = lambda rgb: to_ycbcr(np.asarray(rgb, np.float32))[..., 1:]  # noqa: E731
    assert np.abs(chroma(first) - chroma(Image.open(source))).mean() < 2.0  # colours kept at step 1 too
    painted = tmp_path / "fish.png"
    done = cli(
        "class",
        "goldfish",
        "-o",
        painted,
        "--size",
        "64x64",
        "--steps",
        "2",
        "--save-every",
        "1",
        "--precision",
        "float32",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    snapshot = np.asarray(Image.open(tmp_path / "fish_0002.png"))
    assert np.array_equal(snapshot, np.asarray(Image.open(painted)))
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "fish_0001.png")), snapshot)


def test_settings_written_before_the_score_existed_read_back_as_the_mean(tmp_path):
    """A picture (or saved JSON) deepdream wrote before `score` was a setting was made scoring layers
    by their mean: --settings reads it so; settings written by hand take the default (l2)."""
    from deepdream.settings_file import read_settings_file

    old = DreamSettings(score="mean").to_dict()
    del old["score"]
    picture = tmp_path / "old.png"
    Image.new("RGB", (8, 8)).save(
        picture, pnginfo=_text_chunk(json.dumps({"mode": "dream", "version": "0.2.0", "settings": old}))
    )
    mode, settings = read_settings_file(picture)
    assert mode == "dream" and settings["score"] == "mean"
    assert DreamSettings.from_dict(settings) == DreamSettings(score="mean")
    movie = tmp_path / "zoom.json"
    movie.write_text(json.dumps({"mode": "zoom", "version": "0.2.0", "settings": {"frames": 3, "dream": old}}))
    assert read_settings_file(movie)[1]["dream"]["score"] == "mean"
    by_hand = tmp_path / "mine.json"
    by_hand.write_text(json.dumps({"steps": 3}))
    assert read_settings_file(by_hand) == ("", {"steps": 3})
    new = tmp_path / "new.json"
    new.write_text(DreamSettings().to_json())
    assert read_settings_file(new)[1]["score"] == "l2"


def _text_chunk(text: str):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("deepdream", text)
    return info
