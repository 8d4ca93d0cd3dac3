"""Transforms: what moves the picture under the network at every step (lucid's jitter, scale and
rotation), so the patterns that grow are the network's, not those of one fixed pixel grid.

The render loop is given a list of transforms; each draws its parameters from the run's generator
once per step (same seed, same draws) and the tiled gradient applies them:

- `Jitter` shifts the picture by up to `pixels` in each direction. What moves in at an edge is the
  picture's own mirror image (never wrapped around), so the network never sees a seam; what moves
  out at the other edge sits that step out. Every tile, the whole picture's single tile included,
  sees a new alignment each step, at no extra cost.
- `AffineJitter` zooms and rotates each tile by a small random amount about its centre (mirror
  fill), inside the traced function; the gradient flows back through the resampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _shortest_segment(length: int, tile: int, min_size: int) -> int:
    """The shortest piece `tiles.tile_edges` can cut a line of `length` into."""
    count = -(-length // tile)
    return length if count <= 1 else min(min_size, length // count)


@dataclass(frozen=True)
class Jitter:
    """Shift the picture by up to `pixels` each way, each step."""

    pixels: int = 32

    def draw(self, rng, height: int, width: int, tiled) -> dict:
        """{"shift": (dy, dx)} for one step, each in -n..n: the picture moves by that much under
        the grid, mirrored in at one edge while as many rows or columns sit the step out at the
        other (so the network sees no more pixels than the picture has). n is kept under a quarter
        of the picture and under half the shortest tile the grid can cut, so the mirrored padding
        is always shorter than what it mirrors."""
        shortest = min(_shortest_segment(height, tiled.tile_size, tiled.min_tile),
                       _shortest_segment(width, tiled.tile_size, tiled.min_tile))
        n = min(self.pixels, min(height, width) // 4, (shortest - 1) // 2)
        if n <= 0:
            return {}
        dy, dx = (int(v) for v in rng.integers(-n, n + 1, size=2))
        return {"shift": (dy, dx)}


@dataclass(frozen=True)
class GridShift:
    """Lay the tile grid at a new random offset each step (when nothing else moves the picture
    under it: without it the tile borders would stay put for a whole octave and show as seams)."""

    def draw(self, rng, height: int, width: int, tiled) -> dict:
        return {"offset": tuple(int(o) for o in rng.integers(0, tiled.tile_size, size=2))}


@dataclass(frozen=True)
class AffineJitter:
    """Zoom each tile by a factor in [1 - scale, 1 + scale] and rotate it by up to `degrees`."""

    scale: float = 0.0
    degrees: float = 0.0

    @property
    def active(self) -> bool:
        return self.scale > 0 or self.degrees > 0

    def draw(self, rng, height: int = 0, width: int = 0, tiled=None) -> dict:
        """{"affine": (zoom factor, angle in radians)} for one step."""
        zoom = 1.0 + float(rng.uniform(-self.scale, self.scale)) if self.scale > 0 else 1.0
        angle = math.radians(float(rng.uniform(-self.degrees, self.degrees))) if self.degrees > 0 else 0.0
        return {"affine": (zoom, angle)}

    @staticmethod
    def apply(tiles, params):
        """tiles [B, h, w, 3] zoomed by params[0] and rotated by params[1] radians about their
        centre, mirror-filled (TensorFlow, differentiable in the tiles)."""
        import tensorflow as tf

        zoom, angle = params[0], params[1]
        shape = tf.shape(tiles)
        h, w = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
        cy, cx = (h - 1.0) / 2.0, (w - 1.0) / 2.0
        cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
        # output (x, y) -> input: R(-angle) / zoom about the centre
        a0, a1, b0, b1 = cos, -sin, sin, cos
        a2 = cx - a0 * cx - a1 * cy
        b2 = cy - b0 * cx - b1 * cy
        transform = tf.stack([a0, a1, a2, b0, b1, b2, 0.0, 0.0])[None]
        transform = tf.tile(transform, [shape[0], 1])
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=tiles, transforms=transform, output_shape=shape[1:3], fill_value=0.0,
            interpolation="BILINEAR", fill_mode="REFLECT")


@dataclass(frozen=True)
class Blur:
    """After every `every`-th step, blur the picture by a Gaussian of `sigma` pixels (mirror
    edges): a regulariser that keeps high-frequency noise from growing where nothing in the picture
    holds it back (a class painted from noise)."""

    sigma: float = 0.5
    every: int = 4

    def draw(self, rng, height: int, width: int, tiled) -> dict:
        return {}

    def after(self, image, step: int):
        """The picture after step `step` (0-based): blurred on every `every`-th step."""
        import numpy as np
        import tensorflow as tf

        if self.sigma <= 0 or (step + 1) % self.every:
            return image
        radius = max(1, int(np.ceil(3 * self.sigma)))
        x = np.arange(-radius, radius + 1, dtype=np.float32)
        k = np.exp(-0.5 * (x / self.sigma) ** 2)
        k /= k.sum()
        padded = tf.pad(image[None], [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
        rows = tf.constant(np.tile(k[:, None, None, None], (1, 1, 3, 1)))
        cols = tf.constant(np.tile(k[None, :, None, None], (1, 1, 3, 1)))
        out = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
        return tf.nn.depthwise_conv2d(out, cols, [1, 1, 1, 1], "VALID")[0]
