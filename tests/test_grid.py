"""The tile grid's geometry and the transforms' step parameters: plain Python, no network."""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from deepdream.render import grid as grid_module
from deepdream.render.grid import Grid, Tile, batches, gaps, row_bands
from deepdream.render.transforms import BLUR_EVERY, AffineJitter, Blur, GridShift, Jitter, StepParams, step_params

SIZES = [
    (64, 96, 512, 32),
    (300, 451, 128, 32),
    (700, 130, 256, 64),
    (33, 40, 32, 32),
    (1024, 1024, 512, 128),
    (788, 788, 512, 128),
    (606, 1000, 512, 128),
    (129, 70, 64, 32),
]


def test_the_grid_module_imports_no_tensorflow():
    tree = ast.parse(Path(grid_module.__file__).read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {"__future__", "math", "dataclasses", "typing"}, imported


@pytest.mark.parametrize("height,width,tile,min_tile", SIZES)
def test_pieces_cover_every_pixel_exactly_once_within_bounds(height, width, tile, min_tile):
    grid = Grid(height, width, tile, min_tile)
    rng = np.random.default_rng(height * width)
    n = grid.max_shift(32)
    most = math.ceil(height / tile) * math.ceil(width / tile)
    for _ in range(25):
        offset = tuple(int(o) for o in rng.integers(0, tile, size=2))
        shift = tuple(int(s) for s in rng.integers(-n, n + 1, size=2))
        tiles = grid.tiles(offset, shift)
        assert 1 <= len(tiles) <= most  # never more pieces than ceil(H / tile) * ceil(W / tile)
        cover = np.zeros((height, width), np.int32)
        for t in tiles:
            assert 0 <= t.y0 < t.y1 <= height and 0 <= t.x0 < t.x1 <= width
            top, bottom, left, right = t.pads
            assert min(t.pads) >= 0
            assert max(top, bottom) < t.y1 - t.y0 and max(left, right) < t.x1 - t.x0  # a valid mirror
            assert max(t.shape) <= max(tile + min_tile - 1, max(height, width) if max(height, width) <= tile else 0)
            cover[t.y0 : t.y1, t.x0 : t.x1] += 1
        assert cover.max() == 1  # no pixel twice
        dy, dx = shift  # the |dy| rows and |dx| columns at the far edge sit the step out
        rows = slice(0, height - dy) if dy >= 0 else slice(-dy, height)
        cols = slice(0, width - dx) if dx >= 0 else slice(-dx, width)
        assert cover[rows, cols].min() == 1 and cover.sum() == (height - abs(dy)) * (width - abs(dx))
        assert sum(t.shape[0] * t.shape[1] for t in tiles) == height * width  # no extra pixels fed


def test_without_a_shift_the_pieces_are_the_cuts_of_the_lines():
    grid = Grid(1024, 788, 512, 128)
    tiles = grid.tiles((127, 0))
    assert [(t.y0, t.y1) for t in tiles[::2]] == [(0, 512), (512, 1024)]
    assert [(t.x0, t.x1) for t in tiles[:2]] == [(0, 394 - 245), (394 - 245, 788)]  # moved by all its room
    assert all(t.pads == (0, 0, 0, 0) for t in tiles)
    assert not grid.whole(tiles)
    small = Grid(200, 300, 512, 128)
    assert small.tiles((5, 9)) == [Tile(0, 200, 0, 300)] and small.whole(small.tiles((5, 9)))
    moved = small.tiles((0, 0), (3, -4))  # one tile, moved: mirrored in at the top and the right
    assert moved == [Tile(0, 197, 4, 300, (3, 0, 0, 4))] and not small.whole(moved)


def test_the_largest_shift_keeps_mirrors_shorter_than_what_they_mirror():
    assert Grid(1024, 1024, 512, 128).max_shift(32) == 32
    assert Grid(64, 96, 512, 32).max_shift(32) == 16  # a quarter of the picture
    assert Grid(33, 40, 32, 32).max_shift(32) == 7  # under half the shortest piece (16 rows)
    assert Grid(1024, 1024, 512, 128).max_shift(0) == 0


def test_batches_group_equal_shapes_and_bands_follow_the_rows():
    tiles = Grid(300, 451, 128, 32).tiles((10, 20), (5, -7))
    for batch in batches(tiles, 2):
        assert 1 <= len(batch) <= 2
        assert len({(t.y1 - t.y0, t.x1 - t.x0, t.pads) for t in batch}) == 1
    assert sorted(t for b in batches(tiles, 2) for t in b) == sorted(tiles)
    bands = row_bands(tiles)
    assert [row for _, _, row in bands] == [[t for t in tiles if (t.y0, t.y1) == (y0, y1)] for y0, y1, _ in bands]
    assert [y0 for y0, _, _ in bands] == sorted({t.y0 for t in tiles})
    assert gaps([(y0, y1) for y0, y1, _ in bands], 300) == [(295, 300)]  # the 5 rows sitting out
    assert gaps([(0, 10), (20, 30)], 40) == [(10, 20), (30, 40)]
    assert gaps([(0, 40)], 40) == [] and gaps([], 3) == [(0, 3)]


# ---------------------------------------------------------------------------- step parameters


def test_each_transform_sets_only_its_own_typed_parameters():
    grid = Grid(300, 451, 128, 32)
    start = StepParams(offset=(7, 9))
    rng = np.random.default_rng(0)
    jittered = Jitter(32).params(start, rng, grid, 0)
    assert dataclasses.replace(jittered, shift=(0, 0), align=1) == start and jittered.shift != (0, 0)
    assert all(abs(s) <= grid.max_shift(32) for s in jittered.shift)
    assert grid.max_shift(32) == 15 and jittered.align == 16  # cuts as coarse as the shift covers
    moved = GridShift().params(start, rng, grid, 0)
    assert dataclasses.replace(moved, offset=start.offset) == start
    assert all(0 <= o < grid.tile for o in moved.offset)
    turned = AffineJitter(0.05, 5.0).params(start, rng, grid, 0)
    assert 0.95 <= turned.zoom <= 1.05 and 0 < abs(turned.angle) <= math.radians(5.0)
    assert turned.affine == (turned.zoom, turned.angle)
    assert dataclasses.replace(turned, zoom=1.0, angle=0.0) == start
    with pytest.raises(dataclasses.FrozenInstanceError):
        start.shift = (1, 1)


def test_step_params_fold_the_transforms_in_order_and_draw_alike_for_a_seed():
    grid = Grid(256, 170, 96, 32)
    transforms = [Jitter(32), AffineJitter(0.0, 5.0), Blur(0.8)]

    def run(seed):
        rng = np.random.default_rng(seed)
        return [step_params(transforms, StepParams(offset=(3, 4)), rng, grid, s) for s in range(8)]

    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert all(p.offset == (3, 4) and p.zoom == 1.0 and p.angle != 0.0 for p in a)
    assert [p.blur for p in a] == [0.8 if (s + 1) % BLUR_EVERY == 0 else 0.0 for s in range(8)]
    assert step_params([], StepParams(offset=(3, 4)), None, grid, 0) == StepParams(offset=(3, 4))


def test_transforms_that_draw_nothing_leave_the_generator_alone():
    grid = Grid(64, 64, 512, 32)
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert Blur(0.5).params(StepParams(), rng, grid, 3) == StepParams(blur=0.5)
    assert AffineJitter(0.0, 0.0).params(StepParams(), rng, grid, 0) == StepParams()
    assert Jitter(32).params(StepParams(), rng, Grid(3, 3, 512, 3), 0) == StepParams()  # too small to move
    assert rng.bit_generator.state == state
