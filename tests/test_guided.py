"""Guided dreaming: the objective's value and gradient, pooled guides, `--layer auto`, the API and
the CLI, with the real embedded VGG16."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image

from deepdream import api
from deepdream import guided as objectives

LAYER = "block3_conv3"  # stride 4: 24x16 positions on the 96x64 test photo


@pytest.fixture(scope="module")
def brick() -> np.ndarray:
    img = Image.open(SAMPLES / "brick.png").convert("RGB").resize((64, 64), Image.LANCZOS)
    return np.asarray(img, np.float32)


def features(net, rgb, layer=LAYER) -> np.ndarray:
    out = net.feature_model([layer])(net.preprocess(rgb)[None], training=False)
    out = out[0] if isinstance(out, (list, tuple)) else out
    return np.asarray(out, np.float32).reshape(-1, out.shape[-1])


def test_guide_value_and_gradient_are_the_best_matching_vector():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(1, 2, 3, 4)), tf.float32)  # 6 positions, 4 channels
    g = rng.normal(size=(5, 4)).astype(np.float32)  # 5 guide vectors
    for unit in (False, True):  # raw guide vectors (the original notebook's) and unit-length ones
        vectors = g / np.linalg.norm(g, axis=1, keepdims=True) if unit else g
        objective = objectives.guide("layer", g, unit=unit)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = objective({"layer": x})
        gradient = tape.gradient(value, x).numpy().reshape(6, 4)
        dots = x.numpy().reshape(6, 4) @ vectors.T
        best = np.argmax(dots, axis=1)
        assert len(set(best)) > 1  # the positions match different guide vectors
        assert float(value) == pytest.approx(dots.max(axis=1).mean(), rel=1e-6)
        np.testing.assert_allclose(gradient * 6, vectors[best], rtol=1e-6)  # d mean / d x_i = g_best / N


def test_best_match_is_computed_in_bounded_blocks():
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x = rng.normal(size=(37, 8)).astype(np.float32)
    g = rng.normal(size=(5, 8)).astype(np.float32)
    for block in (5, 10, 1 << 24):  # 1, 2 and all 37 rows per block
        found = objectives._best_match_indices(tf.constant(x), tf.constant(g), block).numpy()
        np.testing.assert_array_equal(found, np.argmax(x @ g.T, axis=1))
    assert objectives.best_match_similarity(g, g) == pytest.approx(1.0, abs=1e-6)


def test_two_guides_pool_their_vectors(vgg, photo, brick):
    one = objectives.guide_features(vgg, [brick], [LAYER])[LAYER]
    two = objectives.guide_features(vgg, [photo], [LAYER])[LAYER]
    both = objectives.guide_features(vgg, [brick, photo], [LAYER])[LAYER]
    assert both.shape == (len(one) + len(two), 256)
    np.testing.assert_array_equal(both, np.concatenate([one, two]))
    capped = objectives.guide_features(vgg, [brick, photo], [LAYER], max_vectors=100, seed=3)[LAYER]
    again = objectives.guide_features(vgg, [brick, photo], [LAYER], max_vectors=100, seed=3)[LAYER]
    assert capped.shape == (100, 256)
    np.testing.assert_array_equal(capped, again)  # seeded
    rows = {r.tobytes() for r in both}
    assert all(r.tobytes() in rows for r in capped)
    # The pooled objective: each position takes the best match over both guides.
    x = features(vgg, photo)
    value = float(objectives.guide(LAYER, both, unit=False)({LAYER: x[None, None]}))
    per_guide = np.maximum((x @ one.T).max(axis=1), (x @ two.T).max(axis=1))
    assert value == pytest.approx(per_guide.mean(), rel=1e-5)
    assert value > (x @ one.T).max(axis=1).mean()  # the second guide adds matches the first lacks


def test_guided_dream_grows_the_guide(vgg, photo, brick):
    settings = dict(backbone="vgg16", layers=[LAYER], octaves=1, steps=6, step_size=2.0, seed=0, precision="float32")
    guided = api.dream(photo, guide=brick, **settings)
    unguided = api.dream(photo, **settings)
    target = features(vgg, brick)
    before = objectives.best_match_similarity(features(vgg, photo), target)
    after_guided = objectives.best_match_similarity(features(vgg, guided), target)
    after_unguided = objectives.best_match_similarity(features(vgg, unguided), target)
    assert guided.shape == photo.shape and guided.dtype == np.float32
    assert after_guided > before + 0.02
    assert after_guided > after_unguided + 0.02
    assert np.abs(guided - unguided).mean() > 1.0  # a different picture, not the same one


def test_guided_dream_api_forms(vgg, photo, brick, caplog):
    pil = Image.fromarray(photo.astype(np.uint8))
    guide_pil = Image.fromarray(brick.astype(np.uint8))
    with caplog.at_level(logging.INFO, logger="deepdream"):
        out = api.guided_dream(pil, [guide_pil, brick], layers="auto", octaves=1, steps=1, seed=0, backbone="vgg16")
    assert isinstance(out, Image.Image) and out.size == pil.size
    picked = api.prepare(guide=(guide_pil, brick), layers="auto", like=photo, backbone="vgg16").settings.layers[0]
    assert picked in objectives.auto_layer_candidates(vgg)
    assert f"guided at layer {picked} (auto)" in caplog.text
    assert objectives.auto_layer_candidates(vgg)[0] == "block3_conv1"
    assert api.prepare(guide=brick, backbone="vgg16").objective.layers == ("block3_conv3",)  # guided default
    both = api.prepare(guide=brick, layers=["block4_conv3", "block5_conv1=0.5"], backbone="vgg16").objective
    assert both.layers == ("block4_conv3", "block5_conv1") and "0.5 * guide(block5_conv1)" in both.description
    assert "block1_conv1" not in objectives.auto_layer_candidates(vgg)


def test_guided_api_errors(photo, brick):
    from deepdream.errors import InputError, SettingsError

    with pytest.raises(SettingsError, match="--layer auto .* give one with --guide"):
        api.dream(photo, layers="auto")
    with pytest.raises(SettingsError, match="names a channel"):
        api.dream(photo, guide=brick, layers="block4_conv3:5", steps=1, octaves=1, backbone="vgg16")
    with pytest.raises(SettingsError, match="--guide-size must be between 32"):
        api.dream(photo, guide=brick, guide_size=16, steps=1, octaves=1, backbone="vgg16")
    with pytest.raises(InputError, match="Guide image 'nowhere.png' does not exist"):
        api.guided_dream(photo, "nowhere.png", backbone="vgg16")


def test_cli_auto_layer_reports_and_writes(tmp_path, brick):
    photo = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((96, 64)).save(photo)
    guide = tmp_path / "brick.png"
    Image.fromarray(brick.astype(np.uint8)).save(guide)
    out = tmp_path / "guided.png"
    result = cli(
        "dream", photo, "-b", "vgg16", "--guide", guide, "--layer", "auto", "--octaves", "1", "--steps", "1", "-o", out
    )
    assert result.returncode == 0, result.stderr
    line = [s for s in result.stderr.splitlines() if "guided at" in s]
    assert len(line) == 1 and line[0].startswith("deepdream: guided at layer block")
    assert line[0].endswith("(auto)")
    assert Image.open(out).size == (96, 64)


@pytest.mark.parametrize("case", ["missing", "unreadable", "tiny", "auto-without-guide", "channel"])
def test_cli_bad_guided_input(tmp_path, case):
    photo = tmp_path / "cat.png"
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((96, 64)).save(photo)
    out = tmp_path / "out.png"
    guide = tmp_path / "guide.png"
    args, expected = ["--guide", guide], ""
    if case == "missing":
        expected = f"Guide image '{guide}' does not exist"
    elif case == "unreadable":
        guide.write_text("not a picture")
        expected = f"'{guide}' is not an image deepdream can read"
    elif case == "tiny":
        Image.new("RGB", (20, 40), "red").save(guide)
        expected = "Guide image 'guide.png' is 20x40 pixels; backbone 'vgg16' needs at least 32 pixels"
    elif case == "auto-without-guide":
        args, expected = ["--layer", "auto"], "--layer auto picks the layer where a guide image matches best"
    else:
        Image.new("RGB", (64, 64), "red").save(guide)
        args += ["--layer", "block4_conv3:7"]
        expected = "names a channel, but a guided dream matches whole feature vectors"
    result = cli("dream", photo, "-b", "vgg16", *args, "--octaves", "1", "--steps", "1", "-q", "-o", out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: "), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
