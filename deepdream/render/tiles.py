"""Random-shift tiled gradients: the gradient of an objective over an image of any size, in memory
bounded by the tile.

A step lays a grid of tiles over the picture, takes each tile's gradient with respect to that tile
alone, and stitches the gradients back together. The grid has as few tiles as cover the picture,
with their borders moved by a random amount; under the grid the picture moves from step to step
(the jitter, `transforms.Jitter`: its mirror image comes in at one edge while as many rows sit the
step out at the other), so its content moves under the network, small pictures included. Tiles never wrap around the
picture's edges, so no seam is ever fed to the network, and since the picture moves every step,
tile borders leave no trace. With a tile at least as large as the picture and no jitter there is
one tile, and the result is exactly the whole picture's gradient.

The network may compute in a lower precision (bfloat16, float16) than the image: the tile is cast
to the compute dtype inside the traced function, the objective reduces in float32, and the gradient
comes back, is stitched and is applied in float32.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


def tile_edges(length: int, tile: int, offset: int, min_size: int, count: int | None = None) -> list[tuple[int, int]]:
    """Split [0, length) into `count` segments (default: as few as fit, ceil(length / tile)) of
    nearly equal length, all cuts moved together by an amount drawn from `offset` (0 .. tile - 1),
    as far as every segment stays between min_size and tile + min_size - 1 long.

    The fewest tiles is what costs least (a grid laid at any offset would cut most lines into one
    more, smaller piece); moving every cut each step keeps tile borders from settling anywhere."""
    count = count or -(-length // tile)
    if count <= 1:
        return [(0, length)]
    even = length / count
    room = int(max(0, min(tile + min_size - 1 - np.ceil(even), np.floor(even) - min_size)))
    move = offset % (2 * room + 1) - room if room else 0
    cuts = [0] + [int(round(k * even)) + move for k in range(1, count)] + [length]
    return list(zip(cuts[:-1], cuts[1:]))


class Tile(NamedTuple):
    """One tile of a step's grid: the rows y0:y1 and columns x0:x1 of the picture it covers (its
    core; the cores of a grid partition the picture), and how many rows and columns of mirrored
    picture extend it where it meets the picture's edge (`pads`: top, bottom, left, right)."""

    y0: int
    y1: int
    x0: int
    x1: int
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)


def _segments(length: int, tile: int, offset: int, min_size: int, shift: int):
    """(core start, core end, pad before, pad after) along one axis, the picture moved by `shift`
    pixels (positive: toward the end). The moved line keeps the picture's length: `shift` mirrored
    pixels come in at one end and as many sit this step out at the other, so jitter costs no extra
    pixels; the line is cut by `tile_edges` into as many pieces as the picture needs."""
    out = []
    for v0, v1 in tile_edges(length, tile, offset, min_size):
        p0, p1 = v0 - shift, v1 - shift  # in picture coordinates
        core0, core1 = max(0, p0), min(length, p1)
        if core1 > core0:
            out.append((core0, core1, max(0, -p0), max(0, p1 - length)))
    return out


def tile_grid(height: int, width: int, tile: int, offset: tuple[int, int], min_size: int,
              shift: tuple[int, int] = (0, 0)) -> list[Tile]:
    """The tiles of the grid at offset, row by row, over the picture moved by `shift` = (dy, dx)
    (see `Jitter`): their cores cover the picture but for the |dy| rows and |dx| columns that sit
    this step out."""
    dy, dx = shift
    rows = _segments(height, tile, offset[0], min_size, dy)
    cols = _segments(width, tile, offset[1], min_size, dx)
    return [Tile(y0, y1, x0, x1, (pt, pb, pl, pr)) for y0, y1, pt, pb in rows for x0, x1, pl, pr in cols]


def batches(tiles, size: int):
    """Tiles grouped by shape and padding (first seen first), in chunks of at most `size`."""
    groups: dict[tuple, list] = {}
    for t in tiles:
        groups.setdefault((t.y1 - t.y0, t.x1 - t.x0, t.pads), []).append(t)
    return [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]


def empty_image(height: int, width: int):
    """An uninitialised float32 [height, width * 3] buffer, to be filled row band by row band
    with `write_rows` (every row must be written)."""
    import tensorflow as tf

    return tf.raw_ops.Empty(shape=[height, width * 3], dtype=tf.float32)


def write_rows(buffer, y0: int, values):
    """Write values [h, W, 3] (or [h, W * 3]) into rows y0 .. y0 + h of a [H, W * 3] buffer, in place.

    `buffer` must be a tensor nothing else reads (made by `empty_image`, or the caller's own): the
    update reuses its memory, so assembling an image costs one image-sized buffer, not two.
    """
    import tensorflow as tf

    h = int(values.shape[0])
    return tf.raw_ops.InplaceUpdate(x=buffer, i=tf.range(y0, y0 + h), v=tf.reshape(values, [h, -1]))


def _whole(t: Tile, height: int, width: int) -> bool:
    return (t.y0, t.y1, t.x0, t.x1) == (0, height, 0, width)


def _gaps(covered: set, length: int) -> list[tuple[int, int]]:
    """The runs of [0, length) not in `covered`."""
    gaps, start = [], None
    for y in range(length + 1):
        if y < length and y not in covered:
            start = y if start is None else start
        elif start is not None:
            gaps.append((start, y))
            start = None
    return gaps


class TiledGradient:
    """The gradient of `objective` on `backbone`, taken tile by tile.

    One TensorFlow function serves every tile shape, padding and batch size (its input shape is
    left open), so a whole render traces it once; `traces` counts the traces.

    precision: what the network computes in ("auto", "float32", "bfloat16", "float16"); `precision`
        then holds the one chosen.
    tile_batch: how many tiles of the same shape go through the network in one pass. Each tile's
        objective is still evaluated on that tile alone, so batching changes speed, not results.
    step_rule: its `tile_gradient` is applied to each tile's gradient inside the traced function
        (see `steps.StepRule`); None: the raw gradient.
    affine: whether tiles are zoomed and rotated by `AffineJitter` parameters given per call.
    """

    def __init__(self, backbone, objective, tile_size: int, min_tile: int | None = None, *,
                 precision: str = "float32", tile_batch: int = 1, step_rule=None, affine: bool = False):
        import tensorflow as tf

        from ..backbones.base import resolve_precision

        self.backbone = backbone
        self.objective = objective
        self.tile_size = int(tile_size)
        self.min_tile = min(self.tile_size, max(backbone.min_size, min_tile or self.tile_size // 4))
        self.tile_batch = max(1, int(tile_batch))
        self.precision = resolve_precision(precision, backbone)
        self.step_rule = step_rule
        self.affine = bool(affine)
        self._layers: Sequence[str] = objective.layers
        self._model = backbone.feature_model(self._layers, self.precision)
        self.traces = 0
        spec = [tf.TensorSpec([None, None, None, 3], tf.float32), tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([4], tf.int32), tf.TensorSpec([2], tf.float32)]
        self._tile_gradient = tf.function(self._trace_tile_gradient, input_signature=spec)

    def _trace_tile_gradient(self, tiles, weights, pads, affine):
        """(gradient of sum_i weights[i] * objective(tile i) w.r.t. tiles, that sum) for a batch
        of tiles [B, h, w, 3] (float32, model space), each extended by `pads` (top, bottom, left,
        right) mirrored pixels and, with `affine`, zoomed and rotated by `affine` (zoom, radians)."""
        import tensorflow as tf

        from .transforms import AffineJitter

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(tiles)
            x = tf.cond(tf.reduce_any(pads > 0),  # most tiles touch no edge: no copy for them
                        lambda: tf.pad(tiles, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
                                       mode="REFLECT"),
                        lambda: tiles)
            if self.affine:
                x = AffineJitter.apply(x, affine)
            outputs = self._model(tf.cast(x, self.precision), training=False)
            if len(self._layers) == 1:
                outputs = [outputs]
            features = dict(zip(self._layers, outputs))
            if self.tile_batch == 1:
                value = weights[0] * tf.cast(self.objective(features), tf.float32)
            else:  # each tile's objective on its own features: objectives need not be separable
                values = tf.map_fn(
                    lambda f: tf.cast(self.objective({k: v[None] for k, v in f.items()}), tf.float32),
                    features, fn_output_signature=tf.float32)
                value = tf.reduce_sum(weights * values)
        gradient = tf.cast(tape.gradient(value, tiles), tf.float32)
        if self.step_rule is not None:
            gradient = self.step_rule.tile_gradient(gradient)
        return gradient, value

    def _tile_gradients(self, image, offset, shift=(0, 0), affine=(1.0, 0.0)):
        """The grid's tiles, each tile's gradient {tile: [h, w, 3]}, the objective's value and the
        sum of the gradient's absolute values (computed per tile, so no image-sized temporary)."""
        import tensorflow as tf

        height, width = int(image.shape[0]), int(image.shape[1])
        tiles = tile_grid(height, width, self.tile_size, offset, self.min_tile, shift)
        area = float(height * width)
        affine = tf.constant(affine, tf.float32)
        pieces, value, magnitude = {}, 0.0, 0.0
        for batch in batches(tiles, self.tile_batch):
            if len(tiles) == 1 and _whole(tiles[0], height, width):
                stack, weights = image[None], tf.ones([1], tf.float32)
            else:
                stack = tf.stack([image[t.y0:t.y1, t.x0:t.x1] for t in batch])
                weights = tf.constant([(t.y1 - t.y0) * (t.x1 - t.x0) / area for t in batch], tf.float32)
            gradients, batch_value = self._tile_gradient(stack, weights, tf.constant(batch[0].pads, tf.int32), affine)
            for i, t in enumerate(batch):
                pieces[t] = gradients[i]
            value = value + batch_value
            magnitude = magnitude + tf.reduce_sum(tf.abs(gradients))
            del stack, gradients
        return tiles, pieces, value, magnitude

    @staticmethod
    def _row_bands(tiles, pieces, width: int):
        """(y0, the row band's gradient [h, width, 3]) for each row of tiles, top to bottom (columns
        no tile covers this step are zero); each row's tiles are dropped from `pieces` once joined."""
        import tensorflow as tf

        for y0, y1 in dict.fromkeys((t.y0, t.y1) for t in tiles):
            row = [t for t in tiles if (t.y0, t.y1) == (y0, y1)]
            band = tf.concat([pieces.pop(t) for t in row], axis=1) if len(row) > 1 else pieces.pop(row[0])
            x0, x1 = row[0].x0, row[-1].x1
            if x0 > 0 or x1 < width:
                band = tf.pad(band, [[0, 0], [x0, width - x1], [0, 0]])
            yield y0, band
            del row, band

    def __call__(self, image, offset: tuple[int, int] = (0, 0), shift=(0, 0), affine=(1.0, 0.0)):
        """(gradient, objective value) of a model-space image [H, W, 3]; the grid starts at offset
        over the picture moved by `shift` (see `tile_grid`; what sits the step out has gradient 0).

        Each tile's objective is weighted by its share of the image's area, so the tiles' values sum
        to the whole image's value when the objective is a mean over positions.
        """
        import tensorflow as tf

        image = tf.convert_to_tensor(image, tf.float32)
        height, width = int(image.shape[0]), int(image.shape[1])
        tiles, pieces, value, _ = self._tile_gradients(image, offset, shift, affine)
        if len(tiles) == 1 and _whole(tiles[0], height, width):  # its gradient, with nothing stitched
            return pieces[tiles[0]], float(value)
        gradient = empty_image(height, width)
        covered = set()
        for y0, band in self._row_bands(tiles, pieces, width):
            gradient = write_rows(gradient, y0, band)
            covered.update(range(y0, y0 + int(band.shape[0])))
        for y0, y1 in _gaps(covered, height):
            gradient = write_rows(gradient, y0, tf.zeros([y1 - y0, width * 3]))
        return tf.reshape(gradient, [height, width, 3]), float(value)

    def ascent_step(self, image, offset=(0, 0), step=1.0, low=None, high=None, shift=(0, 0), affine=(1.0, 0.0),
                    mask=None):
        """One gradient-ascent step: (clip(image + s * mask * g, low, high), objective value), where
        g is the tiled gradient at offset (after the step rule's per-tile part) and s makes the mean
        |s * g| equal `step` (model-space units). `mask` [H, W, 1] (or None) weights the change per
        pixel. With more than one tile the image's own memory is updated in place (row band by row
        band, so no image-sized gradient or temporary is held): pass an image nothing else reads,
        and use the returned tensor."""
        import tensorflow as tf

        from .steps import StepRule

        height, width = int(image.shape[0]), int(image.shape[1])
        tiles, pieces, value, magnitude = self._tile_gradients(image, offset, shift, affine)
        scale = StepRule.scale(step, magnitude, 3 * sum((t.y1 - t.y0) * (t.x1 - t.x0) for t in tiles))
        if len(tiles) == 1 and _whole(tiles[0], height, width):
            delta = scale * pieces[tiles[0]]
            if mask is not None:
                delta = delta * mask
            return tf.clip_by_value(image + delta, low, high), float(value)
        flat = tf.reshape(image, [height, width * 3])
        for y0, band in self._row_bands(tiles, pieces, width):
            y1 = y0 + int(band.shape[0])
            delta = scale * band
            if mask is not None:
                delta = delta * mask[y0:y1]
            flat = write_rows(flat, y0, tf.clip_by_value(image[y0:y1] + delta, low, high))
        return tf.reshape(flat, [height, width, 3]), float(value)
