"""Random-shift tiled gradients: the gradient of an objective over an image of any size, in memory
bounded by the tile.

A step lays a grid of tiles over the picture (`grid.Grid`: which pieces, where, how much mirrored
padding; plain Python), takes each tile's gradient with respect to that tile alone, and stitches the
gradients back together. What a step does besides (where the grid lies, how the picture moves under
it, the tiles' zoom and turn) comes in one `transforms.StepParams`. Tiles never wrap around the
picture's edges, so no seam is ever fed to the network, and since the picture moves every step,
tile borders leave no trace. With a tile at least as large as the picture and no shift there is
one tile, and the result is exactly the whole picture's gradient.

The network may compute in a lower precision (bfloat16, float16) than the image: the tile is cast
to the compute dtype inside the traced function, the objective reduces in float32, and the gradient
comes back, is stitched and is applied in float32.
"""

from __future__ import annotations

from collections.abc import Sequence

from .grid import Grid, Tile, batches, gaps, power_of_two_within, row_bands
from .transforms import StepParams

#: No transform: the grid at offset (0, 0), nothing moved.
STILL = StepParams()


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


class TiledGradient:
    """The gradient of `objective` on `backbone`, taken tile by tile.

    One TensorFlow function serves every tile shape, padding, batch size and transform (its input
    shape is left open), so a whole render traces it once; `traces` counts the traces.

    tile_size: the tiles' side (see `grid.Grid`); min_tile: the shortest piece a line is cut into
        (default a quarter tile, at least the backbone's smallest input).
    precision: what the network computes in ("auto", "float32", "bfloat16", "float16"); `precision`
        then holds the one chosen.
    tile_batch: how many tiles of the same shape go through the network in one pass. Each tile's
        objective is still evaluated on that tile alone, so batching changes speed, not results.
    step_rule: its `tile_gradient` is applied to each tile's gradient inside the traced function
        (see `steps.StepRule`); None: the raw gradient.
    affine: whether steps may zoom and turn the tiles (`StepParams.zoom`, `angle`); False traces
        the function without that part, and such steps are refused.
    """

    def __init__(
        self,
        backbone,
        objective,
        tile_size: int,
        min_tile: int | None = None,
        *,
        precision: str,
        tile_batch: int,
        step_rule=None,
        affine: bool = True,
    ):
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
        # Tiles whose sides are multiples of the layers' stride pass through the network's halvings
        # unpadded (a piece of 385 rows pools to 193, 97 and 49 rows: the work of 392 at stride 8).
        self.align = power_of_two_within(max(backbone.layer(name).stride for name in self._layers))
        self.traces = 0
        spec = [
            tf.TensorSpec([None, None, None, 3], tf.float32),
            tf.TensorSpec([None], tf.float32),
            tf.TensorSpec([4], tf.int32),
            tf.TensorSpec([2], tf.float32),
        ]
        # Traced as written, without AutoGraph: its branches are Python (settings) or explicit
        # (tf.cond, tf.map_fn), and converting the objective's and step rule's code took ~0.45 s
        # of every render's start-up.
        self._tile_gradient = tf.function(self._trace_tile_gradient, input_signature=spec, autograph=False)

    def grid(self, height: int, width: int) -> Grid:
        """The tile grid of a picture of this size."""
        return Grid(int(height), int(width), self.tile_size, self.min_tile)

    def _trace_tile_gradient(self, tiles, weights, pads, affine):
        """(gradient of sum_i weights[i] * objective(tile i) w.r.t. tiles, that sum) for a batch
        of tiles [B, h, w, 3] (float32, model space), each extended by `pads` (top, bottom, left,
        right) mirrored pixels and zoomed and rotated by `affine` (zoom, radians; (1, 0): as it is)."""
        import tensorflow as tf

        from .transforms import AffineJitter

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(tiles)
            x = tf.pad(tiles, [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], mode="REFLECT")
            if self.affine:  # traced only where tiles may be zoomed or turned (a lighter trace elsewhere)
                x = tf.cond(
                    tf.reduce_any(affine != tf.constant([1.0, 0.0])), lambda: AffineJitter.apply(x, affine), lambda: x
                )
            outputs = self._model(tf.cast(x, self.precision), training=False)
            if len(self._layers) == 1:
                outputs = [outputs]
            features = dict(zip(self._layers, outputs, strict=False))
            if self.tile_batch == 1:
                value = weights[0] * tf.cast(self.objective(features), tf.float32)
            else:  # each tile's objective on its own features: objectives need not be separable
                values = tf.map_fn(
                    lambda f: tf.cast(self.objective({k: v[None] for k, v in f.items()}), tf.float32),
                    features,
                    fn_output_signature=tf.float32,
                )
                value = tf.reduce_sum(weights * values)
        gradient = tf.cast(tape.gradient(value, tiles), tf.float32)
        if self.step_rule is not None:
            gradient = self.step_rule.tile_gradient(gradient)
        return gradient, value

    def _tile_gradients(self, image, params: StepParams):
        """The grid's tiles, each tile's gradient {tile: [h, w, 3]}, the objective's value and the
        sum of the gradient's absolute values (computed per tile, so no image-sized temporary)."""
        import tensorflow as tf

        grid = self.grid(image.shape[0], image.shape[1])
        tiles = grid.tiles(params.offset, params.shift, min(self.align, params.align))
        area = float(grid.height * grid.width)
        if not self.affine and params.affine != STILL.affine:
            raise ValueError("this tiled gradient was made without affine=True: it cannot zoom or turn tiles")
        affine = tf.constant(params.affine, tf.float32)
        pieces, value, magnitude = {}, 0.0, 0.0
        for batch in batches(tiles, self.tile_batch):
            if grid.whole(tiles):
                stack, weights = image[None], tf.ones([1], tf.float32)
            else:
                cut = [image[t.y0 : t.y1, t.x0 : t.x1] for t in batch]
                stack = tf.expand_dims(cut[0], 0) if len(batch) == 1 else tf.stack(cut)  # one copy each
                weights = tf.constant([t.area / area for t in batch], tf.float32)
            gradients, batch_value = self._tile_gradient(stack, weights, tf.constant(batch[0].pads, tf.int32), affine)
            for i, t in enumerate(batch):
                pieces[t] = gradients[i]
            value = value + batch_value
            magnitude = magnitude + tf.reduce_sum(tf.abs(gradients))
            del stack, gradients
        return grid, tiles, pieces, value, magnitude

    @staticmethod
    def _row_bands(tiles: list[Tile], pieces: dict, width: int):
        """(y0, the row band's gradient [h, width, 3]) for each row of tiles, top to bottom (columns
        no tile covers this step are zero); each row's tiles are dropped from `pieces` once joined."""
        import tensorflow as tf

        for y0, _, row in row_bands(tiles):
            band = tf.concat([pieces.pop(t) for t in row], axis=1) if len(row) > 1 else pieces.pop(row[0])
            x0, x1 = row[0].x0, row[-1].x1
            if x0 > 0 or x1 < width:
                band = tf.pad(band, [[0, 0], [x0, width - x1], [0, 0]])
            yield y0, band
            del row, band

    def __call__(self, image, params: StepParams = STILL):
        """(gradient, objective value) of a model-space image [H, W, 3] under `params` (the grid's
        offset, the picture's shift, the tiles' zoom and turn; what sits the step out has
        gradient 0).

        Each tile's objective is weighted by its share of the image's area, so the tiles' values sum
        to the whole image's value when the objective is a mean over positions.
        """
        import tensorflow as tf

        image = tf.convert_to_tensor(image, tf.float32)
        grid, tiles, pieces, value, _ = self._tile_gradients(image, params)
        height, width = grid.height, grid.width
        if grid.whole(tiles):  # its gradient, with nothing stitched
            return pieces[tiles[0]], float(value)
        gradient = empty_image(height, width)
        covered = []
        for y0, band in self._row_bands(tiles, pieces, width):
            gradient = write_rows(gradient, y0, band)
            covered.append((y0, y0 + int(band.shape[0])))
        for y0, y1 in gaps(covered, height):
            gradient = write_rows(gradient, y0, tf.zeros([y1 - y0, width * 3]))
        return tf.reshape(gradient, [height, width, 3]), float(value)

    def ascent_step(self, image, params: StepParams, *, step, low, high, mask=None):
        """One gradient-ascent step under `params`: (clip(image + s * mask * g, low, high), objective
        value), where g is the tiled gradient (after the step rule's per-tile part) and s makes the
        mean |s * g| equal `step` (model-space units). `mask` [H, W, 1] (or None) weights the change
        per pixel. With more than one tile the image's own memory is updated in place (row band by
        row band, so no image-sized gradient or temporary is held): pass an image nothing else
        reads, and use the returned tensor."""
        import tensorflow as tf

        from .steps import StepRule

        grid, tiles, pieces, value, magnitude = self._tile_gradients(image, params)
        height, width = grid.height, grid.width
        scale = StepRule.scale(step, magnitude, 3 * sum(t.area for t in tiles))
        if grid.whole(tiles):
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
