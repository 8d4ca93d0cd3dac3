"""Step rules: how a raw gradient becomes the change made to the picture.

A step rule has two halves. `tile_gradient` runs inside the traced tile function, on each tile's
gradient (it may only look at that tile): projecting onto luminance and the Laplacian-pyramid
normalisation live there. `scale` turns the whole picture's mean absolute gradient into the factor
that makes the mean change `step_size` RGB levels, so `--step-size` means the same whatever the
normalisation; the mask then weights the change per pixel, and the picture is clipped to its valid
range by the render loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The 5x5 binomial kernel of a Laplacian pyramid (outer product of 1 4 6 4 1, sums to 1).
_K1 = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32)
_K5 = np.outer(_K1, _K1) / np.float32(256.0)


def _kernel():
    import tensorflow as tf

    return tf.constant(_K5[:, :, None, None] * np.eye(3, dtype=np.float32)[None, None], tf.float32)


def laplacian_split(x, levels: int):
    """x [B, h, w, 3] as [coarsest, ..., finest] Laplacian-pyramid levels (their merge is x)."""
    import tensorflow as tf

    k = _kernel()
    bands = []
    for _ in range(levels - 1):
        low = tf.nn.conv2d(x, k, [1, 2, 2, 1], "SAME")
        up = tf.nn.conv2d_transpose(low, k * 4.0, tf.shape(x), [1, 2, 2, 1])
        bands.append(x - up)
        x = low
    bands.append(x)
    return bands[::-1]


def laplacian_merge(bands):
    """The inverse of `laplacian_split`."""
    import tensorflow as tf

    k = _kernel()
    x = bands[0]
    for band in bands[1:]:
        x = tf.nn.conv2d_transpose(x, k * 4.0, tf.shape(band), [1, 2, 2, 1]) + band
    return x


def laplacian_normalize(g, levels: int = 4):
    """Each pyramid level of each tile's gradient divided by its own RMS, then merged (as in
    Mordvintsev's TensorFlow DeepDream notebook): coarse and fine scales of the gradient get an
    equal say, so patterns grow evenly instead of as pixel-scale speckle."""
    import tensorflow as tf

    bands = laplacian_split(g, levels)
    bands = [b / tf.maximum(tf.sqrt(tf.reduce_mean(tf.square(b), axis=[1, 2, 3], keepdims=True)), 1e-10)
             for b in bands]
    return laplacian_merge(bands)


@dataclass(frozen=True)
class StepRule:
    """normalize: "mean" (the gradient as it is, scaled to the step) or "laplacian" (see
    `laplacian_normalize`); luminance: keep only the part of the gradient that changes
    brightness (equal in R, G and B), so the colours stay the input's; levels: pyramid levels."""

    normalize: str = "laplacian"
    luminance: bool = False
    levels: int = 4

    def tile_gradient(self, g):
        """The rule's per-tile part, in the traced function: g [B, h, w, 3] -> same shape."""
        import tensorflow as tf

        if self.luminance:
            g = tf.broadcast_to(tf.reduce_mean(g, axis=-1, keepdims=True), tf.shape(g))
        if self.normalize == "laplacian":
            g = laplacian_normalize(g, self.levels)
        return g

    @staticmethod
    def scale(step_size: float, magnitude: float, count: int) -> float:
        """The factor that makes a gradient of total absolute value `magnitude` over `count`
        values change each value by `step_size` on average."""
        return step_size / (magnitude / count + 1e-8)
