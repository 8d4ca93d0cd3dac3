"""Style transfer and texture synthesis (Gatys, Ecker and Bethge): the loop and the public API.

The picture is found by *minimising* the loss of losses.py over its pixels (L-BFGS or Adam, see
optimizers.py). Several styles blend their target Grams (``style_blend``); with masks each style has
its own Gram, taken over its own region only. Large pictures are solved coarse to fine (``scales``)
and, past ``tile_size``, in tiles (two passes, see losses.py).

`prepare_style` / `prepare_texture` read and check every input (before any network is loaded);
`transfer` is the engine (arrays in, an array out; it reads no file and prints nothing: it reports
through its progress callback); `stylize` and `synthesize_texture` are the Python API on top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SettingsError
from ..images import LoadedImage, as_loaded, fit_max_side, resize_array, to_pil
from ..settings import INITS, StyleSettings, TextureSettings, parse_blend, parse_size, rng
from .colors import colour_noise, colour_stats, grey, keep_colors, mask_array, match_palette
from .losses import StyleLoss
from .optimizers import minimise_adam, minimise_lbfgs


@dataclass(frozen=True)
class StyleProgress:
    """What the optimiser reports after each iteration."""

    scale: int  # 1-based, coarsest first
    scales: int
    iteration: int  # 1-based, within this scale
    iterations: int
    size: tuple[int, int]  # (height, width) at this scale
    sizes: tuple[tuple[int, int], ...]  # every scale's size, smallest first
    losses: dict  # "style", "tv", "total" and, with a content image, "content" (weighted, as minimised)
    snapshot: Callable[[], np.ndarray]  # the current picture, RGB float32 [H, W, 3] in [0, 255]


# ----------------------------------------------------------------------------------------- layers


def default_layers(backbone) -> tuple:
    """(content, style) default layers of a backbone, each as (layer, weight): its own
    `content_layers` / `style_layers`, else spread over its catalogue."""
    content = tuple(getattr(backbone, "content_layers", ()) or ())
    style = tuple(getattr(backbone, "style_layers", ()) or ())
    names = [info.name for info in backbone.catalog]
    if not content:
        content = ((names[len(names) // 2], 1.0),)
    if not style:
        deep = names[: max(1, (2 * len(names)) // 3)]
        style = tuple((n, 1.0) for n in dict.fromkeys(deep[round(i * (len(deep) - 1) / 4)] for i in range(5)))
    return content, style


def layer_weights(specs, backbone, default) -> list[tuple[str, float]]:
    """Layer specs ('name', 'name=weight' or (name, weight)) checked against the backbone; none: default."""
    from ..objectives import LayerSpec, parse_layer_spec

    if specs is None or (not isinstance(specs, str) and len(specs) == 0):
        return [(backbone.layer(n).name, float(w)) for n, w in default]
    if isinstance(specs, (str, LayerSpec)):
        specs = [specs]
    out = []
    for spec in specs:
        if isinstance(spec, tuple):
            spec = LayerSpec(spec[0], None, float(spec[1]))
        spec = spec if isinstance(spec, LayerSpec) else parse_layer_spec(spec)
        backbone.layer(spec.name)
        if spec.channel is not None or spec.mask is not None:
            raise SettingsError(
                f"Style and content layers take no channel and no @mask: write {spec.name} or "
                f"{spec.name}=WEIGHT (--mask gives each style its region)."
            )
        if spec.weight <= 0:
            raise SettingsError(f"The weight of layer {spec.name!r} must be positive (got {spec.weight:g}).")
        out.append((spec.name, spec.weight))
    return out


# ------------------------------------------------------------------------------------- the engine


def scale_sizes(height: int, width: int, scales: int, min_size: int) -> list[tuple[int, int]]:
    """Sizes for coarse-to-fine solving, halving each time, smallest first; too small ones left out."""
    sizes = []
    for k in range(scales - 1, 0, -1):
        h, w = round(height / 2**k), round(width / 2**k)
        if min(h, w) >= min_size:
            sizes.append((h, w))
    sizes.append((height, width))
    return sizes


def _style_size(style_shape, out_size, style_scale: float, relative_to_output: bool, factor: float):
    """A style image's size: scaled so its longer side is style_scale x the output's longer side
    (stylize), or style_scale x its own size (textures); times factor at coarser scales."""
    h, w = style_shape[:2]
    k = (style_scale * max(out_size) / max(h, w) if relative_to_output else style_scale) * factor
    return max(1, round(h * k)), max(1, round(w * k))


def _resized(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(rgb, np.float32) if rgb.shape[:2] == tuple(size) else resize_array(rgb, size)


@dataclass(frozen=True)
class _Recipe:
    """What a run's settings mean for its losses: texture or style transfer, the layers and their
    weights, how the styles are sized (relative to the output or by their own scale) and blended."""

    texture: bool
    content_layers: list
    style_layers: list
    content_weight: float
    style_scale: float
    relative: bool
    blend: list


def _recipe(backbone, texture: bool, n_styles: int, settings) -> _Recipe:
    cl_default, sl_default = default_layers(backbone)
    style_layers = layer_weights(settings.style_layers, backbone, sl_default)
    if texture:
        return _Recipe(True, [], style_layers, 0.0, settings.sample_scale, False, parse_blend(None, n_styles))
    content_layers = layer_weights(settings.content_layers, backbone, cl_default)
    blend = parse_blend(settings.style_blend, n_styles)
    return _Recipe(False, content_layers, style_layers, settings.content_weight, settings.style_scale, True, blend)


def _set_targets(loss, backbone, recipe: _Recipe, settings, styles, content, masks, size, scale) -> None:
    """Give `loss` its targets at one scale (`scale`, (h, w), of the output's `size`): the styles'
    Grams (blended, or one group per style where masks say where each goes) and the content's
    features."""
    sh, sw = scale
    per_style = []
    for s in styles:
        ssize = _style_size(s.shape, size, recipe.style_scale, recipe.relative, sh / size[0])
        if min(ssize) < backbone.min_size:
            flag = "--style-scale" if recipe.relative else "--sample-scale"
            raise SettingsError(
                f"The style image would be {ssize[1]}x{ssize[0]} pixels at this scale, under the "
                f"{backbone.min_size} pixels {backbone.name} needs; raise {flag} or use fewer --scales."
            )
        grams, _ = loss.measure(backbone.preprocess(_resized(s, ssize)).numpy(), content=False)
        per_style.append([g[0] for g in grams])
    layers = range(len(recipe.style_layers))
    scale_masks = None
    if masks is not None:
        scale_masks = np.stack([np.clip(_resized(m, (sh, sw)), 0, 1) for m in masks])
        targets = [np.stack([ps[i] for ps in per_style]) for i in layers]
        group_weights = np.asarray(recipe.blend, np.float64) * len(styles)
    else:
        targets = [sum(b * ps[i] for b, ps in zip(recipe.blend, per_style, strict=False))[None] for i in layers]
        group_weights = np.ones(1)
    content_features = None
    if not recipe.texture and recipe.content_weight > 0:
        _, content_features = loss.measure(backbone.preprocess(_resized(content, (sh, sw))).numpy())
    loss.set_targets(
        style_grams=targets,
        group_weights=group_weights,
        content_features=content_features,
        masks=scale_masks,
        size=(sh, sw),
        content_weight=recipe.content_weight,
        style_weight=settings.style_weight,
        tv_weight=settings.tv_weight,
    )


def _start(image, init, texture: bool, content, styles, blend, generator, scale) -> np.ndarray:
    """The picture (RGB) a scale starts from: the last scale's result enlarged, else the `init`."""
    if image is not None:
        return _resized(image, scale)
    if isinstance(init, np.ndarray):
        return _resized(init, scale)
    if init == "content" and not texture:
        return _resized(content, scale)
    if init == "palette" and not texture:
        return match_palette(_resized(content, scale), *colour_stats(styles, blend))
    return colour_noise(generator, scale, styles[0] if texture else content)


def transfer(
    backbone,
    content: np.ndarray | None,
    styles: Sequence[np.ndarray],
    size: tuple[int, int],
    settings: StyleSettings | TextureSettings,
    *,
    masks: Sequence[np.ndarray] | None = None,
    init: str | np.ndarray | None = None,
    progress: Callable[[StyleProgress], None] | None = None,
    loss: StyleLoss | None = None,
) -> np.ndarray:
    """The engine: RGB arrays in, an RGB float32 array [H, W, 3] in [0, 255] of `size` (h, w) out.

    content: RGB [H, W, 3], or None for a texture (then `settings` is TextureSettings); styles: RGB
    arrays; masks: one [H, W] array in [0, 1] per style, or None; init: "palette", "content",
    "noise" or an RGB array (None: settings.init, which must then not be a file). Everything else comes from settings.
    Each scale, coarse to fine: set the losses' targets, start from the last scale's result (or the
    init), minimise, keep the result.
    """
    texture = content is None
    generator = rng(settings.seed)
    recipe = _recipe(backbone, texture, len(styles), settings)
    init = settings.init if init is None else init
    colour_content = None
    if not texture and settings.preserve_colors:
        styles = [grey(s, like=content) for s in styles]
        colour_content = _resized(content, size)
        content = grey(content)
        if isinstance(init, np.ndarray):
            init = grey(init)
    if loss is None:
        loss = StyleLoss(backbone, recipe.content_layers, recipe.style_layers, tile_size=settings.tile_size)
    sizes = scale_sizes(*size, settings.scales, backbone.min_size)
    image = None
    for index, scale in enumerate(sizes):
        _set_targets(loss, backbone, recipe, settings, styles, content, masks, size, scale)
        x0 = backbone.preprocess(_start(image, init, texture, content, styles, recipe.blend, generator, scale)).numpy()
        report = _reporter(backbone, progress, colour_content, index, sizes, settings.iterations)
        bounds = dict(low=backbone.low, high=backbone.high)
        if settings.optimizer == "adam":
            x = minimise_adam(
                loss, x0, settings.iterations, settings.learning_rate * backbone.pixel_scale, report, **bounds
            )
        else:
            x = minimise_lbfgs(loss, x0, settings.iterations, report, first_step=backbone.pixel_scale, **bounds)
        del x0
        image = np.clip(backbone.deprocess(x).numpy(), 0, 255).astype(np.float32)
        del x
    if colour_content is not None:
        image = keep_colors(image, colour_content)
    return image


def _reporter(backbone, progress, colour_content, index: int, sizes, iterations: int):
    """report(iteration, terms, x) for the optimisers: a StyleProgress whose picture is made only
    when asked for (deprocessed, clipped, colours kept where they are)."""
    scale = sizes[index]

    def finish(x):
        rgb = np.clip(backbone.deprocess(x).numpy(), 0, 255).astype(np.float32)
        if colour_content is not None:
            rgb = keep_colors(rgb, _resized(colour_content, scale))
        return rgb

    def report(iteration, terms, x):
        if progress is not None:
            progress(
                StyleProgress(
                    index + 1, len(sizes), iteration, iterations, scale, tuple(sizes), dict(terms), lambda: finish(x)
                )
            )

    return report


# ---------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class StyleInputs:
    """Every picture a run needs, read and checked: content (or texture sample), styles, masks,
    the starting picture, the output size (h, w), and notes for the user (e.g. a resized mask)."""

    content: LoadedImage | None
    styles: list
    masks: list | None
    init: Any
    size: tuple[int, int]
    notes: tuple = ()


def _name(item, i: int, what: str) -> str:
    return f"'{item}'" if isinstance(item, (str, Path)) else f"{what} number {i + 1}"


def prepare_style(content, settings: StyleSettings) -> StyleInputs:
    """Read and check the inputs of a style transfer (content: path, PIL image, array or LoadedImage)."""
    if not settings.styles:
        raise SettingsError("Give at least one style image (--style FILE).")
    loaded = as_loaded(content)
    if settings.max_side is not None:
        loaded = fit_max_side(loaded, settings.max_side)
    size = loaded.rgb.shape[:2]
    styles = [as_loaded(s).rgb for s in settings.styles]
    masks, notes = None, []
    if settings.masks:
        masks = []
        for i, m in enumerate(settings.masks):
            arr = mask_array(as_loaded(m), _name(m, i, "mask"))
            if arr.shape != tuple(size):
                notes.append(
                    f"mask {_name(m, i, 'mask')} is {arr.shape[1]}x{arr.shape[0]}; resized to the "
                    f"content's {size[1]}x{size[0]}."
                )
                arr = np.clip(resize_array(arr, size), 0, 1)
            masks.append(arr)
    return StyleInputs(loaded, styles, masks, _init_value(settings.init), size, tuple(notes))


def prepare_texture(sample, settings: TextureSettings) -> StyleInputs:
    """Read and check the inputs of a texture synthesis (sample: path, PIL image, array or LoadedImage)."""
    loaded = as_loaded(sample)
    size = loaded.rgb.shape[:2] if settings.size is None else parse_size(settings.size)
    return StyleInputs(None, [loaded.rgb], None, _init_value(settings.init), tuple(size))


def _init_value(init):
    if isinstance(init, str) and init in INITS:
        return init
    return as_loaded(init).rgb


def _check_min(size, backbone, what: str) -> None:
    if min(size) < backbone.min_size:
        raise SettingsError(
            f"The {what} is {size[1]}x{size[0]} pixels; backbone {backbone.name!r} needs at least "
            f"{backbone.min_size} pixels on each side."
        )


def check_layers(inputs: StyleInputs, settings) -> None:
    """What run_style / run_texture check before their work (--dry-run): the backbone and its
    weights load, the picture is large enough for it, every content and style layer exists."""
    from ..backbones import load_backbone

    net = load_backbone(settings.backbone, settings.weights)
    _check_min(inputs.size, net, "texture" if inputs.content is None else "content image")
    content, style = default_layers(net)
    if inputs.content is not None:
        layer_weights(settings.content_layers, net, content)
    layer_weights(settings.style_layers, net, style)


def run_style(inputs: StyleInputs, settings: StyleSettings, progress=None) -> np.ndarray:
    """Load the backbone and style `inputs` (from prepare_style): an RGB float32 array."""
    from ..backbones import load_backbone

    net = load_backbone(settings.backbone, settings.weights)
    _check_min(inputs.size, net, "content image")
    return transfer(
        net,
        inputs.content.rgb,
        inputs.styles,
        inputs.size,
        settings,
        masks=inputs.masks,
        init=inputs.init,
        progress=progress,
    )


def run_texture(inputs: StyleInputs, settings: TextureSettings, progress=None) -> np.ndarray:
    """Load the backbone and grow a texture from `inputs` (from prepare_texture): an RGB float32 array."""
    from ..backbones import load_backbone

    net = load_backbone(settings.backbone, settings.weights)
    _check_min(inputs.size, net, "texture")
    return transfer(net, None, inputs.styles, inputs.size, settings, init=inputs.init, progress=progress)


# ---------------------------------------------------------------------------------------- the API


def _given(overrides: dict) -> dict:
    """The overrides a caller gave: `seed=None` means "not given" (the settings' seed), as the CLI's."""
    return {k: v for k, v in overrides.items() if not (k == "seed" and v is None)}


def stylize(content, style=None, settings: StyleSettings | None = None, *, progress=None, **overrides):
    """Paint `content` in the style of `style` (Gatys et al.).

    content, style: PIL images, paths or arrays; style may be a list of them (see style_blend).
    settings: a StyleSettings; keyword arguments override its fields (or the defaults), e.g.
    iterations=50, style_weight=5, style_blend="0.7,0.3", masks=[...] (one per style, white = where
    that style goes), content_layers / style_layers ("name" or "name=weight"), init ("content",
    "noise" or an image), preserve_colors, style_scale, scales, tile_size, max_side, seed.
    Returns a PIL image (alpha of the content kept) for a PIL image or path, an RGB float32 array in
    [0, 255] for an array.
    """
    from .._tf import quiet_tensorflow

    quiet_tensorflow()
    if style is not None:
        overrides["styles"] = list(style) if isinstance(style, (list, tuple)) else [style]
    settings = StyleSettings.of(settings, **_given(overrides))
    inputs = prepare_style(content, settings)
    rgb = run_style(inputs, settings, progress)
    loaded = inputs.content
    if isinstance(content, LoadedImage):
        return LoadedImage(rgb, loaded.alpha, content.source_mode)
    if isinstance(content, np.ndarray):
        return rgb
    return to_pil(rgb, loaded.alpha)


def synthesize_texture(sample, size=None, settings: TextureSettings | None = None, *, progress=None, **overrides):
    """A new texture of `size` ("WxH" or (width, height); default: the sample's) with the statistics
    of `sample` (a PIL image, path or array), grown from noise. settings: a TextureSettings, whose
    fields keyword arguments override (sample_scale resizes the sample first; 1 keeps its pixels'
    scale). Returns a PIL image, or an RGB float32 array for an array sample."""
    from .._tf import quiet_tensorflow

    quiet_tensorflow()
    if size is not None:
        overrides["size"] = size
    settings = TextureSettings.of(settings, **_given(overrides))
    rgb = run_texture(prepare_texture(sample, settings), settings, progress)
    if isinstance(sample, np.ndarray):
        return rgb
    if isinstance(sample, LoadedImage):
        return LoadedImage(rgb, None, sample.source_mode)
    return to_pil(rgb)
