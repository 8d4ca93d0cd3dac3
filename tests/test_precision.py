"""Precision and tile batching: what `auto` picks, lower-precision renders, traces, batched tiles,
the fused in-place ascent step, and the CLI's checks of --precision and --tile-batch."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import cli, render

from deepdream.backbones.base import check_precision, choose_precision
from deepdream.errors import SettingsError
from deepdream.objectives import Objective, from_specs
from deepdream.render.tiles import TiledGradient
from deepdream.render.transforms import StepParams


@pytest.mark.parametrize(
    "flags,gpus,expected",
    [
        ({"avx2", "fma"}, [], "float32"),  # a CPU without bfloat16 arithmetic
        ({"avx512f", "avx512_bf16"}, [], "bfloat16"),  # Zen 4, Cooper Lake
        ({"amx_bf16", "amx_tile"}, [], "bfloat16"),  # Sapphire Rapids
        ({"avx512f"}, [], "float32"),  # AVX-512 alone is not bfloat16
        (set(), [(8, 0)], "bfloat16"),  # A100
        ({"avx512_bf16"}, [(9, 0)], "bfloat16"),  # H100: the GPU decides
        (set(), [(7, 5)], "float16"),  # T4: tensor cores, no bfloat16
        ({"amx_bf16"}, [(6, 1)], "float16"),
        (set(), [(8, 6), (7, 0)], "float16"),  # mixed GPUs: what every one of them does well
        (set(), [None], "float16"),  # capability unknown
    ],
)
def test_auto_picks_what_the_hardware_does_fast(flags, gpus, expected):
    assert choose_precision(flags, gpus) == expected


def test_precision_names_are_checked():
    assert check_precision("bfloat16") == "bfloat16"
    with pytest.raises(
        SettingsError, match=r"--precision must be one of auto, float32, bfloat16, float16 \(got 'fp8'\)"
    ):
        check_precision("fp8")


def test_the_network_runs_in_the_precision_and_the_image_stays_float32(vgg, photo):
    features = vgg.feature_model(["block3_conv1"], "bfloat16")(tf.zeros([1, 32, 32, 3]))
    assert features.dtype == tf.bfloat16
    assert vgg.feature_model(["block3_conv1"], "float32")(tf.zeros([1, 32, 32, 3])).dtype == tf.float32
    assert vgg.model_in_precision("bfloat16") is vgg.model_in_precision("bfloat16")  # made once
    objective = from_specs(vgg, ["block3_conv1"])
    gradient, value = TiledGradient(vgg, objective, 128, precision="bfloat16", tile_batch=1)(
        vgg.preprocess(photo), StepParams(offset=(5, 9))
    )
    assert gradient.dtype == tf.float32 and gradient.shape == photo.shape and np.isfinite(value)


def test_a_bfloat16_render_is_close_to_the_float32_one(vgg, photo):
    objective = from_specs(vgg, ["block4_conv1"])
    kwargs = dict(octaves=1, steps=3, step_size=3.0, tile_size=64, seed=3)
    events = []
    f32 = render(vgg, photo, objective, precision="float32", **kwargs)
    original = photo.copy()
    bf16 = render(vgg, photo, objective, precision="bfloat16", progress=events.append, **kwargs)
    assert np.array_equal(photo, original)  # the caller's image is never updated in place
    assert bf16.dtype == np.float32 and bf16.shape == photo.shape
    assert {e.precision for e in events} == {"bfloat16"}
    change = np.abs(f32 - photo).mean()  # what the dream did
    difference = np.abs(bf16 - f32).mean()  # what the precision changed
    assert change > 3
    assert difference < 0.35 * change, (difference, change)


@pytest.mark.parametrize("precision,tile_batch", [("float32", 1), ("bfloat16", 1), ("float32", 3)])
def test_one_trace_per_render_across_octaves_and_tile_shapes(vgg, photo, precision, tile_batch):
    objective = from_specs(vgg, ["block2_conv2"])
    tiled = TiledGradient(vgg, objective, tile_size=40, min_tile=32, precision=precision, tile_batch=tile_batch)
    events = []
    render(vgg, photo, objective, octaves=3, octave_scale=1.3, steps=1, seed=1, tiled=tiled, progress=events.append)
    assert len({e.size for e in events}) == 3  # three octave sizes, many tile shapes
    assert tiled.traces == 1


def test_batched_tiles_give_the_unbatched_gradient(vgg, photo):
    # a non-separable objective (a product of two means) shows each tile is still judged alone
    base = from_specs(vgg, ["block3_conv1"])
    objective = Objective(base.layers, lambda f: base(f) * base(f), "block3_conv1 squared")
    image = tf.constant(vgg.preprocess(photo))
    one = TiledGradient(vgg, objective, tile_size=32, min_tile=32, precision="float32", tile_batch=1)
    many = TiledGradient(vgg, objective, tile_size=32, min_tile=32, precision="float32", tile_batch=4)
    for offset in [(0, 0), (7, 19)]:
        g1, v1 = one(image, StepParams(offset=offset))
        g4, v4 = many(image, StepParams(offset=offset))
        scale = np.abs(g1.numpy()).max()
        np.testing.assert_allclose(g4.numpy(), g1.numpy(), atol=1e-4 * scale)
        assert v4 == pytest.approx(v1, rel=1e-5)


@pytest.mark.parametrize("tile_size", [32, 128])  # many tiles (in place, band by band), one tile
def test_the_ascent_step_is_a_normalised_gradient_step(vgg, photo, tile_size):
    objective = from_specs(vgg, ["block2_conv1"])
    tiled = TiledGradient(vgg, objective, tile_size=tile_size, min_tile=32, precision="float32", tile_batch=1)
    image = vgg.preprocess(photo)
    low, high = tf.constant(vgg.low), tf.constant(vgg.high)
    gradient, value = tiled(image, StepParams(offset=(3, 4)))
    expected = tf.clip_by_value(image + 40.0 * gradient / (tf.reduce_mean(tf.abs(gradient)) + 1e-8), low, high).numpy()
    own = tf.constant(image.numpy())  # the step may update its image in place: give it its own
    stepped, step_value = tiled.ascent_step(own, StepParams(offset=(3, 4)), step=tf.constant(40.0), low=low, high=high)
    np.testing.assert_allclose(stepped.numpy(), expected, atol=1e-3)
    assert step_value == pytest.approx(value, rel=1e-6)
    assert np.abs(expected - image.numpy()).mean() > 5  # the step did move the image


@pytest.mark.parametrize(
    "option,value,message",
    [
        (
            "--precision",
            "double",
            "deepdream: error: --precision must be one of auto, float32, bfloat16, float16 (got 'double').",
        ),
        ("--tile-batch", "0", "deepdream: error: --tile-batch must be at least 1 (got 0)."),
    ],
)
def test_the_cli_rejects_a_bad_precision_or_tile_batch(tmp_path, option, value, message):
    from PIL import Image

    source = tmp_path / "in.png"
    Image.new("RGB", (64, 64), (120, 80, 40)).save(source)
    output = tmp_path / "out.png"
    done = cli("dream", source, "-o", output, option, value, "-q")
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert "Traceback" not in done.stderr + done.stdout
    assert not output.exists()


@pytest.mark.parametrize(
    "auto,on_gpu,expected_vgg,expected_lite2",
    [
        ("bfloat16", False, "bfloat16", "float32"),  # AMX CPU: depthwise convolutions are slower in bfloat16
        ("bfloat16", True, "bfloat16", "bfloat16"),  # a recent GPU: both
        ("float32", False, "float32", "float32"),  # no native bfloat16
    ],
)
def test_auto_precision_follows_the_backbone_on_a_cpu(monkeypatch, vgg, auto, on_gpu, expected_vgg, expected_lite2):
    from deepdream.backbones import base, load_backbone

    monkeypatch.setattr(base, "_auto", auto)
    monkeypatch.setattr(base, "_on_gpu", on_gpu)
    lite2 = load_backbone("efficientnet-lite2")
    assert base.resolve_precision("auto", vgg) == expected_vgg
    assert base.resolve_precision("auto", lite2) == expected_lite2
    assert base.resolve_precision("bfloat16", lite2) == "bfloat16"  # asked for by name: obeyed
