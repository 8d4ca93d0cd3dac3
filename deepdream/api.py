"""The Python API: the same renders as the CLI, on PIL images, arrays or paths."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import images
from .errors import SettingsError
from .objectives import LayerSpec, from_specs, parse_layer_spec

Progress = Callable[[object], None]


def check_dream_settings(*, octaves: int, octave_scale: float, steps: int, step_size: float,
                         tile_size: int, max_side: int | None = None) -> None:
    """SettingsError for values that cannot work; checked before any model is loaded."""
    if not isinstance(octaves, int) or octaves < 1:
        raise SettingsError(f"--octaves must be a whole number of at least 1 (got {octaves}).")
    if not octave_scale > 1:
        raise SettingsError(f"--octave-scale must be greater than 1 (got {octave_scale:g}); 1.4 is a good start.")
    if not isinstance(steps, int) or steps < 1:
        raise SettingsError(f"--steps must be a whole number of at least 1 (got {steps}).")
    if not (step_size > 0 and np.isfinite(step_size)):
        raise SettingsError(f"--step-size must be a positive number (got {step_size:g}).")
    if not isinstance(tile_size, int) or tile_size < 32:
        raise SettingsError(f"--tile-size must be at least 32 pixels (got {tile_size}); 512 is a good start.")
    if max_side is not None and (not isinstance(max_side, int) or max_side < 1):
        raise SettingsError(f"--max-side must be a positive number of pixels (got {max_side}).")


def as_loaded(image) -> images.LoadedImage:
    """A path, PIL image or array as a LoadedImage."""
    from PIL import Image

    if isinstance(image, images.LoadedImage):
        return image
    if isinstance(image, (str, Path)):
        return images.load_image(image)
    if isinstance(image, Image.Image):
        return images.from_pil(image)
    return images.from_array(np.asarray(image))


def layer_specs(layers, backbone) -> list[LayerSpec]:
    """The layer specs to dream on: the given ones (strings or LayerSpecs), else the backbone's default."""
    if layers is None or (not isinstance(layers, str) and len(layers) == 0):
        return [LayerSpec(name, None, weight) for name, weight in backbone.default_layers]
    if isinstance(layers, (str, LayerSpec)):
        layers = [layers]
    return [s if isinstance(s, LayerSpec) else parse_layer_spec(s) for s in layers]


def dream(image, *, layers: Sequence[str] | str | None = None, backbone: str = "vgg16",
          weights: str | None = None, octaves: int = 4, octave_scale: float = 1.4, steps: int = 10,
          step_size: float = 1.5, tile_size: int = 512, seed: int | None = 0,
          max_side: int | None = None, progress: Progress | None = None):
    """Dream on an image: gradient ascent on the activations of `layers` of `backbone`.

    image: a PIL image, a path, or an array (H x W [x 3|4], uint8 or float in [0, 255]).
    layers: "block4_conv3", "block4_conv3:12" (one channel), "block5_conv1=0.5" (a weight), or a list
        of these; None for the backbone's default layers.
    Returns a PIL image for a PIL image or path (alpha kept), a float32 RGB array in [0, 255] for an
    array, a LoadedImage for a LoadedImage.
    """
    from .backbones import load_backbone
    from .render.dream import render

    check_dream_settings(octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size,
                         tile_size=tile_size, max_side=max_side)
    loaded = as_loaded(image)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    net = load_backbone(backbone, weights)
    objective = from_specs(net, layer_specs(layers, net))
    check_image_size(loaded.rgb, net)
    rgb = render(net, loaded.rgb, objective, octaves=octaves, octave_scale=octave_scale, steps=steps,
                 step_size=step_size, tile_size=tile_size, seed=seed, progress=progress)
    if isinstance(image, images.LoadedImage):
        return images.LoadedImage(rgb, loaded.alpha, loaded.source_mode)
    if isinstance(image, np.ndarray):
        return rgb
    return images.to_pil(rgb, loaded.alpha)


def check_image_size(rgb: np.ndarray, backbone) -> None:
    if min(rgb.shape[:2]) < backbone.min_size:
        raise SettingsError(
            f"The image is {rgb.shape[1]}x{rgb.shape[0]} pixels; backbone {backbone.name!r} needs at "
            f"least {backbone.min_size} pixels on each side."
        )
