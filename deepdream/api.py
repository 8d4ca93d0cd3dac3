"""The Python API: the same renders as the CLI, on PIL images, arrays or paths."""

from __future__ import annotations

import logging
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
          max_side: int | None = None, progress: Progress | None = None, guide=None,
          guide_size: int | None = None, precision: str = "auto", tile_batch: int = 1):
    """Dream on an image: gradient ascent on the activations of `layers` of `backbone`.

    image: a PIL image, a path, or an array (H x W [x 3|4], uint8 or float in [0, 255]).
    layers: "block4_conv3", "block4_conv3:12" (one channel), "block5_conv1=0.5" (a weight), or a list
        of these; None for the backbone's default layers.
    guide: a guide image (path, PIL image, array) or a list of them: dream toward their patterns
        instead (see `guided_dream`); then layers may be "auto", and guide_size sets the guide's size.
    precision: what the network computes in: "auto" (bfloat16 on CPUs with native bfloat16 and on
        GPUs from compute capability 8.0, float16 on older GPUs, else float32), "float32",
        "bfloat16" or "float16". The image and its gradients stay float32.
    tile_batch: tiles of equal shape sent through the network together (1: one at a time).
    Returns a PIL image for a PIL image or path (alpha kept), a float32 RGB array in [0, 255] for an
    array, a LoadedImage for a LoadedImage.
    """
    from .backbones import load_backbone
    from .render.dream import render

    check_dream_settings(octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size,
                         tile_size=tile_size, max_side=max_side)
    check_speed_settings(precision=precision, tile_batch=tile_batch)
    loaded = as_loaded(image)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    check_guide_settings(layers, guide is not None, guide_size)
    if guide is not None:
        load_guides(guide)  # a missing guide fails before the model loads
    net = load_backbone(backbone, weights)
    if guide is None:
        objective = from_specs(net, layer_specs(layers, net))
    else:
        objective = guided_objective(net, loaded.rgb, guide, layers, guide_size=guide_size,
                                     tile_size=tile_size, seed=seed)
    check_image_size(loaded.rgb, net)
    rgb = render(net, loaded.rgb, objective, octaves=octaves, octave_scale=octave_scale, steps=steps,
                 step_size=step_size, tile_size=tile_size, seed=seed, progress=progress,
                 precision=precision, tile_batch=tile_batch)
    if isinstance(image, images.LoadedImage):
        return images.LoadedImage(rgb, loaded.alpha, loaded.source_mode)
    if isinstance(image, np.ndarray):
        return rgb
    return images.to_pil(rgb, loaded.alpha)


def check_speed_settings(*, precision: str = "auto", tile_batch: int = 1) -> None:
    """SettingsError for a precision or tile batch that cannot work; checked before loading."""
    from .backbones.base import check_precision

    check_precision(precision)
    if not isinstance(tile_batch, int) or tile_batch < 1:
        raise SettingsError(f"--tile-batch must be a whole number of at least 1 (got {tile_batch}).")


def check_image_size(rgb: np.ndarray, backbone) -> None:
    if min(rgb.shape[:2]) < backbone.min_size:
        raise SettingsError(
            f"The image is {rgb.shape[1]}x{rgb.shape[0]} pixels; backbone {backbone.name!r} needs at "
            f"least {backbone.min_size} pixels on each side."
        )


# ---------------------------------------------------------------------------- guided dreaming

#: The default longest side of a guide: it fits one tile, and a guide larger than this adds
#: positions (subsampled anyway) rather than patterns.
GUIDE_SIZE = 512
#: Default layers of a guided dream, per backbone (others use the backbone's default layers). On
#: the embedded (HED) VGG16 the deeper defaults grow the same edge blobs whatever the guide;
#: block3_conv3 (stride 4) carries the guide's own texture: brick grows blocks, gravel pebbles.
GUIDE_LAYERS = {"vgg16": (("block3_conv3", 1.0),)}

log = logging.getLogger("deepdream")


def _as_list(guide) -> list:
    return list(guide) if isinstance(guide, (list, tuple)) else [guide]


def guide_name(guide) -> str:
    """How a guide is named in messages: its file name, else 'the guide image'."""
    return Path(guide).name if isinstance(guide, (str, Path)) else "the guide image"


def load_guides(guide) -> list[images.LoadedImage]:
    """One or several guides (paths, PIL images, arrays) as LoadedImages; InputError names the guide."""
    from .errors import InputError

    guides = _as_list(guide)
    if not guides:
        raise SettingsError("Give at least one guide image.")
    loaded = []
    for item in guides:
        if isinstance(item, (str, Path)) and not Path(item).exists():
            raise InputError(f"Guide image '{item}' does not exist; give the path of an image to guide the dream.")
        try:
            loaded.append(as_loaded(item))
        except InputError as e:
            message = str(e)
            for prefix in ("Input file", "Input image", "Input"):
                if message.startswith(prefix):
                    message = "Guide image" + message[len(prefix):]
                    break
            else:
                message = f"Cannot use the guide: {message}"
            raise InputError(message) from None
    return loaded


def check_guide_settings(layers, has_guide: bool, guide_size: int | None = None) -> None:
    """SettingsError for `--layer auto` without a guide (or beside other layers) and a bad guide size."""
    specs = [] if layers is None else [layers] if isinstance(layers, (str, LayerSpec)) else list(layers)
    auto = [s for s in specs if str(s).strip().lower() == "auto"]
    if auto and not has_guide:
        raise SettingsError("--layer auto picks the layer where a guide image matches best; give one with --guide.")
    if auto and len(specs) > 1:
        raise SettingsError("--layer auto picks one layer by itself; give it alone, or name the layers.")
    if guide_size is not None and not has_guide:
        raise SettingsError("--guide-size applies to a guide image; give one with --guide.")
    if guide_size is not None and (not isinstance(guide_size, int) or guide_size < 1):
        raise SettingsError(f"--guide-size must be a positive number of pixels (got {guide_size}).")


def fit_guides(guides, backbone, guide_size: int | None = None, tile_size: int = 512,
               names=None) -> list[np.ndarray]:
    """The guides' RGB arrays, resized so the longer side is `guide_size` (default: shrunk, never
    enlarged, to fit min(tile_size, 512)); every side must stay at least the backbone's min_size."""
    if guide_size is not None and not backbone.min_size <= guide_size <= tile_size:
        raise SettingsError(
            f"--guide-size must be between {backbone.min_size} (the smallest input of {backbone.name}) "
            f"and the tile size ({tile_size}) pixels (got {guide_size})."
        )
    names = names or ["the guide image"] * len(guides)
    arrays = []
    for loaded, name in zip(guides, names):
        rgb = loaded.rgb
        h, w = rgb.shape[:2]
        if min(h, w) < backbone.min_size:
            raise SettingsError(
                f"Guide image {name!r} is {w}x{h} pixels; backbone {backbone.name!r} needs at least "
                f"{backbone.min_size} pixels on each side."
            )
        longest = guide_size if guide_size is not None else min(max(h, w), tile_size, GUIDE_SIZE)
        longest = max(longest, int(np.ceil(backbone.min_size * max(h, w) / min(h, w))))  # keep min_size
        if longest != max(h, w):
            scale = longest / max(h, w)
            rgb = images.resize_array(rgb, (max(1, round(h * scale)), max(1, round(w * scale))))
        arrays.append(rgb)
    return arrays


def pick_guide_layer(image, guide, *, backbone: str = "vgg16", weights: str | None = None,
                     guide_size: int | None = None, tile_size: int = 512, seed: int | None = 0) -> str:
    """The layer where image and guide(s) match best (`--layer auto`), among the backbone's
    `objectives.auto_layer_candidates`: highest mean best-match cosine similarity of their features."""
    from .backbones import load_backbone

    net = load_backbone(backbone, weights)
    guides = load_guides(guide)
    arrays = fit_guides(guides, net, guide_size, tile_size, [guide_name(g) for g in _as_list(guide)])
    return best_guide_layer(net, as_loaded(image), arrays, tile_size, seed)


def best_guide_layer(net, picture: images.LoadedImage, guide_arrays, tile_size: int, seed) -> str:
    """The candidate layer of `net` with the highest match score between picture (shrunk to fit a
    tile) and the fitted guide arrays."""
    from .objectives import layer_match_scores

    small = images.fit_max_side(picture, max(tile_size, GUIDE_SIZE)).rgb
    check_image_size(small, net)
    scores = layer_match_scores(net, small, guide_arrays, seed=seed)
    return max(scores, key=scores.get)


def guided_objective(net, rgb: np.ndarray, guide, layers=None, *, guide_size: int | None = None,
                     tile_size: int = 512, seed: int | None = 0):
    """The objective of a guided dream on rgb: guide matching at `layers` ("auto": the best layer)."""
    from .objectives import guided

    check_guide_settings(layers, True, guide_size)
    names = [guide_name(g) for g in _as_list(guide)]
    arrays = fit_guides(load_guides(guide), net, guide_size, tile_size, names)
    specs = [] if layers is None else [layers] if isinstance(layers, (str, LayerSpec)) else list(layers)
    if len(specs) == 1 and str(specs[0]).strip().lower() == "auto":
        layers = [best_guide_layer(net, images.from_array(rgb), arrays, tile_size, seed)]
        log.info("guided by %s at layer %s (auto)", ", ".join(names), layers[0])
    if layers is None or (not isinstance(layers, (str, LayerSpec)) and len(layers) == 0):
        layers = [LayerSpec(name, None, weight) for name, weight in GUIDE_LAYERS.get(net.name, ())] or None
    return guided(net, arrays, layer_specs(layers, net), seed=seed)


def guided_dream(image, guide, *, layers: Sequence[str] | str | None = None, guide_size: int | None = None,
                 **settings):
    """Dream on an image toward the patterns of a guide image (or several, pooled).

    Each position of the image is pulled toward the guide feature vector it already matches best
    (Google's original DeepDream notebook). guide: a path, PIL image or array, or a list of them.
    layers: as for `dream` (no channels), or "auto" for the layer where image and guide match best
    (logged on the "deepdream" logger; see `pick_guide_layer`); None for `GUIDE_LAYERS` of the
    backbone, else its default layers. guide_size: the guide's longer side
    in pixels (default: shrunk to fit min(tile_size, 512), never enlarged). Other settings as `dream`.
    """
    return dream(image, guide=guide, layers=layers, guide_size=guide_size, **settings)
