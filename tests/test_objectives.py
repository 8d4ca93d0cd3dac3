"""Layer specs and the objective algebra."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from deepdream.errors import SettingsError
from deepdream.objectives import LayerSpec, channel, check_spec, from_specs, layer, parse_layer_spec


@pytest.mark.parametrize(
    "text,expected",
    [
        ("block4_conv3", LayerSpec("block4_conv3", None, 1.0)),
        ("mixed4:97", LayerSpec("mixed4", 97, 1.0)),
        ("block5_conv1=0.5", LayerSpec("block5_conv1", None, 0.5)),
        ("mixed4c:3=2", LayerSpec("mixed4c", 3, 2.0)),
        (" block3_conv1 = -1e-1 ", LayerSpec("block3_conv1", None, -0.1)),
    ],
)
def test_parse_layer_spec(text, expected):
    assert parse_layer_spec(text) == expected


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("block4_conv3:x", "Cannot read layer"),
        ("=0.5", "Cannot read layer"),
        ("block4_conv3=abc", "Cannot read"),
        ("block4_conv3=nan", "finite"),
        ("", "Cannot read layer"),
    ],
)
def test_bad_layer_specs_say_how_to_write_one(text, fragment):
    with pytest.raises(SettingsError, match=fragment):
        parse_layer_spec(text)


def test_specs_are_checked_against_the_catalog(vgg):
    assert check_spec(vgg, parse_layer_spec("block4_conv3:511")).channel == 511
    with pytest.raises(SettingsError, match=r"Channel 512 is out of range .* 512 channels \(0 to 511\)"):
        check_spec(vgg, parse_layer_spec("block4_conv3:512"))
    with pytest.raises(SettingsError, match="Did you mean 'block4_conv3'"):
        check_spec(vgg, parse_layer_spec("block4conv3"))
    with pytest.raises(SettingsError, match="at least one layer"):
        from_specs(vgg, [])


def test_objective_algebra_adds_and_scales():
    rng = np.random.default_rng(0)
    a = tf.constant(rng.random((1, 4, 5, 3)), tf.float32)
    b = tf.constant(rng.random((1, 2, 2, 6)), tf.float32)
    features = {"a": a, "b": b}
    objective = 2 * layer("a") - 0.5 * channel("b", 4)
    assert objective.layers == ("a", "b")
    expected = 2 * a.numpy().mean() - 0.5 * b.numpy()[..., 4].mean()
    assert float(objective(features)) == pytest.approx(expected, rel=1e-6)
    assert float(sum([layer("a"), layer("b")])(features)) == pytest.approx(
        a.numpy().mean() + b.numpy().mean(), rel=1e-6
    )


def test_from_specs_weights_each_term(vgg):
    objective = from_specs(vgg, ["block1_conv1:3=2", "block1_conv2=0.5"])
    features = {"block1_conv1": tf.ones((1, 2, 2, 64)) * 3.0, "block1_conv2": tf.ones((1, 2, 2, 64)) * 4.0}
    assert objective.layers == ("block1_conv1", "block1_conv2")
    assert float(objective(features)) == pytest.approx(2 * 3.0 + 0.5 * 4.0)


def test_the_l2_score_is_the_mean_square_and_pulls_hardest_where_activations_are_strongest():
    a = tf.constant([[[[0.5, 2.0], [1.0, 4.0]]]], tf.float32)  # [1, 1, 2, 2]
    features = {"a": a}
    assert float(layer("a", "l2")(features)) == pytest.approx((0.25 + 4 + 1 + 16) / 4)
    assert float(channel("a", 1, "l2")(features)) == pytest.approx((4 + 16) / 2)
    assert float(layer("a", "mean")(features)) == pytest.approx(7.5 / 4)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(a)
        square, mean = layer("a", "l2")(features), layer("a")(features)
    # the mean's gradient is the same everywhere; the mean square's grows with the activation
    np.testing.assert_allclose(tape.gradient(mean, a).numpy().ravel(), [0.25] * 4)
    np.testing.assert_allclose(tape.gradient(square, a).numpy().ravel(), [0.25, 1.0, 0.5, 2.0])
    assert layer("a", "l2").description == "l2(a)" and channel("a", 1, "l2").description == "l2(a:1)"
    with pytest.raises(ValueError, match="unknown score 'max'"):
        layer("a", "max")


def test_from_specs_scores_every_term_alike(vgg):
    features = {"block1_conv1": tf.ones((1, 2, 2, 64)) * 3.0, "block1_conv2": tf.ones((1, 2, 2, 64)) * 4.0}
    objective = from_specs(vgg, ["block1_conv1:3=2", "block1_conv2=0.5"], "l2")
    assert float(objective(features)) == pytest.approx(2 * 9.0 + 0.5 * 16.0)
