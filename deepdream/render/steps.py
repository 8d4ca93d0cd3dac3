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

#: The 4x4 binomial kernel of the pyramid (outer product of 1 3 3 1, sums to 1). An even kernel
#: centres each coarse pixel between two fine ones, as the bilinear enlargement assumes.
_K1 = np.array([1.0, 3.0, 3.0, 1.0], np.float32)
_K4 = np.outer(_K1, _K1) / np.float32(64.0)

#: Pyramid levels of the Laplacian normalisation (not a setting: the render loop passes it).
LAPLACIAN_LEVELS = 4


def _kernel():
    import tensorflow as tf

    return tf.constant(_K4[:, :, None, None] * np.eye(3, dtype=np.float32)[None, None], tf.float32)


def _down(x):
    """Blur with the binomial kernel and halve (mirror-padded, so tile borders make no edges)."""
    import tensorflow as tf

    shape = tf.shape(x)
    x = tf.pad(x, [[0, 0], [1, 1 + shape[1] % 2], [1, 1 + shape[2] % 2], [0, 0]], mode="REFLECT")
    return tf.nn.conv2d(x, _kernel(), [1, 2, 2, 1], "VALID")  # ceil(h / 2) x ceil(w / 2)


def _up(x, like):
    """Enlarge x to like's height and width (bilinear: no dark border)."""
    import tensorflow as tf

    return tf.image.resize(x, tf.shape(like)[1:3], method="bilinear")


def laplacian_split(x, levels: int):
    """x [B, h, w, 3] as [coarsest, ..., finest] Laplacian-pyramid levels (their merge is x)."""
    bands = []
    for _ in range(levels - 1):
        low = _down(x)
        bands.append(x - _up(low, x))
        x = low
    bands.append(x)
    return bands[::-1]


def laplacian_merge(bands):
    """The inverse of `laplacian_split`."""
    x = bands[0]
    for band in bands[1:]:
        x = _up(x, band) + band
    return x


def laplacian_normalize(g, levels: int):
    """Each pyramid level of each tile's gradient divided by its own RMS, then merged (as in
    Mordvintsev's TensorFlow DeepDream notebook): coarse and fine scales of the gradient get an
    equal say, so patterns grow evenly instead of as pixel-scale speckle."""
    import tensorflow as tf

    bands = laplacian_split(g, levels)
    bands = [b / tf.maximum(tf.sqrt(tf.reduce_mean(tf.square(b), axis=[1, 2, 3], keepdims=True)), 1e-10) for b in bands]
    return laplacian_merge(bands)


@dataclass(frozen=True)
class StepRule:
    """normalize: "mean" (the gradient as it is, scaled to the step) or "laplacian" (see
    `laplacian_normalize`); chroma: how much of the gradient's colour part is kept (the part
    that is not equal in R, G and B): 1 all of it, 0 none, so the step changes brightness only
    and the colours stay the input's; levels: pyramid levels (`LAPLACIAN_LEVELS`). No defaults: the
    settings own them."""

    normalize: str
    chroma: float
    levels: int

    def tile_gradient(self, g):
        """The rule's per-tile part, in the traced function: g [B, h, w, 3] -> same shape."""
        import tensorflow as tf

        if not isinstance(self.chroma, (int, float)) or self.chroma != 1.0:  # or a tf.Variable (`Knobs`)
            grey = tf.reduce_mean(g, axis=-1, keepdims=True)
            g = grey + self.chroma * (g - grey)
        if self.normalize == "laplacian":
            g = laplacian_normalize(g, self.levels)
        return g

    @staticmethod
    def scale(step_size: float, magnitude: float, count: int) -> float:
        """The factor that makes a gradient of total absolute value `magnitude` over `count`
        values change each value by `step_size` on average."""
        return step_size / (magnitude / count + 1e-8)
