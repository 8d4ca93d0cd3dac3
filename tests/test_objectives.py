"""Layer specs and the objective algebra."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from deepdream.errors import SettingsError
from deepdream.objectives import LayerSpec, channel, check_spec, from_specs, layer, parse_layer_spec


@pytest.mark.parametrize("text,expected", [
    ("block4_conv3", LayerSpec("block4_conv3", None, 1.0)),
    ("mixed4:97", LayerSpec("mixed4", 97, 1.0)),
    ("block5_conv1=0.5", LayerSpec("block5_conv1", None, 0.5)),
    ("mixed4c:3=2", LayerSpec("mixed4c", 3, 2.0)),
    (" block3_conv1 = -1e-1 ", LayerSpec("block3_conv1", None, -0.1)),
])
def test_parse_layer_spec(text, expected):
    assert parse_layer_spec(text) == expected


@pytest.mark.parametrize("text,fragment", [
    ("block4_conv3:x", "Cannot read layer"),
    ("=0.5", "Cannot read layer"),
    ("block4_conv3=abc", "Cannot read"),
    ("block4_conv3=nan", "finite"),
    ("", "Cannot read layer"),
])
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
    assert float(sum([layer("a"), layer("b")])(features)) == pytest.approx(a.numpy().mean() + b.numpy().mean(), rel=1e-6)


def test_from_specs_weights_each_term(vgg):
    objective = from_specs(vgg, ["block1_conv1:3=2", "block1_conv2=0.5"])
    features = {"block1_conv1": tf.ones((1, 2, 2, 64)) * 3.0, "block1_conv2": tf.ones((1, 2, 2, 64)) * 4.0}
    assert objective.layers == ("block1_conv1", "block1_conv2")
    assert float(objective(features)) == pytest.approx(2 * 3.0 + 0.5 * 4.0)
