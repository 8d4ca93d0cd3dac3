"""The render loop: tiles, the tiling identity, octaves, detail carrying, traces, seeds."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import render

from deepdream.objectives import from_specs
from deepdream.render.grid import tile_edges
from deepdream.render.octaves import octave_sizes
from deepdream.render.tiles import TiledGradient
from deepdream.render.transforms import StepParams


@pytest.mark.parametrize("length,tile,min_size", [(1000, 256, 64), (513, 512, 128), (700, 100, 32), (64, 512, 32)])
def test_tile_edges_cover_every_pixel_once_within_bounds(length, tile, min_size):
    for offset in range(0, tile, 7):
        edges = tile_edges(length, tile, offset, min_size)
        assert edges[0][0] == 0 and edges[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(edges, edges[1:], strict=False))  # contiguous, no overlap
        sizes = [b - a for a, b in edges]
        if length > tile:
            assert min(sizes) >= min_size
        assert max(sizes) <= max(tile + min_size - 1, length if length <= tile else 0)


def test_tile_edges_use_the_fewest_tiles_and_move_with_the_offset():
    assert tile_edges(1024, 512, 127, 128) == [(0, 512), (512, 1024)]  # the middle of the range
    assert tile_edges(1024, 512, 0, 128) == [(0, 385), (385, 1024)]  # moved 127 up
    assert tile_edges(1024, 512, 254, 128) == [(0, 639), (639, 1024)]  # and 127 down
    cuts = {tile_edges(1400, 512, offset, 128)[1][0] for offset in range(512)}
    assert len(cuts) > 300  # the borders wander over hundreds of positions, step after step
    assert all(len(tile_edges(1400, 512, offset, 128)) == 3 for offset in range(512))


@pytest.mark.parametrize("length,align", [(1024, 8), (1400, 16), (788, 8), (606, 64), (5000, 32)])
def test_aligned_cuts_sit_on_multiples_and_keep_every_piece_within_bounds(length, align):
    cuts = set()
    for offset in range(512):
        edges = tile_edges(length, 512, offset, 128, align=align)
        plain = tile_edges(length, 512, offset, 128)
        assert len(edges) == len(plain) and edges[0][0] == 0 and edges[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(edges, edges[1:], strict=False))
        assert all(128 <= b - a <= 639 for a, b in edges)
        assert all(b % align == 0 for _, b in edges[:-1])  # every piece but the last a multiple
        assert all(abs(e[1] - p[1]) < align for e, p in zip(edges[:-1], plain, strict=False))  # the nearest that fits
        cuts.add(edges[0][1])
    assert len(cuts) >= 240 // align  # still wandering, in steps of `align`


def test_cuts_that_cannot_be_aligned_stay_where_they_were():
    # pieces of 100 to 163 px cannot all sit on multiples of 128: the plain cuts are kept
    for offset in range(0, 100, 3):
        assert tile_edges(300, 100, offset, 64, align=128) == tile_edges(300, 100, offset, 64)
    assert tile_edges(1024, 512, 127, 128, align=1) == [(0, 512), (512, 1024)]


def test_the_jitter_allows_cuts_as_coarse_as_it_moves_and_the_network_uses_its_stride(vgg):
    from deepdream.render.grid import Grid
    from deepdream.render.transforms import GridShift, Jitter

    assert [Grid.cut_align(n) for n in (0, 1, 3, 4, 15, 16, 31, 32, 500)] == [1, 2, 4, 8, 16, 32, 32, 64, 64]
    grid = Grid(1024, 1024, 512, 128)
    rng = np.random.default_rng(0)
    params = Jitter(32).params(StepParams(), rng, grid, 0)
    assert params.align == 64 and max(abs(v) for v in params.shift) <= 32
    assert GridShift().params(StepParams(), rng, grid, 0).align == 1  # no jitter: cuts on every pixel
    # seen from the picture, cuts on multiples of 64 (448, 512, 576 here) moved by -32..32 still
    # fall on every pixel between
    seen = {
        grid.tiles((offset, 0), (dy, 0), params.align)[0].y1 for offset in range(0, 512, 5) for dy in range(-32, 33)
    }
    assert seen == set(range(416, 609))
    tiled = TiledGradient(vgg, from_specs(vgg, ["block4_conv3"]), tile_size=512, precision="float32", tile_batch=1)
    assert tiled.align == 8  # three poolings: sides on multiples of 8 pass them unpadded
    assert (
        TiledGradient(
            vgg, from_specs(vgg, ["block3_conv1", "block5_conv1"]), tile_size=512, precision="float32", tile_batch=1
        ).align
        == 16
    )
    tiles = tiled.grid(1024, 1024).tiles((3, 200), (5, -7), min(tiled.align, params.align))
    assert [t.shape for t in tiles] == [
        (392, 584),
        (392, 440),
        (632, 584),
        (632, 440),
    ]  # unaligned: 388, 636 by 585, 439


def whole_image_gradient(backbone, objective, image):
    model = backbone.feature_model(objective.layers)
    x = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x[None])
        out = out if isinstance(out, (list, tuple)) else [out]
        value = objective(dict(zip(objective.layers, out, strict=False)))
    return tape.gradient(value, x).numpy(), float(value)


def test_one_tile_as_large_as_the_image_gives_the_whole_image_gradient(vgg, photo):
    objective = from_specs(vgg, ["block3_conv1", "block4_conv1:5=0.5"])
    image = vgg.preprocess(photo).numpy()
    expected, value = whole_image_gradient(vgg, objective, image)
    tiled = TiledGradient(vgg, objective, tile_size=128, precision="float32", tile_batch=1)
    for offset in [(0, 0), (17, 33), (100, 5)]:  # the offset cannot matter with one tile
        gradient, tiled_value = tiled(tf.constant(image), StepParams(offset=offset))
        np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())
        assert tiled_value == pytest.approx(value, rel=1e-5)


def test_many_tiles_give_every_pixel_a_gradient_and_sum_to_the_whole_value(vgg, photo):
    objective = from_specs(vgg, ["block3_conv3"])
    image = vgg.preprocess(photo).numpy()
    _, value = whole_image_gradient(vgg, objective, image)
    tiled = TiledGradient(vgg, objective, tile_size=32, min_tile=32, precision="float32", tile_batch=1)
    gradient, tiled_value = tiled(tf.constant(image), StepParams(offset=(11, 23)))
    assert gradient.shape == image.shape
    magnitude = np.abs(gradient.numpy()).sum(axis=-1)
    assert (magnitude > 0).mean() > 0.99  # edge tiles included
    # tiles see less context than the whole image, so the sum is close, not equal
    assert tiled_value == pytest.approx(value, rel=0.25)


def test_octave_sizes_grow_by_the_scale_and_end_at_full_size():
    assert octave_sizes(300, 451, 4, 1.4, 32) == [(109, 164), (153, 230), (214, 322), (300, 451)]
    assert octave_sizes(300, 451, 1, 1.4, 32) == [(300, 451)]
    # octaves below the network's smallest input are left out
    assert octave_sizes(64, 96, 5, 2.0, 32) == [(32, 48), (64, 96)]


def test_a_whole_render_traces_once_across_octaves_and_tile_shapes(vgg, photo):
    objective = from_specs(vgg, ["block3_conv1"])
    tiled = TiledGradient(vgg, objective, tile_size=48, min_tile=32, precision="float32", tile_batch=1)
    render(vgg, photo, objective, octaves=3, octave_scale=1.3, steps=2, tile_size=48, seed=1, tiled=tiled)
    assert tiled.traces == 1


def test_the_final_octave_keeps_full_resolution_sharpness(vgg, photo):
    """With tiny steps the result is the original: the last octave starts from the full-size image,
    not from an enlarged small one (which would blur it)."""
    objective = from_specs(vgg, ["block3_conv1"])
    out = render(vgg, photo, objective, octaves=3, octave_scale=1.5, steps=1, step_size=1e-3, tile_size=128, seed=0)
    assert out.shape == photo.shape and out.dtype == np.float32
    assert np.abs(out - photo).max() < 0.5


def test_detail_from_small_octaves_is_carried_to_the_full_size(vgg, photo):
    """The final octave starts from the full-size original plus the detail dreamt at the smaller
    octave: its first objective value is already well above the original image's, where a loop that
    dropped the detail would start exactly at the original's value."""
    objective = from_specs(vgg, ["block3_conv3"])
    _, original_value = whole_image_gradient(vgg, objective, vgg.preprocess(photo).numpy())
    events = []
    render(
        vgg,
        photo,
        objective,
        octaves=2,
        octave_scale=1.5,
        steps=4,
        step_size=3,
        tile_size=128,
        seed=0,
        progress=events.append,
    )
    first_of_last = next(e for e in events if e.octave == 2 and e.step == 1)
    assert [e.size for e in events if e.step == 1] == [(43, 64), (64, 96)]
    assert first_of_last.value > 1.5 * original_value


def test_same_seed_same_bytes_other_seed_other_bytes(vgg, photo):
    objective = from_specs(vgg, ["block3_conv1"])
    kwargs = dict(octaves=2, steps=2, tile_size=48)
    a = render(vgg, photo, objective, seed=7, **kwargs)
    b = render(vgg, photo, objective, seed=7, **kwargs)
    c = render(vgg, photo, objective, seed=8, **kwargs)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()
