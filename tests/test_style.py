"""Style transfer and texture synthesis: Grams, tiled Grams and gradients, the optimisers, colours,
masks, the default settings' look, and the `style` / `texture` commands' handling of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image

SHALLOW = dict(content_layers=[("block2_conv2", 1.0)], style_layers=[("block1_conv1", 1.0), ("block2_conv1", 0.5)])


@pytest.fixture(scope="module")
def net():
    from deepdream import load_backbone

    return load_backbone("vgg16")


def picture(name: str, size: tuple[int, int]) -> np.ndarray:
    from deepdream.images import load_image, resize_array

    return resize_array(load_image(SAMPLES / name).rgb, size)


def saturation(rgb: np.ndarray) -> float:
    """Mean HSV saturation, 0-255."""
    hsv = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).convert("HSV")
    return float(np.asarray(hsv, np.float32)[..., 1].mean())


# ----------------------------------------------------------------------------------- Gram matrices


def test_gram_matches_numpy_with_and_without_mask():
    from deepdream.style import gram

    rng = np.random.default_rng(1)
    f = rng.normal(size=(5, 7, 6)).astype(np.float32)
    flat = f.reshape(-1, 6).astype(np.float64)
    np.testing.assert_allclose(gram(f).numpy(), flat.T @ flat / 35, rtol=1e-5, atol=1e-5)
    m = rng.uniform(size=(5, 7)).astype(np.float32)
    w = m.reshape(-1, 1).astype(np.float64)
    np.testing.assert_allclose(gram(f[None], m).numpy(), (flat * w).T @ flat / w.sum(), rtol=1e-5, atol=1e-5)


def test_tile_gram_sums_add_up_to_the_whole_gram():
    """The accumulation mechanics: Gram sums over the tiles' cores equal the whole array's Gram sum."""
    from deepdream.style import gram_sums, make_tiles

    rng = np.random.default_rng(2)
    f = rng.normal(size=(45, 70, 8)).astype(np.float32)
    masks = rng.uniform(size=(2, 45, 70)).astype(np.float32)
    tiles = make_tiles(45, 70, 16, 1, 3)
    assert len(tiles) > 6
    total = np.zeros((2, 8, 8))
    covered = np.zeros((45, 70), int)
    for t in tiles:
        (r0, r1, c0, c1), (R0, R1, C0, C1) = t.crop(1)
        core = f[t.ey0 : t.ey1, t.ex0 : t.ex1][r0:r1, c0:c1]
        np.testing.assert_array_equal(core, f[R0:R1, C0:C1])
        covered[R0:R1, C0:C1] += 1
        total += gram_sums(core, masks[:, R0:R1, C0:C1]).numpy()
    assert (covered == 1).all()  # the cores partition the picture
    np.testing.assert_allclose(total, gram_sums(f, masks).numpy(), rtol=1e-4, atol=1e-3)


def test_tiles_line_up_with_the_deepest_layer():
    from deepdream.style import make_tiles

    tiles = make_tiles(300, 451, 128, 16, 32)
    for t in tiles:
        assert t.y0 % 16 == 0 and t.x0 % 16 == 0 and t.ey0 % 16 == 0 and t.ex0 % 16 == 0
        assert t.ey0 == max(0, t.y0 - 32) and t.ex1 == min(451, t.x1 + 32)
    assert sum((t.y1 - t.y0) * (t.x1 - t.x0) for t in tiles) == 300 * 451
    # Layer of stride 8: the cores' feature rows cover ceil(300 / 8) = 38 rows exactly once.
    rows = sorted({tuple(t.crop(8)[1][:2]) for t in tiles})
    assert rows[0][0] == 0 and rows[-1][1] == 38 and all(a[1] == b[0] for a, b in zip(rows, rows[1:], strict=False))


# ------------------------------------------------------------------------ numpy TV and padding fold


def test_reflect_padding_fold_is_the_adjoint_of_reflect_padding():
    import tensorflow as tf

    from deepdream.style import fold_reflect_padding

    rng = np.random.default_rng(6)
    for h, w, pad in ((9, 13, 4), (5, 5, 4), (20, 7, 1), (6, 6, 0)):
        image = tf.constant(rng.normal(size=(h, w, 3)).astype(np.float32))
        upstream = rng.normal(size=(h + 2 * pad, w + 2 * pad, 3)).astype(np.float32)
        with tf.GradientTape() as tape:
            tape.watch(image)
            padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        expected = tape.gradient(padded, image, output_gradients=tf.constant(upstream)).numpy()
        np.testing.assert_allclose(fold_reflect_padding(upstream.copy(), pad), expected, rtol=1e-5, atol=1e-5)


def test_total_variation_gradient_matches_autodiff():
    import tensorflow as tf

    from deepdream.style import tv_loss_and_gradient

    x = np.random.default_rng(7).uniform(-100, 100, (11, 17, 3)).astype(np.float32)
    value, grad = tv_loss_and_gradient(x, 3.0, pixel_scale=1.0, band=4)  # bands of 4 rows: seams checked
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        dy, dx = t[1:] - t[:-1], t[:, 1:] - t[:, :-1]
        expected = 3.0 * (tf.reduce_mean(dy * dy) + tf.reduce_mean(dx * dx)) / 255.0**2
    assert value == pytest.approx(float(expected), rel=1e-5)
    np.testing.assert_allclose(grad, tape.gradient(expected, t).numpy(), rtol=1e-4, atol=1e-9)


# ------------------------------------------------------------------------------------ tiled loss


def _loss_pair(net, halo=16):
    from deepdream.style import StyleLoss

    tiled = StyleLoss(net, SHALLOW["content_layers"], SHALLOW["style_layers"], tile_size=32, halo=halo)
    whole = StyleLoss(net, SHALLOW["content_layers"], SHALLOW["style_layers"], tile_size=512, halo=halo)
    return tiled, whole


def test_tiled_measure_is_exact_when_the_halo_covers_the_receptive_field(net):
    """block2 layers see 16 pixels: with a 16-pixel halo, tiles give exactly the whole picture's
    Grams and content features, VGG's zero padding notwithstanding."""
    tiled, whole = _loss_pair(net)
    image = net.preprocess(picture("chelsea.png", (72, 100))).numpy()
    assert len(tiled.tiles(72, 100)) == 9 and len(whole.tiles(72, 100)) == 1
    masks = np.stack([np.linspace(0, 1, 100)[None].repeat(72, 0), np.ones((72, 100))]).astype(np.float32)
    g_t, c_t = tiled.measure(image, masks)
    g_w, c_w = whole.measure(image, masks)
    for a, b in zip(g_t, g_w, strict=False):
        assert a.shape == b.shape == (2,) + a.shape[1:]
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5 * float(np.abs(b).max()))
    np.testing.assert_allclose(c_t["block2_conv2"], c_w["block2_conv2"], rtol=1e-3, atol=1e-2)
    # Without the halo the tile borders' features differ: the halo is what makes it exact.
    no_halo, _ = _loss_pair(net, halo=0)
    g_0, _ = no_halo.measure(image, masks)
    assert np.abs(g_0[1] - g_w[1]).max() > 100 * np.abs(g_t[1] - g_w[1]).max()


def test_tiled_loss_and_gradient_equal_the_whole_pictures(net):
    """Pass 1 (global Grams) + pass 2 (each tile's gradient through the global Gram) give the whole
    picture's loss and gradient, for two masked styles, content and TV."""
    tiled, whole = _loss_pair(net)
    h, w = 72, 100
    content = net.preprocess(picture("chelsea.png", (h, w))).numpy()
    styles = [net.preprocess(picture(n, (64, 64))).numpy() for n in ("rocket.jpg", "brick.png")]
    masks = np.zeros((2, h, w), np.float32)
    masks[0, :, :50] = 1
    masks[1, :, 50:] = 1
    grams = [whole.measure(s, content=False)[0] for s in styles]
    targets = [np.stack([g[i][0] for g in grams]) for i in range(2)]
    _, feats = whole.measure(content)
    for loss in (tiled, whole):
        loss.set_targets(
            style_grams=targets,
            group_weights=[1.0, 1.0],
            content_features=feats,
            masks=masks,
            size=(h, w),
            content_weight=1.0,
            style_weight=10.0,
            tv_weight=10.0,
        )
    x = net.preprocess(np.random.default_rng(3).uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    terms_t, grad_t = tiled(x)
    terms_w, grad_w = whole(x)
    for key in ("content", "style", "tv", "total"):
        assert terms_t[key] == pytest.approx(terms_w[key], rel=1e-3), key
    assert terms_w["style"] > 0 and terms_w["content"] > 0
    scale = np.abs(grad_w).max()
    assert np.abs(grad_t - grad_w).max() < 2e-3 * scale
    # Traced once per function, whatever the tile shapes (9 tiles of several shapes here).
    tiled(x * 0.5)
    assert tiled.traces == 2  # pass 1, pass 2 (TV and the padding's fold are numpy)
    assert whole.traces == 2  # measure (pass 1), the whole-picture function


# ------------------------------------------------------------------------------------ optimisers


def _quadratic(n=200, seed=8):
    """f(x) = 0.5 (x - c)' A (x - c), A diagonal with condition number 100."""
    rng = np.random.default_rng(seed)
    a = np.geomspace(1, 100, n).astype(np.float32)
    c = rng.uniform(-1, 1, n).astype(np.float32)
    evals = []

    def loss(x):
        evals.append(1)
        r = x - c
        return {"total": float(0.5 * np.sum(a * r * r, dtype=np.float64))}, (a * r).astype(np.float32)

    return loss, c, evals


def test_lbfgs_solves_an_ill_conditioned_quadratic():
    from deepdream.style import minimise_lbfgs

    loss, c, evals = _quadratic()
    log = []
    x = minimise_lbfgs(loss, np.zeros_like(c), 60, lambda i, t, x: log.append(t["total"]), history=5)
    assert x.dtype == np.float32
    assert np.abs(x - c).max() < 1e-3
    assert all(b <= a for a, b in zip(log, log[1:], strict=False))  # never goes up
    assert len(evals) < 3 * len(log) + 2  # the full step is taken almost always


def test_lbfgs_keeps_the_bounds_and_finds_the_bounded_minimum():
    from deepdream.style import minimise_lbfgs

    loss, c, _ = _quadratic(seed=9)
    x = minimise_lbfgs(loss, np.zeros_like(c), 80, lambda *a: None, low=-0.5, high=0.5)
    assert x.min() >= -0.5 and x.max() <= 0.5
    np.testing.assert_allclose(x, np.clip(c, -0.5, 0.5), atol=2e-3)


def test_lbfgs_on_rosenbrock():
    from deepdream.style import minimise_lbfgs

    def loss(v):
        x, y = float(v[0]), float(v[1])
        f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], np.float32)
        return {"total": f}, g

    x = minimise_lbfgs(loss, np.array([-1.2, 1.0], np.float32), 200, lambda *a: None, first_step=0.1)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=2e-2)


def test_lbfgs_history_is_bounded_in_memory():
    from deepdream.style.optimizers import HISTORY_BYTES, history_size

    assert history_size(64 * 64 * 3) == 10
    sixteen_megapixels = 4096 * 4096 * 3
    m = history_size(sixteen_megapixels)
    assert m == 3 and m * 2 * sixteen_megapixels * 4 <= 1.25 * HISTORY_BYTES


@pytest.mark.slow  # 30 L-BFGS iterations (seconds)
def test_lbfgs_lowers_the_style_loss_tenfold(net):
    from deepdream.style import TextureSettings, transfer

    log = []
    transfer(
        net, None, [picture("rocket.jpg", (64, 64))], (40, 40), TextureSettings(iterations=30), progress=log.append
    )
    assert len(log) == 30 and log[-1].iteration == 30
    assert "content" not in log[-1].losses  # a texture has no content term
    first, last = log[0].losses["total"], log[-1].losses["total"]
    assert last < first / 10, (first, last)


def test_adam_lowers_the_loss(net):
    from deepdream.style import StyleSettings, transfer

    log = []
    out = transfer(
        net,
        picture("coffee.png", (48, 64)),
        [picture("rocket.jpg", (64, 64))],
        (48, 64),
        StyleSettings(iterations=8, optimizer="adam", learning_rate=8.0),
        progress=log.append,
    )
    assert out.shape == (48, 64, 3) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 255
    assert log[-1].losses["total"] < 0.7 * log[0].losses["total"]


def test_coarse_to_fine_scales_solve_small_then_refine(net):
    from deepdream.style import StyleSettings, scale_sizes, transfer

    assert scale_sizes(300, 451, 3, 32) == [(75, 113), (150, 226), (300, 451)]
    assert scale_sizes(64, 64, 3, 32) == [(32, 32), (64, 64)]  # 16 px is under VGG16's minimum
    log = []
    out = transfer(
        net,
        picture("chelsea.png", (64, 96)),
        [picture("brick.png", (64, 64))],
        (64, 96),
        StyleSettings(scales=2, iterations=2),
        progress=log.append,
    )
    assert out.shape == (64, 96, 3)
    assert [(e.scale, e.size) for e in log] == [(1, (32, 48))] * 2 + [(2, (64, 96))] * 2


# ----------------------------------------------------------------------------- colours and masks


@pytest.mark.slow  # a real style transfer at the default settings (100 L-BFGS iterations)
@pytest.mark.parametrize("content, style", [("coffee.png", "brick.png")])
def test_default_settings_paint_a_grey_style_over_the_colours(content, style):
    """A colour photo styled with a grey texture at the default settings loses most of its colour:
    the style, not the content, decides the palette. On the most colourful photo of samples/ with
    brick, the grey style that leaves the most colour (the cat with gravel, the astronaut and the
    rocket, tried alike, kept less)."""
    import deepdream

    photo = picture(content, (40, 60))  # small: the palette, not the size, is the point
    grey_style = np.repeat(picture(style, (128, 128)).mean(-1, keepdims=True), 3, -1)
    out = deepdream.stylize(photo, grey_style)
    assert out.shape == photo.shape
    ratio = saturation(out) / saturation(photo)
    assert ratio < 0.6, ratio


def test_palette_matching_gives_the_styles_colour_statistics(photo):
    from deepdream.style import colour_stats, match_palette

    style = picture("coffee.png", (64, 96))
    mean, cov = colour_stats([style])
    out = match_palette(photo, mean, cov)
    got_mean, got_cov = colour_stats([out])
    np.testing.assert_allclose(got_mean, mean, atol=6)  # up to clipping to [0, 255]
    np.testing.assert_allclose(got_cov, cov, rtol=0.25, atol=20)
    grey = np.repeat(style.mean(-1, keepdims=True), 3, -1)
    assert saturation(match_palette(photo, *colour_stats([grey]))) < 2  # a grey palette: a grey picture


def test_preserve_colors_keeps_the_contents_chroma():
    import deepdream
    from deepdream.colors import to_ycbcr
    from deepdream.style import luminance

    content = picture("coffee.png", (64, 80))
    out = deepdream.stylize(content, picture("rocket.jpg", (64, 64)), iterations=6, preserve_colors=True)
    assert isinstance(out, np.ndarray) and out.shape == content.shape
    ycc_c, ycc_o = to_ycbcr(content), to_ycbcr(out)
    assert np.abs(ycc_o[..., 1:] - ycc_c[..., 1:]).mean() < 1.5  # chroma kept (up to clipping)
    assert np.abs(luminance(out) - luminance(content)).mean() > 3  # while the luminance was restyled


@pytest.mark.slow  # a two-style transfer with masks (seconds)
def test_a_mask_keeps_each_style_in_its_region(net):
    """Red noise styles the left half, blue noise the right; each half's colour follows its style."""
    from deepdream.style import TextureSettings, transfer

    rng = np.random.default_rng(4)
    red = np.stack([rng.uniform(150, 255, (48, 48)), rng.uniform(0, 60, (48, 48)), rng.uniform(0, 60, (48, 48))], -1)
    blue = red[..., ::-1].copy()
    left = np.zeros((48, 48), np.float32)
    left[:, :24] = 1
    # A texture's settings with two styles: each style's Gram over its own mask, no content term.
    out = transfer(
        net,
        None,
        [red.astype(np.float32), blue.astype(np.float32)],
        (48, 48),
        TextureSettings(iterations=30),
        masks=[left, 1 - left],
    )
    lh, rh = out[:, 2:20].reshape(-1, 3).mean(0), out[:, 28:46].reshape(-1, 3).mean(0)
    assert lh[0] > lh[2] + 40 and rh[2] > rh[0] + 40, (lh, rh)


# ------------------------------------------------------------------------------------ the API


def test_texture_api_takes_a_size_and_returns_pil():
    import deepdream

    sample = Image.fromarray(picture("gravel.png", (48, 48)).astype(np.uint8))
    out = deepdream.synthesize_texture(sample, "80x40", iterations=2)
    assert isinstance(out, Image.Image) and out.size == (80, 40) and out.mode == "RGB"


@pytest.mark.slow  # three small style transfers, each a new trace (seconds)
def test_api_takes_settings_and_overrides(photo):
    import deepdream
    from deepdream.settings import StyleSettings

    settings = StyleSettings(iterations=1, seed=3)
    brick = picture("brick.png", (64, 64))
    out = deepdream.stylize(photo, brick, settings, tile_size=256, seed=None)  # seed=None: the settings' seed
    assert out.shape == photo.shape and out.dtype == np.float32 and np.abs(out - photo).mean() > 0.5
    same = deepdream.stylize(photo, brick, iterations=1, seed=3, tile_size=256)  # the same, as keywords alone
    assert same.tobytes() == out.tobytes()
    longer = deepdream.stylize(photo, brick, settings, iterations=2)  # an override wins over the settings
    assert np.abs(longer - out).mean() > 0.1
    with pytest.raises(deepdream.DeepDreamError, match="--iterations must be at least 1"):
        deepdream.stylize(photo, picture("brick.png", (64, 64)), settings, iterations=0)


def test_default_layers_are_the_backbones_own(net):
    from deepdream.style import default_layers

    assert default_layers(net) == (tuple(net.content_layers), tuple(net.style_layers))


def test_parse_size_and_blend():
    from deepdream.errors import SettingsError
    from deepdream.style import parse_blend, parse_size

    assert parse_size("1024x768") == (768, 1024)
    assert parse_blend("3,1", 2) == [0.75, 0.25]
    for bad in ("1024", "0x10", "axb", "10x-3"):
        with pytest.raises(SettingsError):
            parse_size(bad)
    for bad in ("1", "0.5,0", "a,b", "1,-1"):
        with pytest.raises(SettingsError):
            parse_blend(bad, 2)


def test_settings_record_paths_and_round_trip():
    from deepdream.settings import StyleSettings, TextureSettings

    s = StyleSettings(
        styles=[SAMPLES / "rocket.jpg", SAMPLES / "gravel.png"], style_blend="1,3", content_layers=[("block4_conv2", 2)]
    )
    assert s.styles == (str(SAMPLES / "rocket.jpg"), str(SAMPLES / "gravel.png")) and s.style_blend == (0.25, 0.75)
    assert s.content_layers == ("block4_conv2=2",)
    assert StyleSettings.from_dict(s.to_dict()) == s
    t = TextureSettings(size=(80, 40), seed=-5)
    assert t.size == "80x40" and TextureSettings.from_dict(t.to_dict()) == t
    assert StyleSettings.help("backbone") == TextureSettings.help("backbone")
    assert "dream with" not in StyleSettings.help("backbone")


# ---------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("style_cli")
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(d / "content.png")
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(d / "style.png")
    Image.new("L", (64, 64), 0).save(d / "black.png")
    Image.new("L", (32, 32), 255).save(d / "white_small.png")
    return d


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["style", "content.png", "-s", "style.png", "-s", "style.png", "--mask", "white_small.png"],
            "There is 1 --mask for 2 --style; give one --mask per --style",
        ),
        (["style", "content.png", "-s", "style.png", "--mask", "black.png"], "Mask 'black.png' is empty"),
        (
            ["style", "content.png", "-s", "style.png", "-s", "style.png", "--style-blend", "1"],
            "--style-blend has 1 weight but there are 2 styles",
        ),
        (
            ["style", "content.png", "-s", "style.png", "-s", "style.png", "--style-blend", "0.5,-1"],
            "Style blend weights must be positive numbers (got -1)",
        ),
        (["style", "content.png", "-s", "style.png", "--style-blend", "x"], "Cannot read style blend weight 'x'"),
        (["style", "content.png", "-s", "missing.png"], "Input file 'missing.png' does not exist."),
        (["style", "content.png"], "Give a style picture with -s/--style FILE (or --settings FILE"),
        (["style", "content.png", "--settings", "style.png"], "'style.png' holds no deepdream settings"),
        (["style", "content.png", "-s", "style.png", "--optimizer", "sgd"], "--optimizer must be one of lbfgs, adam"),
        (["style", "content.png", "-s", "style.png", "--iterations", "0"], "--iterations must be at least 1"),
        (["style", "content.png", "-s", "style.png", "--content-weight", "-1"], "--content-weight must be at least 0"),
        (["style", "content.png", "-s", "style.png", "--style-weight", "0"], "--style-weight must be greater than 0"),
        (["style", "content.png", "-s", "style.png", "--tv-weight", "nan"], "--tv-weight must be a finite number"),
        (["style", "content.png", "-s", "style.png", "--learning-rate", "0"], "--learning-rate must be greater than 0"),
        (["style", "content.png", "-s", "style.png", "--style-scale", "9"], "--style-scale must be at most 8"),
        (["style", "content.png", "-s", "style.png", "--scales", "0"], "--scales must be at least 1"),
        (["style", "content.png", "-s", "style.png", "--scales", "9"], "--scales must be at most 8"),
        (["style", "content.png", "-s", "style.png", "--tile-size", "16"], "--tile-size must be at least 64"),
        (["style", "content.png", "-s", "style.png", "--max-side", "0"], "--max-side must be at least 1"),
        (["style", "content.png", "-s", "style.png", "--save-every", "0"], "--save-every must be at least 1"),
        (
            ["style", "content.png", "-s", "style.png", "--init", "banana"],
            "--init must be palette, content, noise or an image file ('banana' does not exist)",
        ),
        (["style", "content.png", "-s", "style.png", "--style-layer", "nope"], "nope"),
        (["texture", "style.png", "--size", "12by5"], "Cannot read size '12by5'"),
        (["texture", "style.png", "--size", "0x64"], "The size must be at least 1x1 pixels"),
        (["texture", "style.png", "--init", "content"], "A texture has no content image"),
        (["texture", "style.png", "--init", "palette"], "A texture has no content image"),
        (
            ["texture", "style.png", "--init", "banana"],
            "--init must be noise or an image file ('banana' does not exist)",
        ),
        (["texture", "style.png", "--sample-scale", "0"], "--sample-scale must be at least 0.05"),
        (["texture", "style.png", "--optimizer", "adamw"], "--optimizer must be one of lbfgs, adam"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_no_output(files, args, message):
    result = cli(*args, "-o", "out.png", cwd=files)  # in process: the process is not the point
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (files / "out.png").exists()


@pytest.mark.slow  # a style transfer through the CLI, twice (seconds)
def test_cli_style_resizes_a_mask_with_a_note_saves_snapshots_and_settings(files):
    from deepdream.images import read_metadata

    result = cli(
        "style",
        "content.png",
        "-s",
        "style.png",
        "--mask",
        "white_small.png",
        "--iterations",
        "2",
        "--save-every",
        "1",
        "-q",
        "-o",
        "styled.png",
        cwd=files,
    )
    assert result.returncode == 0, result.stderr
    assert "deepdream: note: mask 'white_small.png' is 32x32; resized to the content's 64x64." in result.stderr
    assert "Traceback" not in result.stderr
    with Image.open(files / "styled.png") as img:
        assert img.size == (64, 64)
    assert (files / "styled_0001.png").exists() and (files / "styled_0002.png").exists()
    import json

    meta = json.loads(read_metadata(files / "styled.png"))
    assert meta["mode"] == "style" and meta["input"] == "content.png"
    assert meta["settings"]["styles"] == ["style.png"] and meta["settings"]["iterations"] == 2


def test_cli_texture_takes_a_negative_seed_and_shows_no_content_term(files):
    import json

    from deepdream.images import read_metadata

    result = cli(
        "texture", "style.png", "--size", "40x32", "--iterations", "2", "--seed", "-5", "-o", "tex.png", cwd=files
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "content" not in result.stderr
    with Image.open(files / "tex.png") as img:
        assert img.size == (40, 32)
    meta = json.loads(read_metadata(files / "tex.png"))
    assert meta["mode"] == "texture" and meta["settings"]["seed"] == -5 and meta["settings"]["size"] == "40x32"


def test_cli_backbone_help_is_about_style():
    for command in ("style", "texture"):
        result = cli(command, "--help")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())  # however the help is wrapped
        assert "dream with" not in text and "define content and style" in text


@pytest.mark.slow  # five renders through the CLI
def test_cli_style_and_texture_re_render_from_their_own_pictures(files):
    """--settings FILE: a styled picture or a texture made again from the settings it carries,
    byte for byte; options beside it win (--no-preserve-colors turns a switch off); a content
    with alpha written as JPEG gets the note that its alpha is dropped."""
    import json

    from deepdream.images import read_metadata

    rgba = np.dstack([np.asarray(Image.open(files / "content.png")), np.full((64, 64), 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(files / "see_through.png")
    first = cli(
        "style",
        "see_through.png",
        "-s",
        "style.png",
        "--iterations",
        "2",
        "--preserve-colors",
        "--seed",
        "3",
        "-o",
        "first.png",
        "-q",
        cwd=files,
    )
    assert first.returncode == 0, first.stderr
    again = cli("style", "see_through.png", "--settings", "first.png", "-o", "again.png", "-q", cwd=files)
    assert again.returncode == 0, again.stderr
    assert (files / "again.png").read_bytes() == (files / "first.png").read_bytes()
    off = cli("style", "see_through.png", "--settings", "first.png", "--no-preserve-colors", "-o", "off.jpg", cwd=files)
    assert off.returncode == 0, off.stderr
    assert "deepdream: note: JPEG has no transparency; the input's alpha channel is dropped" in off.stderr
    assert json.loads(read_metadata(files / "off.jpg"))["settings"]["preserve_colors"] is False
    made = cli("texture", "style.png", "--size", "40x32", "--iterations", "2", "-o", "tex1.png", "-q", cwd=files)
    assert made.returncode == 0, made.stderr
    remade = cli("texture", "style.png", "--settings", "tex1.png", "-o", "tex2.png", "-q", cwd=files)
    assert remade.returncode == 0, remade.stderr
    assert (files / "tex2.png").read_bytes() == (files / "tex1.png").read_bytes()
