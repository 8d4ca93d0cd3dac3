"""Random-shift tiled gradients: the gradient of an objective over an image of any size, in memory
bounded by the tile.

Each step lays a grid of tiles over the image at a random offset (the jitter), takes each tile's
gradient with respect to that tile alone, and stitches the gradients back together. Tiles never wrap
around the image's edges, so no seam is ever fed to the network, and since the grid moves every step,
tile borders leave no trace. With a tile at least as large as the image there is one tile, and the
result is exactly the whole image's gradient.
"""

from __future__ import annotations

from typing import Sequence


def tile_edges(length: int, tile: int, offset: int, min_size: int) -> list[tuple[int, int]]:
    """Split [0, length) into segments at offset, offset + tile, ...; segments shorter than min_size
    (at either end) are merged into their neighbour, so every segment is at least min_size long
    (or the whole length) and at most tile + min_size - 1."""
    if length <= tile:
        return [(0, length)]
    cuts = [0] + list(range(offset % tile, length, tile)) + [length]
    cuts = sorted(set(cuts))
    if len(cuts) > 2 and cuts[1] - cuts[0] < min_size:
        del cuts[1]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < min_size:
        del cuts[-2]
    return list(zip(cuts[:-1], cuts[1:]))


class TiledGradient:
    """The gradient of `objective` on `backbone`, taken tile by tile.

    One TensorFlow function serves every tile shape (its input shape is left open), so a whole
    render traces it once; `traces` counts the traces.
    """

    def __init__(self, backbone, objective, tile_size: int, min_tile: int | None = None):
        import tensorflow as tf

        self.backbone = backbone
        self.objective = objective
        self.tile_size = int(tile_size)
        self.min_tile = min(self.tile_size, max(backbone.min_size, min_tile or self.tile_size // 4))
        self._layers: Sequence[str] = objective.layers
        self._model = backbone.feature_model(self._layers)
        self.traces = 0
        spec = [tf.TensorSpec([None, None, 3], tf.float32), tf.TensorSpec([], tf.float32)]
        self._tile_gradient = tf.function(self._trace_tile_gradient, input_signature=spec)

    def _trace_tile_gradient(self, tile, weight):
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(tile)
            outputs = self._model(tile[None], training=False)
            if len(self._layers) == 1:
                outputs = [outputs]
            value = weight * self.objective(dict(zip(self._layers, outputs)))
        return tape.gradient(value, tile), value

    def __call__(self, image, offset: tuple[int, int] = (0, 0)):
        """(gradient, objective value) of a model-space image [H, W, 3]; the grid starts at offset.

        Each tile's objective is weighted by its share of the image's area, so the tiles' values sum
        to the whole image's value when the objective is a mean over positions.
        """
        import tensorflow as tf

        height, width = int(image.shape[0]), int(image.shape[1])
        rows = tile_edges(height, self.tile_size, offset[0], self.min_tile)
        cols = tile_edges(width, self.tile_size, offset[1], self.min_tile)
        area = float(height * width)
        gradient_rows, value = [], 0.0
        for y0, y1 in rows:
            row = []
            for x0, x1 in cols:
                weight = tf.constant((y1 - y0) * (x1 - x0) / area, tf.float32)
                gradient, tile_value = self._tile_gradient(image[y0:y1, x0:x1], weight)
                row.append(gradient)
                value = value + tile_value
            gradient_rows.append(row[0] if len(row) == 1 else tf.concat(row, axis=1))
        gradient = gradient_rows[0] if len(gradient_rows) == 1 else tf.concat(gradient_rows, axis=0)
        return gradient, float(value)
