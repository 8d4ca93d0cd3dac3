"""Dreaming: gradient ascent on an objective, octave by octave, with random-shift tiled gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .octaves import octave_sizes, resize
from .tiles import TiledGradient


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


def normalize_gradient(gradient):
    """Scale a gradient so its mean absolute value is 1 (the step size is then in RGB levels)."""
    import tensorflow as tf

    return gradient / (tf.reduce_mean(tf.abs(gradient)) + 1e-8)


def render(backbone, rgb: np.ndarray, objective, *, octaves: int = 4, octave_scale: float = 1.4,
           steps: int = 10, step_size: float = 1.5, tile_size: int = 512, seed: int | None = 0,
           progress: Callable[[DreamProgress], None] | None = None,
           tiled: TiledGradient | None = None) -> np.ndarray:
    """Dream on an RGB image (float32 [H, W, 3] in [0, 255]); returns the dreamt RGB image, same shape.

    From the smallest octave up: the original image at this octave's size, plus the detail dreamt so
    far (enlarged), is ascended for `steps` steps; what the steps added becomes the detail carried on.
    Each step moves the mean pixel by `step_size` RGB levels.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    tiled = tiled or TiledGradient(backbone, objective, tile_size)
    original = backbone.preprocess(np.asarray(rgb, np.float32))
    sizes = octave_sizes(*original.shape[:2], octaves, octave_scale, backbone.min_size)
    step = tf.constant(step_size * backbone.pixel_scale, tf.float32)
    detail = tf.zeros(sizes[0] + (3,), tf.float32)
    for index, size in enumerate(sizes):
        base = resize(original, size)
        image = backbone.clip(base + resize(detail, size))
        for s in range(steps):
            offset = tuple(int(o) for o in rng.integers(0, tiled.tile_size, size=2))
            gradient, value = tiled(image, offset)
            image = backbone.clip(image + step * normalize_gradient(gradient))
            if progress is not None:
                progress(DreamProgress(index + 1, len(sizes), s + 1, steps, size, value, tuple(sizes)))
        detail = image - base
    return backbone.deprocess(image).numpy()
