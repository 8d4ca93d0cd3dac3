"""Transforms: what moves the picture under the network at every step (lucid's jitter, scale and
rotation), so the patterns that grow are the network's, not those of one fixed pixel grid.

One protocol: a transform is given the step's parameters so far (`StepParams`, typed), the run's
generator, the grid of this octave and the step's number, and returns the parameters with its own
part set (`Transform.params`). The render loop folds its transforms over the octave's starting
parameters once per step (same seed, same draws) and hands the result to the tiled gradient and the
after-step blur; it knows no transform's insides.

- `Jitter` shifts the picture by up to `pixels` in each direction. What moves in at an edge is the
  picture's own mirror image (never wrapped around), so the network never sees a seam; what moves
  out at the other edge sits that step out. Every tile, the whole picture's single tile included,
  sees a new alignment each step, at no extra cost.
- `GridShift` lays the tile grid at a new random offset each step instead (no jitter).
- `AffineJitter` zooms and rotates each tile by a small random amount about its centre (mirror
  fill), inside the traced function; the gradient flows back through the resampling.
- `Blur` blurs the picture after every `BLUR_EVERY`-th step.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Protocol

from .grid import Grid

#: `Blur` blurs after every this many steps (see the settings' `blur`).
BLUR_EVERY = 4


@dataclass(frozen=True)
class StepParams:
    """What one step does besides taking the gradient; the defaults do nothing.

    offset: where the tile grid's borders lie (see `grid.tile_edges`), per axis (rows, columns).
    shift: (dy, dx) pixels the picture moves under the grid (mirrored in at one edge, sitting the
        step out at the other).
    zoom, angle: each tile zoomed by `zoom` and turned by `angle` radians about its centre.
    blur: sigma in pixels of a Gaussian blur of the picture after the step (0: none).
    align: the grid's cuts may sit on multiples of this many pixels (see `grid.tile_edges`): what
        the picture's moving under the grid allows without tile borders settling (`Jitter` sets it).
    """

    offset: tuple[int, int] = (0, 0)
    shift: tuple[int, int] = (0, 0)
    zoom: float = 1.0
    angle: float = 0.0
    blur: float = 0.0
    align: int = 1

    @property
    def affine(self) -> tuple[float, float]:
        """(zoom, angle), as the traced tile function takes them."""
        return self.zoom, self.angle


class Transform(Protocol):
    def params(self, params: StepParams, rng, grid: Grid, step: int) -> StepParams:
        """`params` with this transform's part for step `step` (0-based, within the octave) set,
        drawn from `rng`, on `grid` (the octave's picture size and tiles)."""


def step_params(transforms, start: StepParams, rng, grid: Grid, step: int) -> StepParams:
    """The parameters of one step: `start` through every transform in turn."""
    params = start
    for transform in transforms:
        params = transform.params(params, rng, grid, step)
    return params


@dataclass(frozen=True)
class Jitter:
    """Shift the picture by up to `pixels` each way, each step."""

    pixels: int

    def params(self, params: StepParams, rng, grid: Grid, step: int) -> StepParams:
        """A shift (dy, dx), each in -n..n: the picture moves by that much under the grid, mirrored
        in at one edge while as many rows or columns sit the step out at the other (so the network
        sees no more pixels than the picture has). n is `grid.max_shift(pixels)`. Since the picture
        moves that much under the grid, the grid's cuts may sit on multiples of `Grid.cut_align(n)`
        pixels and still fall, seen from the picture, on every pixel."""
        n = grid.max_shift(self.pixels)
        if n <= 0:
            return params
        dy, dx = (int(v) for v in rng.integers(-n, n + 1, size=2))
        return dataclasses.replace(params, shift=(dy, dx), align=grid.cut_align(n))


@dataclass(frozen=True)
class GridShift:
    """Lay the tile grid at a new random offset each step (when nothing else moves the picture
    under it: without it the tile borders would stay put for a whole octave and show as seams)."""

    def params(self, params: StepParams, rng, grid: Grid, step: int) -> StepParams:
        return dataclasses.replace(params, offset=tuple(int(o) for o in rng.integers(0, grid.tile, size=2)))


@dataclass(frozen=True)
class AffineJitter:
    """Zoom each tile by a factor in [1 - scale, 1 + scale] and rotate it by up to `degrees`."""

    scale: float
    degrees: float

    @property
    def active(self) -> bool:
        return self.scale > 0 or self.degrees > 0

    def params(self, params: StepParams, rng, grid: Grid, step: int) -> StepParams:
        zoom = 1.0 + float(rng.uniform(-self.scale, self.scale)) if self.scale > 0 else 1.0
        angle = math.radians(float(rng.uniform(-self.degrees, self.degrees))) if self.degrees > 0 else 0.0
        return dataclasses.replace(params, zoom=zoom, angle=angle)

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
            images=tiles,
            transforms=transform,
            output_shape=shape[1:3],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="REFLECT",
        )


@dataclass(frozen=True)
class Blur:
    """After every `BLUR_EVERY`-th step, blur the picture by a Gaussian of `sigma` pixels (mirror
    edges): a regulariser that keeps high-frequency noise from growing where nothing in the picture
    holds it back."""

    sigma: float

    def params(self, params: StepParams, rng, grid: Grid, step: int) -> StepParams:
        if self.sigma <= 0 or (step + 1) % BLUR_EVERY:
            return params
        return dataclasses.replace(params, blur=self.sigma)


def gaussian_blur(image, sigma: float):
    """image [H, W, 3] blurred by a Gaussian of `sigma` pixels, mirror edges (sigma 0: as it is)."""
    import numpy as np
    import tensorflow as tf

    if sigma <= 0:
        return image
    radius = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    padded = tf.pad(image[None], [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    rows = tf.constant(np.tile(k[:, None, None, None], (1, 1, 3, 1)))
    cols = tf.constant(np.tile(k[None, :, None, None], (1, 1, 3, 1)))
    out = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(out, cols, [1, 1, 1, 1], "VALID")[0]
