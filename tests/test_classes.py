"""ImageNet classes: names and numbers, `--class` on dreams, class paintings from noise, and the
default dream network (EfficientNet-Lite2), with the real networks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image

from deepdream import api, images
from deepdream.classes import class_index, search
from deepdream.errors import SettingsError


def test_classes_by_name_number_or_part():
    assert class_index("golden retriever") == 207
    assert class_index("Golden Retriever") == 207
    assert class_index("285") == 285
    assert class_index("espresso") == 967
    assert search("retriever")[2] == (207, "golden retriever")
    with pytest.raises(
        SettingsError, match=r"Unknown ImageNet class 'golden retreiver'\. Did you mean 'golden retriever'"
    ):
        class_index("golden retreiver")
    with pytest.raises(SettingsError) as crane:  # two classes are named exactly "crane": say which is which
        class_index("crane")
    assert str(crane.value) == (
        "--class 'crane' names 2 classes: 134 crane (the bird) and 517 crane (the lifting "
        "machine); give the number of the one you mean."
    )
    with pytest.raises(
        SettingsError,
        match=r"names 2 classes: 638 maillot \(a dancer's or gymnast's leotard\) and "
        r"639 maillot \(a one-piece bathing suit\)",
    ):
        class_index("maillot")
    with pytest.raises(SettingsError, match="numbered 0 to 999"):
        class_index("1000")


@pytest.mark.slow  # a real painting of some size (128x128, 48 steps)
def test_painting_a_class_makes_the_network_see_it():
    """A small, short painting from noise is what the network calls a golden retriever, where the
    first step's picture (the noise it starts from) is nothing of the kind, and still is after a
    6-pixel blur: the retriever is in its shape, not only its fur (with the visualisations' views
    instead, half to 1.1 of the picture blurred by up to 3 pixels: 0.002, the top-1 a Norwich
    terrier); one trace serves the whole run and a second run, which gives the same bytes for the
    same seed (checked on a short painting)."""
    from scipy.ndimage import gaussian_filter

    from deepdream.render.param import (
        CLASS_PAINT_BLUR,
        CLASS_PAINT_CROP,
        CLASS_PAINT_LEAST_BLUR,
        CLASS_PAINT_OPENING,
        prepare_painting,
    )
    from deepdream.settings import ClassSettings

    painting = prepare_painting(ClassSettings(target_class="golden retriever", size="128x128", steps=48))
    assert painting.painter.opening == CLASS_PAINT_OPENING == 0.5  # coarse to fine over the first half
    net = painting.backbone
    seen = []
    rgb = painting.run(progress=lambda e: seen.append(e.snapshot()) if getattr(e, "step", 0) == 1 else None)
    before = dict((i, p) for i, _, p in net.classify(seen[0], 1000))[207]
    top = net.classify(rgb, 1)[0]
    assert before < 0.05
    assert top[0] == 207 and top[2] > 0.5, top
    robust = painting.painter.robustness
    shape = (robust.min_crop, robust.max_crop, robust.least_blur, robust.blur)
    assert shape == (*CLASS_PAINT_CROP, CLASS_PAINT_LEAST_BLUR, CLASS_PAINT_BLUR) == (0.8, 1.2, 2.0, 6.0)
    blurred = dict((i, p) for i, _, p in net.classify(gaussian_filter(rgb, (6, 6, 0)), 1000))[207]
    assert blurred > 0.9, blurred  # 0.997
    assert rgb.shape == (128, 128, 3) and rgb.dtype == np.float32 and rgb.min() >= 0 and rgb.max() <= 255
    assert painting.traces == 1
    short = prepare_painting(ClassSettings(target_class="golden retriever", size="128x128", steps=2))
    first = short.run()
    np.testing.assert_array_equal(short.run(), first)
    assert short.traces == 1
    assert np.abs(short.run(seed=1) - first).mean() > 5.0


@pytest.mark.slow  # a real 128x128 painting of 24 steps
def test_a_painting_keeps_to_natural_colours():
    """The decorrelated colour space keeps neighbouring pixels' colours close (no rainbow noise):
    the chroma of a painting varies less from pixel to pixel than its brightness, as in photos."""
    from deepdream.colors import to_ycbcr
    from deepdream.render.param import prepare_painting
    from deepdream.settings import ClassSettings

    rgb = prepare_painting(ClassSettings(target_class="lemon", size="128x128", steps=24)).run()
    ycc = to_ycbcr(rgb)
    rough = [np.abs(np.diff(ycc[..., c], axis=1)).mean() for c in range(3)]
    assert (rough[1] + rough[2]) / 2 < 0.5 * rough[0], rough


@pytest.mark.slow  # paintings of a channel and of an atlas (seconds)
def test_visualizing_a_channel_and_an_atlas_of_channels():
    """A channel painted from noise drives that channel far above what it reads in the start; an
    atlas paints several channels at once, each picture driving its own channel most."""
    import tensorflow as tf

    from deepdream.render.painter import Robustness
    from deepdream.render.param import prepare_painting
    from deepdream.settings import VisualizeSettings

    settings = VisualizeSettings(target="block4a_expand:5", size="96x96", steps=24)
    painting = prepare_painting(settings)
    assert painting.painter.robustness == Robustness(views=4, blurred=2, size=96)  # not a class painting's
    features = painting.backbone.feature_model(["block4a_expand"])

    def mean_channels(rgb):
        return tf.reduce_mean(
            features(painting.backbone.preprocess(np.asarray(rgb, np.float32)[None]))[0], axis=[0, 1]
        ).numpy()

    first = []
    rgb = painting.run(progress=lambda e: first.append(e.snapshot()) if getattr(e, "step", 0) == 1 else None)
    assert mean_channels(rgb)[5] > 3 * max(mean_channels(first[0])[5], 0.05)
    atlas = prepare_painting(settings.replace(target="block4a_expand"), channels=[1, 2, 3]).run()
    assert atlas.shape == (3, 96, 96, 3)
    for i, channel in enumerate([1, 2, 3]):
        means = mean_channels(atlas[i])
        assert means[channel] == max(means[c] for c in (1, 2, 3)), (channel, means[[1, 2, 3]])


@pytest.mark.slow  # a real render of some size (EfficientNet-Lite2, 26 steps)
def test_a_class_pushes_a_photo_and_needs_a_classifier(photo):
    """`dream --class` paints the class into the photo: the network sees a lemon where the photo
    had none; one trace per picture size; the same seed gives the same bytes (checked on a short
    run: the steps are the same function)."""
    from PIL import Image as PILImage

    cat = np.asarray(PILImage.open(SAMPLES / "chelsea.png").convert("RGB").resize((192, 128)), np.float32)
    dreamer = api.prepare(target_class="lemon", octaves=1, steps=26)  # 22 and 34 also 1.0; 16: 0.001
    pushed = dreamer.run(cat)

    def lemon(rgb):
        return dict((i, p) for i, _, p in dreamer.backbone.classify(rgb, 1000))[951]

    assert lemon(cat) < 0.001 and lemon(pushed) > 0.1, (lemon(cat), lemon(pushed))
    short = api.prepare(target_class="lemon", octaves=1, steps=2)
    assert np.array_equal(short.run(cat), short.run(cat)) and short.traces == 1 and dreamer.traces == 1
    with pytest.raises(SettingsError, match="--class needs a backbone with an ImageNet classifier"):
        api.prepare(target_class="golden retriever", backbone="vgg16")
    with pytest.raises(SettingsError, match="--class and --guide pull the picture two ways"):
        api.prepare(target_class="golden retriever", guide=photo)


def test_class_dream_views_reach_every_part_of_the_photo():
    """`dream --class` centres its views halfway toward the photo's edges (`reach` 0.5), so its
    outer parts are looked at too and the class does not pool in the middle; views that must fit
    inside (reach 0: paintings from noise) leave a band along the edges unseen; reach 1 centres them
    anywhere (mirrored beyond the edges)."""
    from deepdream.render import param
    from deepdream.render.painter import Robustness

    def centres(robustness, height, width, n=400):
        rng = np.random.default_rng(0)
        c = (robustness.size - 1) / 2.0
        t = np.concatenate([robustness.draw(rng, height, width) for _ in range(n)])
        return t[:, 5] + 0.5 + c * (t[:, 3] + t[:, 4]), t[:, 2] + 0.5 + c * (t[:, 0] + t[:, 1])  # (cy, cx)

    for reach, lo, hi in ((0.0, 0.0, 0.0), (0.5, 0.03, 0.15), (1.0, 0.25, 0.4)):
        cy, cx = centres(Robustness(min_crop=0.35, max_crop=0.7, size=224, reach=reach), 300, 450)
        band = (cy < 0.15 * 300) | (cy > 0.85 * 300)  # the top and bottom 15 %: 30 % of the rows
        assert lo <= band.mean() <= hi, (reach, band.mean())
        assert cy.min() >= 0 and cy.max() <= 300 and cx.min() >= 0 and cx.max() <= 450
    assert param.CLASS_DREAM_REACH == 0.5 and Robustness().reach == 0.0  # photos halfway; noise: inside


def test_a_photo_painted_into_changes_as_readily_in_its_darks_as_in_its_middle_tones(vgg):
    """With headroom, a photo started from comes back as it is (before any step) and its black
    pixels move nearly half as much as its middle greys for the same push; without, a black pixel
    sits where the sigmoid is flat and hardly moves (the dark garage where no lemon would grow)."""
    import tensorflow as tf

    from deepdream.render.painter import FourierPainter

    photo = np.zeros((32, 32, 3), np.float32)
    photo[:, 16:] = 128.0
    photo[:4] = 255.0
    moved = {}
    for headroom in (0.0, 0.1):
        painter = FourierPainter(
            vgg, lambda out: tf.reduce_mean(out[0], axis=[1, 2, 3]), ["block1_conv1"], 32, 32, headroom=headroom
        )
        same = painter.run(np.random.default_rng(0), 0, base=photo)[0]
        push = np.zeros(painter.spectrum.shape, np.float32)
        push[0, 0, 0, 0, 0] = 0.01  # the brightness channel's constant term
        after = painter.pixels(painter.spectrum + push).numpy()[0]
        moved[headroom] = np.abs(after - same).mean(-1)
        if headroom:
            np.testing.assert_allclose(same, photo, atol=0.05)
    dark, mid = (slice(8, 32), slice(0, 16)), (slice(8, 32), slice(16, 32))
    assert moved[0.1][dark].mean() > 0.3 * moved[0.1][mid].mean() > 0
    assert moved[0.0][dark].mean() < 0.05 * moved[0.0][mid].mean()


def test_coarse_to_fine_opens_a_low_pass_over_the_first_steps(vgg):
    """The cutoff rises geometrically from 1/32 to 0.75 cycles per pixel over the opening's share of
    the steps, then passes everything; through it the picture has no fine detail, and a painter
    without an opening (feature visualisations, `dream --class`) is not filtered at all. The
    chroma low-pass softens the two colour channels' fine coefficients, never the brightness's."""
    import tensorflow as tf

    from deepdream.render.painter import OPEN_NEVER, FourierPainter, opening_cutoff, spectrum_frequency

    assert opening_cutoff(0, 200, 0.5) == pytest.approx(1 / 32)
    assert opening_cutoff(50, 200, 0.5) == pytest.approx((0.75 / 32) ** 0.5)  # halfway, geometrically
    assert opening_cutoff(99, 200, 0.5) == pytest.approx(1 / 32 * 24**0.99)
    assert opening_cutoff(100, 200, 0.5) == opening_cutoff(0, 200, 0.0) == OPEN_NEVER
    frequency = spectrum_frequency(64, 64)
    np.testing.assert_allclose(frequency[0, :3], [0, 1 / 64, 2 / 64])

    def fine_share(picture):  # of the brightness's variance, above 0.25 cycles per pixel
        power = np.abs(np.fft.rfft2(picture.mean(-1) - picture.mean())) ** 2
        return power[frequency > 0.25].sum() / power.sum()

    pictures = {}
    for opening in (0.0, 1.0):
        painter = FourierPainter(
            vgg,
            lambda out: tf.reduce_mean(out[0], axis=[1, 2, 3]),
            ["block1_conv1"],
            64,
            64,
            opening=opening,
            chroma_cutoff=0.4,
        )
        painter.run(np.random.default_rng(0), 2)
        assert painter.cutoff.numpy() == OPEN_NEVER  # open again after the run
        opened = painter.pixels(painter.spectrum).numpy()[0]
        painter.cutoff.assign(1 / 32)
        pictures[opening] = opened, painter.pixels(painter.spectrum).numpy()[0]
    np.testing.assert_array_equal(*pictures[0.0])  # no opening: nothing filtered
    opened, shut = pictures[1.0]
    assert fine_share(opened) > 0.01 and fine_share(shut) < 1e-4 * fine_share(opened)
    scale = painter.scale.numpy()[0]  # [3, h, w/2+1]
    ratio = scale[1:] / scale[0]
    np.testing.assert_allclose(ratio[:, 0, 0], 1.0)
    np.testing.assert_allclose(ratio[:, 0, 16], np.exp(-0.5 * (0.25 / 0.4) ** 2), rtol=1e-5)  # 0.25 cycles
    np.testing.assert_allclose(ratio, np.broadcast_to(np.exp(-0.5 * (frequency / 0.4) ** 2), ratio.shape), rtol=1e-4)


def test_a_class_painting_on_a_network_without_a_classifier_is_refused_before_it_loads(tmp_path):
    """inceptionv3's weights are not here: the painting is refused for the missing classifier (so
    before anything loads), in one line, nothing written."""
    result = cli("class", "lemon", "-b", "inceptionv3", "-o", tmp_path / "lemon.png")
    assert (result.returncode, result.stderr) == (
        2,
        "deepdream: error: A class painting needs a backbone with an ImageNet classifier: use --backbone "
        "efficientnet-lite2 (inceptionv3 has none).\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_the_default_dream_network_is_efficientnet_lite2(photo):
    dreamer = api.prepare()
    assert dreamer.backbone.name == "efficientnet-lite2"
    assert dreamer.objective.layers == ("block6a_expand",)


def test_class_and_classes_commands(tmp_path):
    listed = cli("classes", "retriever")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[2].split() == ["207", "golden", "retriever"]
    out = tmp_path / "dog.png"
    done = cli("class", "golden retriever", "-o", out, "--size", "96x64", "--steps", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (96, 64)
    recorded = json.loads(images.read_metadata(out))
    assert recorded["mode"] == "class" and recorded["settings"]["target_class"] == "golden retriever"


@pytest.mark.parametrize(
    "args,message",
    [
        (["class", "golden retreiver"], "Unknown ImageNet class 'golden retreiver'. Did you mean 'golden retriever'"),
        (["class", "7", "--size", "12x12"], "--size must be at least 64x64 (got 12x12)"),
        (["class", "7", "--size", "big"], "Cannot read size 'big'"),
        (["classes", "xyzzy"], "No ImageNet class name contains 'xyzzy'"),
        (["dream", str(SAMPLES / "chelsea.png"), "--class", "cat"], "--class 'cat' matches 8 classes"),
        (
            ["dream", str(SAMPLES / "chelsea.png"), "--class", "7", "-b", "vgg16"],
            "--class needs a backbone with an ImageNet classifier",
        ),
    ],
)
def test_bad_classes_are_one_line(tmp_path, args, message):
    out = tmp_path / "out.png"
    done = cli(*args, "-o", out, "-q") if args[0] != "classes" else cli(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and message in lines[0], done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", [1.5, True, "3"])
def test_a_paintings_seed_is_a_whole_number(seed):
    from deepdream import api
    from deepdream.errors import SettingsError

    with pytest.raises(SettingsError) as error:
        api.paint_class("lemon", seed=seed)
    assert str(error.value) == f"--seed must be a whole number (got {seed!r})."


def test_gallery_from_noise_is_an_atlas_of_channels(tmp_path):
    """`gallery --from-noise`: one painted cell per channel of --layer on a labelled sheet, the HTML
    page giving each cell's `deepdream visualize` command; no picture needed (the sheet is named for
    the layer, in the current folder); run again, nothing is painted anew and the sheet is replaced."""
    source = tmp_path / "any.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(source)
    args = [
        "gallery",
        "--from-noise",
        "-l",
        "block3a_expand",
        "--channels",
        "3",
        "--cell",
        "64",
        "--steps",
        "4",
        "-q",
    ]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sheet, page = tmp_path / "atlas_block3a_expand.png", tmp_path / "atlas_block3a_expand.html"
    cells = tmp_path / "atlas_block3a_expand_cells"
    assert sorted(p.name for p in cells.iterdir()) == [f"block3a_expand_000{c}.png" for c in range(3)]
    assert Image.open(cells / "block3a_expand_0002.png").size == (64, 64)
    recorded = json.loads(images.read_metadata(cells / "block3a_expand_0001.png"))
    assert recorded["mode"] == "visualize" and recorded["settings"]["target"] == "block3a_expand:1"
    assert "deepdream visualize block3a_expand:2 -o block3a_expand_2.png --size 64x64 --steps 4" in page.read_text()
    assert "at full size" not in page.read_text() and "a larger --size paints it larger" in page.read_text()
    assert Image.open(sheet).size[0] == 8 + 2 * (64 + 8)  # two columns of 64-pixel cells
    again_from_its_settings = cli(
        "visualize", "block3a_expand:1", "--settings", cells / "block3a_expand_0001.png", "--dry-run"
    )
    assert again_from_its_settings.returncode == 0, again_from_its_settings.stderr
    assert "64x64" in again_from_its_settings.stdout
    stamps = {p.name: p.stat().st_mtime_ns for p in cells.iterdir()}
    again = cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in cells.iterdir()} == stamps
    refused = cli("gallery", source, "--from-noise", "-l", "block3a_expand", "--octaves", "2", "-o", tmp_path / "x.png")
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and lines[0].startswith("deepdream: error: "), refused.stderr
    assert "--octaves does not apply to it" in lines[0] and not (tmp_path / "x.png").exists()
