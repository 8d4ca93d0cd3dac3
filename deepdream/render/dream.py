"""Dreaming: gradient ascent on an objective, octave by octave, with random-shift tiled gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .octaves import octave_sizes, resize
from .tiles import TiledGradient, empty_image, write_rows


@dataclass(frozen=True)
class DreamProgress:
    """What the render loop reports after each step."""

    octave: int  # 1-based
    octaves: int
    step: int  # 1-based, within the octave
    steps: int
    size: tuple[int, int]  # (height, width) of this octave
    value: float  # the objective's value before this step
    sizes: tuple[tuple[int, int], ...]  # every octave's size, smallest first
    precision: str = "float32"  # what the network computes in: float32, bfloat16 or float16


def normalize_gradient(gradient):
    """Scale a gradient so its mean absolute value is 1 (the step size is then in RGB levels)."""
    import tensorflow as tf

    return gradient / (tf.reduce_mean(tf.abs(gradient)) + 1e-8)


def start_image(backbone, rgb: np.ndarray, detail=None, band: int = 256):
    """The full-size octave's first image, clip(preprocess(rgb) + detail enlarged to full size),
    built row band by row band, so no image-sized temporaries beyond the enlarged detail are made."""
    import tensorflow as tf

    height, width = rgb.shape[:2]
    detail = None if detail is None else resize(detail, (height, width))
    image = empty_image(height, width)
    for y0 in range(0, height, band):
        x = backbone.preprocess(rgb[y0:y0 + band])
        if detail is not None:
            x = x + detail[y0:y0 + band]
        image = write_rows(image, y0, backbone.clip(x))
    return tf.reshape(image, [height, width, 3])


def finish_image(backbone, image, band: int = 256) -> np.ndarray:
    """deprocess(image) as a NumPy array, row band by row band (no image-sized temporaries)."""
    out = np.empty(tuple(int(n) for n in image.shape), np.float32)
    for y0 in range(0, out.shape[0], band):
        out[y0:y0 + band] = backbone.deprocess(image[y0:y0 + band]).numpy()
    return out


def render(backbone, rgb: np.ndarray, objective, *, octaves: int = 4, octave_scale: float = 1.4,
           steps: int = 10, step_size: float = 1.5, tile_size: int = 512, seed: int | None = 0,
           progress: Callable[[DreamProgress], None] | None = None,
           tiled: TiledGradient | None = None, precision: str = "float32",
           tile_batch: int = 1) -> np.ndarray:
    """Dream on an RGB image (float32 [H, W, 3] in [0, 255]); returns the dreamt RGB image, same shape.

    From the smallest octave up: the original image at this octave's size, plus the detail dreamt so
    far (enlarged), is ascended for `steps` steps; what the steps added becomes the detail carried on.
    Each step moves the mean pixel by `step_size` RGB levels.

    precision ("float32", "bfloat16", "float16" or "auto") is what the network computes in, and
    tile_batch how many equal tiles go through it at once (both used only when `tiled` is not given);
    the image, gradients and steps are float32 whatever the precision.

    Memory at full size, besides the caller's array and the result: the image (updated in place
    each step), the tiles' gradients (one image's worth) and, while the last octave starts, the
    enlarged detail. The smaller octaves also keep their base image and carry the detail.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    tiled = tiled or TiledGradient(backbone, objective, tile_size, precision=precision, tile_batch=tile_batch)
    rgb = np.asarray(rgb, np.float32)
    sizes = octave_sizes(rgb.shape[0], rgb.shape[1], octaves, octave_scale, backbone.min_size)
    step = tf.constant(step_size * backbone.pixel_scale, tf.float32)
    low, high = tf.constant(backbone.low, tf.float32), tf.constant(backbone.high, tf.float32)
    detail = base = image = None
    for index, size in enumerate(sizes):
        last = index == len(sizes) - 1
        if last:  # the full-size base is not needed again: only the image is kept
            image = start_image(backbone, rgb, detail)
        else:
            base = backbone.preprocess(resize(tf.convert_to_tensor(rgb), size))
            image = backbone.clip(base if detail is None else base + resize(detail, size))
        detail = None
        for s in range(steps):
            offset = tuple(int(o) for o in rng.integers(0, tiled.tile_size, size=2))
            image, value = tiled.ascent_step(image, offset, step, low, high)
            if progress is not None:
                progress(DreamProgress(index + 1, len(sizes), s + 1, steps, size, value, tuple(sizes),
                                       tiled.precision))
        if not last:
            detail = image - base
            image = base = None
    return finish_image(backbone, image)
