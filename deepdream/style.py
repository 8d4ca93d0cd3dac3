"""Style transfer and texture synthesis (Gatys, Ecker and Bethge), on the same backbones as dreaming.

The picture is found by *minimising* a loss over its pixels (L-BFGS through SciPy, or Adam):

* content: the squared difference between the picture's and the content image's features at a
  mid-depth layer (VGG16: ``block4_conv2``), relative to the content features' mean square;
* style: for each style layer, the mean squared difference between the picture's Gram matrix and
  the style's, ``G = sum_p m_p f_p f_p^T / sum_p m_p`` over positions ``p`` (``m`` = 1 without a
  mask), divided by the target Grams' mean square averaged over the style layers: the weights then
  hold for any style image, and, as in Gatys et al., the shallow layers (colour, fine texture), whose
  Grams are largest, weigh most, which is also what makes L-BFGS converge fast
  (``NORMALIZE = "layer"`` makes every layer count alike instead);
* total variation: the mean squared difference of neighbouring pixels, which keeps noise down.

Several styles blend their target Grams (``style_blend``); with masks each style has its own Gram,
taken over its own region only. Large pictures are solved coarse to fine (``scales``) and, past
``tile_size``, in tiles: pass 1 sums every tile's Gram contributions into the whole picture's Grams;
pass 2 takes each tile's gradient against those global Grams (the chain rule through the global
Gram, ``dL/dF_tile = 2 F_tile dL/dS / N``), plus its share of the content term. The loss is the
whole picture's, while memory is bounded by the tile. Each tile is computed with a margin of
context (``halo``) around it, whose features are discarded, so tile borders leave no seam; and the
picture is reflect-padded (``PAD``) before the network sees it, so the network's zero padding leaves
no dark frame around the result.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import images
from .errors import InputError, SettingsError

#: Per backbone: (content layers, style layers), each as (layer, weight).
DEFAULT_LAYERS = {
    "vgg16": (
        (("block4_conv2", 1.0),),
        (("block1_conv1", 1.0), ("block2_conv1", 1.0), ("block3_conv1", 1.0), ("block4_conv1", 1.0),
         ("block5_conv1", 1.0)),
    ),
    "inceptionv3": (
        (("mixed3", 1.0),),
        (("conv2d_2", 1.0), ("conv2d_4", 1.0), ("mixed0", 1.0), ("mixed2", 1.0), ("mixed5", 1.0)),
    ),
}
CONTENT_WEIGHT = 1.0
STYLE_WEIGHT = 10.0
TV_WEIGHT = 10.0
ITERATIONS = 200
LEARNING_RATE = 4.0  # Adam's step, in RGB levels
OPTIMIZERS = ("lbfgs", "adam")
NORMALIZE = "global"  # "global": as Gatys et al. (shallow layers weigh most); "layer": every layer alike
HALO = 32  # pixels of context around each tile
PAD = 16  # pixels of reflected picture around the edges, so the network's zero padding leaves no frame

# YIQ, for --preserve-colors: Y is the luminance, I and Q the chroma.
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)


@dataclass(frozen=True)
class StyleProgress:
    """What the optimiser reports after each iteration."""

    scale: int  # 1-based, coarsest first
    scales: int
    iteration: int  # 1-based, within this scale
    iterations: int
    size: tuple[int, int]  # (height, width) at this scale
    sizes: tuple[tuple[int, int], ...]  # every scale's size, smallest first
    losses: dict  # "content", "style", "tv", "total" (weighted, as minimised)
    snapshot: Callable[[], np.ndarray]  # the current picture, RGB float32 [H, W, 3] in [0, 255]


# ---------------------------------------------------------------------------------------- parsing


def parse_size(text) -> tuple[int, int]:
    """'1024x768' (width x height) -> (height, width)."""
    if isinstance(text, (tuple, list)) and len(text) == 2:
        w, h = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(text))
        if not match:
            raise SettingsError(f"Cannot read size {text!r}: write WIDTHxHEIGHT in pixels, e.g. 1024x768.")
        w, h = match.groups()
    try:
        w, h = int(w), int(h)
    except (TypeError, ValueError):
        raise SettingsError(f"Cannot read size {text!r}: write WIDTHxHEIGHT in pixels, e.g. 1024x768.") from None
    if w < 1 or h < 1:
        raise SettingsError(f"The size must be at least 1x1 pixels (got {w}x{h}).")
    if w * h > images.MAX_PIXELS // 2:
        raise SettingsError(f"The size {w}x{h} has too many pixels; the limit is {images.MAX_PIXELS // 2:,}.")
    return h, w


def parse_blend(text, count: int) -> list[float]:
    """'0.7,0.3' (or a sequence of numbers) -> weights summing to 1, one per style."""
    if text is None:
        return [1.0 / count] * count
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    values = []
    for p in parts:
        try:
            v = float(p)
        except (TypeError, ValueError):
            raise SettingsError(f"Cannot read style blend weight {p!r}: give positive numbers, e.g. 0.7,0.3.") from None
        if not (math.isfinite(v) and v > 0):
            raise SettingsError(f"Style blend weights must be positive numbers (got {p}).")
        values.append(v)
    if len(values) != count:
        raise SettingsError(
            f"--style-blend has {len(values)} weight{'s' * (len(values) != 1)} but there "
            f"{'is' if count == 1 else 'are'} {count} style{'s' * (count != 1)}; give one weight per --style."
        )
    total = sum(values)
    return [v / total for v in values]


def layer_weights(specs, backbone, default) -> list[tuple[str, float]]:
    """--content-layer / --style-layer values ('name' or 'name=weight') checked against the backbone."""
    from .objectives import LayerSpec, parse_layer_spec

    if specs is None or (not isinstance(specs, str) and len(specs) == 0):
        return [(backbone.layer(n).name, w) for n, w in default]
    if isinstance(specs, (str, LayerSpec)):
        specs = [specs]
    out = []
    for spec in specs:
        if isinstance(spec, tuple):
            spec = LayerSpec(spec[0], None, float(spec[1]))
        spec = spec if isinstance(spec, LayerSpec) else parse_layer_spec(spec)
        backbone.layer(spec.name)
        if spec.channel is not None:
            raise SettingsError(f"Style and content layers take no channel: write {spec.name} or {spec.name}=WEIGHT.")
        if spec.weight <= 0:
            raise SettingsError(f"The weight of layer {spec.name!r} must be positive (got {spec.weight:g}).")
        out.append((spec.name, spec.weight))
    return out


def default_layers(backbone) -> tuple:
    """(content, style) default layers for a backbone; for one without defaults, spread over its catalog."""
    if backbone.name in DEFAULT_LAYERS:
        return DEFAULT_LAYERS[backbone.name]
    names = [info.name for info in backbone.catalog]
    deep = names[: max(1, (2 * len(names)) // 3)]
    style = [deep[round(i * (len(deep) - 1) / 4)] for i in range(5)]
    return ((names[len(names) // 2], 1.0),), tuple((n, 1.0) for n in dict.fromkeys(style))


def check_style_settings(*, content_weight: float = CONTENT_WEIGHT, style_weight: float = STYLE_WEIGHT,
                         tv_weight: float = TV_WEIGHT, optimizer: str = "lbfgs", iterations: int = ITERATIONS,
                         learning_rate: float = LEARNING_RATE, style_scale: float = 1.0, scales: int = 1,
                         tile_size: int = 512, save_every: int | None = None, max_side: int | None = None,
                         scale_option: str = "--style-scale") -> None:
    """SettingsError for values that cannot work; checked before any model is loaded."""
    for name, value in (("--content-weight", content_weight), ("--tv-weight", tv_weight)):
        if not (math.isfinite(value) and value >= 0):
            raise SettingsError(f"{name} must be a number of at least 0 (got {value:g}).")
    if not (math.isfinite(style_weight) and style_weight > 0):
        raise SettingsError(f"--style-weight must be a positive number (got {style_weight:g}).")
    if optimizer not in OPTIMIZERS:
        raise SettingsError(f"Unknown optimizer {optimizer!r}; choose lbfgs or adam.")
    if not isinstance(iterations, int) or iterations < 1:
        raise SettingsError(f"--iterations must be a whole number of at least 1 (got {iterations}).")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise SettingsError(f"--learning-rate must be a positive number (got {learning_rate:g}).")
    if not (math.isfinite(style_scale) and 0.05 <= style_scale <= 8):
        raise SettingsError(f"{scale_option} must be between 0.05 and 8 (got {style_scale:g}); 1 is a good start.")
    if not isinstance(scales, int) or not 1 <= scales <= 8:
        raise SettingsError(f"--scales must be a whole number from 1 to 8 (got {scales}).")
    if not isinstance(tile_size, int) or tile_size < 64:
        raise SettingsError(f"--tile-size must be at least 64 pixels (got {tile_size}); 512 is a good start.")
    if save_every is not None and (not isinstance(save_every, int) or save_every < 1):
        raise SettingsError(f"--save-every must be a whole number of at least 1 (got {save_every}).")
    if max_side is not None and (not isinstance(max_side, int) or max_side < 1):
        raise SettingsError(f"--max-side must be a positive number of pixels (got {max_side}).")


# ------------------------------------------------------------------------------- colour and masks


def luminance(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ _RGB_TO_YIQ[0]


def to_yiq(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ _RGB_TO_YIQ.T


def from_yiq(yiq: np.ndarray) -> np.ndarray:
    return np.asarray(yiq, np.float32) @ _YIQ_TO_RGB.T


def grey(rgb: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """The luminance as a 3-channel picture; with `like`, its mean and spread matched to like's."""
    y = luminance(rgb)
    if like is not None:
        ref = luminance(like)
        y = (y - y.mean()) * (ref.std() / max(float(y.std()), 1e-3)) + ref.mean()
    return np.repeat(np.clip(y, 0, 255)[..., None], 3, axis=2).astype(np.float32)


def keep_colors(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's chroma (YIQ)."""
    yiq = to_yiq(content)
    yiq[..., 0] = luminance(result)
    return np.clip(from_yiq(yiq), 0, 255).astype(np.float32)


def mask_array(loaded: images.LoadedImage, name: str = "mask") -> np.ndarray:
    """A mask image as floats in [0, 1] (white = the style's region); an all-black mask is an error."""
    m = luminance(loaded.rgb) / 255.0
    if loaded.alpha is not None:
        m = m * (loaded.alpha.astype(np.float32) / 255.0)
    if float(m.max()) < 0.5:
        raise InputError(f"Mask {name} is empty (no white pixels); paint the region its style should cover white.")
    return np.clip(m, 0, 1).astype(np.float32)


def _resize_plane(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D float array by area averaging (shrink) or bilinear (enlarge)."""
    import tensorflow as tf

    if plane.shape == tuple(size):
        return plane.astype(np.float32)
    shrink = size[0] * size[1] < plane.shape[0] * plane.shape[1]
    out = tf.image.resize(plane[..., None], size, method="area" if shrink else "bilinear")
    return out.numpy()[..., 0].astype(np.float32)


def _resize_rgb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if rgb.shape[:2] == tuple(size):
        return np.asarray(rgb, np.float32)
    return images.resize_array(rgb, size)


# ------------------------------------------------------------------------------------------ tiles


@dataclass(frozen=True)
class Tile:
    """A tile's core [y0, y1) x [x0, x1) (picture coordinates) and the extended box, with its halo,
    that the network sees (coordinates in the picture padded by `pad` on every side)."""

    y0: int
    y1: int
    x0: int
    x1: int
    ey0: int
    ey1: int
    ex0: int
    ex1: int
    pad: int = 0

    def crop(self, stride: int) -> tuple[list[int], list[int]]:
        """For a layer of this stride: the core's rows/cols in the extended tile's features, and in the
        whole picture's features: ([r0, r1, c0, c1], [R0, R1, C0, C1])."""
        R0, R1 = self.y0 // stride, -(-self.y1 // stride)
        C0, C1 = self.x0 // stride, -(-self.x1 // stride)
        r0, c0 = (self.y0 + self.pad - self.ey0) // stride, (self.x0 + self.pad - self.ex0) // stride
        return [r0, r0 + R1 - R0, c0, c0 + C1 - C0], [R0, R1, C0, C1]


def _segments(length: int, tile: int) -> list[tuple[int, int]]:
    """[0, length) cut at multiples of tile; a last piece under a quarter tile joins its neighbour."""
    cuts = list(range(0, length, tile)) + [length]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < tile // 4:
        del cuts[-2]
    return list(zip(cuts[:-1], cuts[1:]))


def make_tiles(height: int, width: int, tile_size: int, align: int, halo: int, pad: int = 0) -> list[Tile]:
    """Tiles covering the picture, their corners on multiples of `align` (the deepest layer's stride),
    so each tile's features line up with the whole picture's; each extended by `halo` (rounded up to
    a multiple of align) on every side, within the picture padded by `pad` (a multiple of align)."""
    tile = max(align, tile_size // align * align)
    halo = -(-halo // align) * align
    H, W = height + 2 * pad, width + 2 * pad
    if height <= tile and width <= tile:
        return [Tile(0, height, 0, width, 0, H, 0, W, pad)]
    return [Tile(y0, y1, x0, x1, max(0, y0 + pad - halo), min(H, y1 + pad + halo), max(0, x0 + pad - halo),
                 min(W, x1 + pad + halo), pad)
            for y0, y1 in _segments(height, tile) for x0, x1 in _segments(width, tile)]


# ----------------------------------------------------------------------------------------- losses


def gram(features, mask=None):
    """Gram matrix of features [H, W, C] (or [1, H, W, C]): sum_p m_p f_p f_p^T / sum_p m_p, [C, C]."""
    import tensorflow as tf

    f = tf.convert_to_tensor(features, tf.float32)
    f = tf.reshape(f, [-1, f.shape[-1]])
    if mask is None:
        return tf.matmul(f, f, transpose_a=True) / tf.cast(tf.shape(f)[0], tf.float32)
    m = tf.reshape(tf.convert_to_tensor(mask, tf.float32), [-1, 1])
    return tf.matmul(f * m, f, transpose_a=True) / tf.maximum(tf.reduce_sum(m), 1e-6)


def _gram_sums(core, masks):
    """sum_p m_kp f_p f_p^T for each mask k: core [h, w, C], masks [K, h, w] -> [K, C, C]."""
    import tensorflow as tf

    c = tf.shape(core)[-1]
    f = tf.reshape(core, [-1, c])
    m = tf.reshape(masks, [tf.shape(masks)[0], -1, 1])
    return tf.matmul(f[None] * m, f[None], transpose_a=True)


def tv_loss(image, pixel_scale: float = 1.0):
    """Total variation of a model-space picture [H, W, 3]: the mean squared difference of neighbours,
    in units of the full RGB range squared."""
    import tensorflow as tf

    dy = image[1:] - image[:-1]
    dx = image[:, 1:] - image[:, :-1]
    return (tf.reduce_mean(dy * dy) + tf.reduce_mean(dx * dx)) / (255.0 * pixel_scale) ** 2


class StyleLoss:
    """The total loss of a picture, and its gradient, for one backbone and set of layers.

    `measure` gives a picture's Gram sums and content features (tile by tile); `set_targets` fixes
    what to match; calling the object gives (loss terms, gradient) of a model-space picture. Its
    TensorFlow functions take any size (their shapes are left open) and are traced once each;
    `traces` counts the traces.
    """

    def __init__(self, backbone, content_layers: Sequence[tuple[str, float]],
                 style_layers: Sequence[tuple[str, float]], tile_size: int = 512, halo: int = HALO,
                 pad: int = PAD):
        import tensorflow as tf

        self.backbone = backbone
        self.content_layers = list(content_layers)
        self.style_layers = list(style_layers)
        self.names = list(dict.fromkeys([n for n, _ in self.content_layers] + [n for n, _ in self.style_layers]))
        self.strides = {n: backbone.layer(n).stride for n in self.names}
        self.channels = {n: backbone.layer(n).channels for n in self.names}
        self.align = max(self.strides.values())
        self.tile_size = int(tile_size)
        self.halo = int(halo)
        self.pad = -(-int(pad) // self.align) * self.align
        self._model = backbone.feature_model(self.names)
        self.traces = 0
        self.targets = None
        ns, nc = len(self.style_layers), len(self.content_layers)
        image = tf.TensorSpec([None, None, 3], tf.float32)
        crops = tf.TensorSpec([len(self.names), 4], tf.int32)
        masks = [tf.TensorSpec([None, None, None], tf.float32) for _ in range(ns)]
        grams = [tf.TensorSpec([None, self.channels[n], self.channels[n]], tf.float32) for n, _ in self.style_layers]
        per_group = [tf.TensorSpec([None], tf.float32) for _ in range(ns)]
        content = [tf.TensorSpec([None, None, self.channels[n]], tf.float32) for n, _ in self.content_layers]
        coefs = tf.TensorSpec([nc], tf.float32)
        scalar = tf.TensorSpec([], tf.float32)
        self._pass1 = tf.function(self._trace_pass1, input_signature=[image, crops, masks])
        self._pass2 = tf.function(self._trace_pass2, input_signature=[image, crops, masks, grams, content, coefs])
        self._whole = tf.function(self._trace_whole, input_signature=[
            image, crops, masks, grams, per_group, per_group, content, coefs])
        self._tv = tf.function(self._trace_tv, input_signature=[image, scalar])
        self._fold = tf.function(self._trace_fold, input_signature=[image, image, tf.TensorSpec([], tf.int32)])

    # -- traced functions -------------------------------------------------------------------
    def _features(self, tile):
        outputs = self._model(tile[None], training=False)
        if len(self.names) == 1:
            outputs = [outputs]
        return dict(zip(self.names, (o[0] for o in outputs)))

    def _cores(self, tile, crops):
        feats = self._features(tile)
        cores = {}
        for i, name in enumerate(self.names):
            r0, r1, c0, c1 = crops[i, 0], crops[i, 1], crops[i, 2], crops[i, 3]
            cores[name] = feats[name][r0:r1, c0:c1]
        return cores

    def _trace_pass1(self, tile, crops, masks):
        self.traces += 1
        cores = self._cores(tile, crops)
        sums = [_gram_sums(cores[n], m) for (n, _), m in zip(self.style_layers, masks)]
        return sums, [cores[n] for n, _ in self.content_layers]

    def _trace_pass2(self, tile, crops, masks, dsums, content_targets, content_coefs):
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(tile)
            cores = self._cores(tile, crops)
            surrogate = tf.constant(0.0)
            for (n, _), m, d in zip(self.style_layers, masks, dsums):
                surrogate += tf.reduce_sum(_gram_sums(cores[n], m) * d)
            content = tf.constant(0.0)
            for i, ((n, _), p) in enumerate(zip(self.content_layers, content_targets)):
                content += content_coefs[i] * tf.reduce_sum(tf.square(cores[n] - p))
            total = surrogate + content
        return tape.gradient(total, tile), content

    def _trace_whole(self, image, crops, masks, targets, coefs, norms, content_targets, content_coefs):
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(image)
            feats = self._cores(image, crops)
            style = tf.constant(0.0)
            for (n, _), m, a, k, norm in zip(self.style_layers, masks, targets, coefs, norms):
                g = _gram_sums(feats[n], m) / norm[:, None, None]
                style += tf.reduce_sum(k[:, None, None] * tf.square(g - a))
            content = tf.constant(0.0)
            for i, ((n, _), p) in enumerate(zip(self.content_layers, content_targets)):
                content += content_coefs[i] * tf.reduce_sum(tf.square(feats[n] - p))
            total = style + content
        return tape.gradient(total, image), content, style

    def _trace_fold(self, image, padded_gradient, pad):
        """The gradient with respect to the picture of a gradient with respect to its reflect-padding."""
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(image)
            padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        return tape.gradient(padded, image, output_gradients=padded_gradient)

    def _trace_tv(self, image, coef):
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(image)
            value = coef * tv_loss(image, self.backbone.pixel_scale)
        return tape.gradient(value, image), value

    # -- helpers ------------------------------------------------------------------------------
    def layer_size(self, height: int, width: int, name: str) -> tuple[int, int]:
        s = self.strides[name]
        return -(-height // s), -(-width // s)

    def pad_for(self, height: int, width: int) -> int:
        """The reflect padding for a picture: PAD, less where the picture is too small to reflect."""
        return max(0, min(self.pad, (min(height, width) - 1) // self.align * self.align))

    def tiles(self, height: int, width: int) -> list[Tile]:
        return make_tiles(height, width, self.tile_size, self.align, self.halo, self.pad_for(height, width))

    def _padded(self, image: np.ndarray) -> np.ndarray:
        p = self.pad_for(*image.shape[:2])
        return np.pad(image, ((p, p), (p, p), (0, 0)), mode="reflect") if p else image

    def layer_masks(self, masks: np.ndarray | None, height: int, width: int) -> list[np.ndarray]:
        """Masks [K, H, W] (None: one all-ones mask) resized to each style layer: [K, h, w] each."""
        out = []
        for name, _ in self.style_layers:
            size = self.layer_size(height, width, name)
            if masks is None:
                out.append(np.ones((1,) + size, np.float32))
            else:
                out.append(np.stack([_resize_plane(m, size) for m in masks]))
        return out

    def _crops(self, tile: Tile):
        local, whole = zip(*(tile.crop(self.strides[n]) for n in self.names))
        return np.asarray(local, np.int32), dict(zip(self.names, whole))

    # -- measuring and targets -----------------------------------------------------------------
    def measure(self, image, masks: np.ndarray | None = None, content: bool = True, layer_masks=None):
        """A model-space picture's normalised Grams (per style layer, [K, C, C], one per mask) and
        content features (per content layer, whole-picture arrays), tile by tile. layer_masks: the
        masks already resized to each style layer (instead of masks)."""
        import tensorflow as tf

        image = np.asarray(image, np.float32)
        h, w = image.shape[:2]
        lmasks = layer_masks if layer_masks is not None else self.layer_masks(masks, h, w)
        sums = [np.zeros((m.shape[0], self.channels[n], self.channels[n]), np.float64)
                for (n, _), m in zip(self.style_layers, lmasks)]
        feats = {n: np.zeros(self.layer_size(h, w, n) + (self.channels[n],), np.float32)
                 for n, _ in self.content_layers} if content else {}
        padded = self._padded(image)
        for tile in self.tiles(h, w):
            local, whole = self._crops(tile)
            tm = [tf.constant(m[:, whole[n][0]:whole[n][1], whole[n][2]:whole[n][3]])
                  for (n, _), m in zip(self.style_layers, lmasks)]
            s, c = self._pass1(tf.constant(padded[tile.ey0:tile.ey1, tile.ex0:tile.ex1]), tf.constant(local), tm)
            for acc, part in zip(sums, s):
                acc += part.numpy()
            for (n, _), part in zip(self.content_layers, c):
                if content:
                    R0, R1, C0, C1 = whole[n]
                    feats[n][R0:R1, C0:C1] = part.numpy()
        norms = [np.maximum(m.reshape(m.shape[0], -1).sum(1), 1e-6) for m in lmasks]
        grams = [(s / nm[:, None, None]).astype(np.float32) for s, nm in zip(sums, norms)]
        return grams, feats

    def set_targets(self, *, style_grams, group_weights, content_features=None, masks=None,
                    size: tuple[int, int], content_weight: float, style_weight: float, tv_weight: float):
        """Fix the targets for pictures of `size`: style_grams per style layer [K, C, C] (one per
        group: a mask, or the one blended style), group_weights [K], content features per content
        layer (None: no content term), masks [K, H, W] or None."""
        h, w = size
        lmasks = self.layer_masks(masks, h, w)
        norms = [np.maximum(m.reshape(m.shape[0], -1).sum(1), 1e-6).astype(np.float32) for m in lmasks]
        total_w = sum(wt for _, wt in self.style_layers)
        coefs = []
        layer_scales = [np.mean(np.square(a.astype(np.float64)), axis=(1, 2)) + 1e-12 for a in style_grams]
        if NORMALIZE == "global":
            mean_scale = np.mean(layer_scales, axis=0)
            layer_scales = [mean_scale for _ in layer_scales]
        for (n, wt), a, scale in zip(self.style_layers, style_grams, layer_scales):
            coefs.append((style_weight * wt / total_w * np.asarray(group_weights, np.float64)
                          / (scale * self.channels[n] ** 2)).astype(np.float32))
        ccoefs, ctargets = [], []
        total_cw = sum(wt for _, wt in self.content_layers) or 1.0
        for n, wt in self.content_layers:
            if content_features is None or content_weight == 0:
                ccoefs.append(0.0)
                ctargets.append(np.zeros(self.layer_size(h, w, n) + (self.channels[n],), np.float32))
            else:
                p = content_features[n]
                ccoefs.append(content_weight * wt / total_cw / (p.size * (float(np.mean(np.square(p))) + 1e-12)))
                ctargets.append(p)
        self.targets = dict(size=(h, w), masks=lmasks, norms=norms, grams=[np.asarray(a, np.float32) for a in style_grams],
                            coefs=coefs, content=ctargets, content_coefs=np.asarray(ccoefs, np.float32),
                            tv=np.float32(tv_weight))

    # -- the loss --------------------------------------------------------------------------------
    def __call__(self, image) -> tuple[dict, np.ndarray]:
        """({'content', 'style', 'tv', 'total'}, gradient) for a model-space picture [H, W, 3]."""
        import tensorflow as tf

        t = self.targets
        image = np.asarray(image, np.float32)
        h, w = image.shape[:2]
        if (h, w) != t["size"]:
            raise ValueError(f"targets were set for {t['size']}, not {(h, w)}")
        tiles = self.tiles(h, w)
        padded = self._padded(image)
        pad = tf.constant(tiles[0].pad, tf.int32)
        tv_grad, tv = self._tv(tf.constant(image), tf.constant(t["tv"]))
        if len(tiles) == 1:
            local, _ = self._crops(tiles[0])
            grad, content, style = self._whole(
                tf.constant(padded), tf.constant(local), [tf.constant(m) for m in t["masks"]],
                [tf.constant(a) for a in t["grams"]], [tf.constant(k) for k in t["coefs"]],
                [tf.constant(n) for n in t["norms"]], [tf.constant(p) for p in t["content"]],
                tf.constant(t["content_coefs"]))
            grad = self._fold(tf.constant(image), grad, pad) + tv_grad
            terms = dict(content=float(content), style=float(style), tv=float(tv))
            terms["total"] = terms["content"] + terms["style"] + terms["tv"]
            return terms, grad.numpy()
        # Pass 1: the whole picture's Grams, summed tile by tile.
        grams, _ = self.measure(image, content=False, layer_masks=t["masks"])
        style, dsums = 0.0, []
        for g, a, k, norm, (n, _) in zip(grams, t["grams"], t["coefs"], t["norms"], self.style_layers):
            diff = g.astype(np.float64) - a
            style += float(np.sum(k[:, None, None] * diff * diff))
            dsums.append((2.0 * k[:, None, None] * diff / norm[:, None, None]).astype(np.float32))
        # Pass 2: each tile's gradient against the global Grams, plus its share of the content term.
        grad = np.zeros_like(padded)
        content = 0.0
        for tile in tiles:
            local, whole = self._crops(tile)
            tm = [tf.constant(m[:, whole[n][0]:whole[n][1], whole[n][2]:whole[n][3]])
                  for (n, _), m in zip(self.style_layers, t["masks"])]
            tc = [tf.constant(p[whole[n][0]:whole[n][1], whole[n][2]:whole[n][3]])
                  for (n, _), p in zip(self.content_layers, t["content"])]
            g, c = self._pass2(tf.constant(padded[tile.ey0:tile.ey1, tile.ex0:tile.ex1]), tf.constant(local), tm,
                               [tf.constant(d) for d in dsums], tc, tf.constant(t["content_coefs"]))
            grad[tile.ey0:tile.ey1, tile.ex0:tile.ex1] += g.numpy()
            content += float(c)
        grad = (self._fold(tf.constant(image), tf.constant(grad), pad) + tv_grad).numpy()
        terms = dict(content=content, style=style, tv=float(tv))
        terms["total"] = content + style + terms["tv"]
        return terms, grad


# ------------------------------------------------------------------------------------- optimisers


def _minimise_lbfgs(loss: StyleLoss, x0: np.ndarray, iterations: int, report: Callable[[int, dict, np.ndarray], None]):
    from scipy.optimize import Bounds, minimize

    shape = x0.shape
    low = np.broadcast_to(loss.backbone.low, shape).ravel().astype(np.float64)
    high = np.broadcast_to(loss.backbone.high, shape).ravel().astype(np.float64)
    last = {}
    # L-BFGS-B's first step on a bounded problem is the gradient itself: scale the loss so the first
    # gradient is about one RGB level per pixel, or that step vanishes in float32 and the search stalls.
    _, grad0 = loss(x0.astype(np.float32))
    factor = 1.0 / max(float(np.mean(np.abs(grad0))) / loss.backbone.pixel_scale, 1e-20)

    def fun(x):
        terms, grad = loss(x.reshape(shape).astype(np.float32))
        last["terms"] = terms
        return factor * terms["total"], factor * grad.ravel().astype(np.float64)

    done = 0
    x = np.clip(x0.ravel().astype(np.float64), low, high)

    def callback(xk):
        nonlocal done
        done += 1
        report(done, last["terms"], xk.reshape(shape).astype(np.float32))

    maxcor = 10 if x.size < 20_000_000 else 5  # L-BFGS keeps 2 x maxcor copies of the picture
    while done < iterations:
        before = done
        result = minimize(fun, x, jac=True, method="L-BFGS-B", bounds=Bounds(low, high), callback=callback,
                          options=dict(maxiter=iterations - done, maxfun=2 * (iterations - done) + 20,
                                       maxcor=maxcor, ftol=0.0, gtol=0.0))
        x = result.x
        if done == before:  # the line search cannot go on: the loss is as low as it gets
            break
    return x.reshape(shape).astype(np.float32)


def _minimise_adam(loss: StyleLoss, x0: np.ndarray, iterations: int, learning_rate: float,
                   report: Callable[[int, dict, np.ndarray], None]):
    lr = learning_rate * loss.backbone.pixel_scale
    b1, b2, eps = 0.9, 0.999, 1e-8
    x = np.clip(x0, loss.backbone.low, loss.backbone.high).astype(np.float32)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, iterations + 1):
        terms, g = loss(x)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x = np.clip(x - step, loss.backbone.low, loss.backbone.high).astype(np.float32)
        report(t, terms, x)
    return x


# ------------------------------------------------------------------------------------ the engine


def colour_noise(rng, size: tuple[int, int], like: np.ndarray) -> np.ndarray:
    """Gaussian noise with the mean and colour covariance of `like` (grey noise for a grey picture),
    at half its spread: a starting point of the right colours, with no structure."""
    pixels = np.asarray(like, np.float64).reshape(-1, 3)
    mean, cov = pixels.mean(0), np.cov(pixels, rowvar=False) + 1e-6 * np.eye(3)
    noise = rng.standard_normal((size[0] * size[1], 3)) @ np.linalg.cholesky(cov).T * 0.5 + mean
    return np.clip(noise, 0, 255).reshape(size + (3,)).astype(np.float32)


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
    if relative_to_output:
        k = style_scale * max(out_size) / max(h, w) * factor
    else:
        k = style_scale * factor
    return max(1, round(h * k)), max(1, round(w * k))


def transfer(backbone, *, content: np.ndarray | None, styles: Sequence[np.ndarray], size: tuple[int, int],
             blend: Sequence[float] | None = None, masks: Sequence[np.ndarray] | None = None,
             content_layers=None, style_layers=None, content_weight: float = CONTENT_WEIGHT,
             style_weight: float = STYLE_WEIGHT, tv_weight: float = TV_WEIGHT, optimizer: str = "lbfgs",
             iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE, init="content",
             preserve_colors: bool = False, style_scale: float = 1.0, style_relative_to_output: bool = True,
             scales: int = 1, tile_size: int = 512, halo: int = HALO, seed: int | None = 0,
             progress: Callable[[StyleProgress], None] | None = None, loss: StyleLoss | None = None) -> np.ndarray:
    """The engine: RGB arrays in, an RGB float32 array [H, W, 3] in [0, 255] of `size` (h, w) out.

    content: RGB [H, W, 3] or None (a texture); styles: RGB arrays; blend: one weight per style
    (summing to 1); masks: one [H, W] array in [0, 1] per style, or None; init: "content", "noise" or
    an RGB array.
    """
    h, w = size
    rng = np.random.default_rng(seed)
    cl_default, sl_default = default_layers(backbone)
    content_layers = layer_weights(content_layers, backbone, cl_default)
    style_layers = layer_weights(style_layers, backbone, sl_default)
    if content is None:
        content_weight, content_layers = 0.0, []
    blend = list(blend) if blend is not None else [1.0 / len(styles)] * len(styles)
    if preserve_colors:
        reference = content if content is not None else styles[0]
        styles = [grey(s, like=reference) for s in styles]
        colour_content = None if content is None else _resize_rgb(content, size)
        content = None if content is None else grey(content)
        if isinstance(init, np.ndarray):
            init = grey(init)
    if loss is None:
        loss = StyleLoss(backbone, content_layers, style_layers, tile_size=tile_size, halo=halo)
    sizes = scale_sizes(h, w, scales, backbone.min_size)
    image = None
    for index, (sh, sw) in enumerate(sizes):
        factor = sh / h
        # The targets at this scale.
        per_style = []
        for s in styles:
            ssize = _style_size(s.shape, (h, w), style_scale, style_relative_to_output, factor)
            if min(ssize) < backbone.min_size:
                raise SettingsError(
                    f"The style image would be {ssize[1]}x{ssize[0]} pixels at this scale, under the "
                    f"{backbone.min_size} pixels {backbone.name} needs; raise --style-scale or use fewer --scales.")
            grams, _ = loss.measure(backbone.preprocess(_resize_rgb(s, ssize)).numpy(), content=False)
            per_style.append([g[0] for g in grams])
        scale_masks = None
        if masks is not None:
            scale_masks = np.stack([_resize_plane(m, (sh, sw)) for m in masks])
            targets = [np.stack([ps[i] for ps in per_style]) for i in range(len(style_layers))]
            group_weights = np.asarray(blend, np.float64) * len(styles)
        else:
            targets = [sum(b * ps[i] for b, ps in zip(blend, per_style))[None] for i in range(len(style_layers))]
            group_weights = np.ones(1)
        content_features = None
        if content is not None and content_weight > 0:
            _, content_features = loss.measure(backbone.preprocess(_resize_rgb(content, (sh, sw))).numpy())
        loss.set_targets(style_grams=targets, group_weights=group_weights, content_features=content_features,
                         masks=scale_masks, size=(sh, sw), content_weight=content_weight,
                         style_weight=style_weight, tv_weight=tv_weight)
        # The starting picture at this scale.
        if image is not None:
            x0 = _resize_rgb(image, (sh, sw))
        elif isinstance(init, np.ndarray):
            x0 = _resize_rgb(init, (sh, sw))
        elif init == "content" and content is not None:
            x0 = _resize_rgb(content, (sh, sw))
        else:
            x0 = colour_noise(rng, (sh, sw), content if content is not None else styles[0])
        x0 = backbone.preprocess(x0).numpy()

        def finish(x, sh=sh, sw=sw):
            rgb = np.clip(backbone.deprocess(x).numpy(), 0, 255).astype(np.float32)
            if preserve_colors and colour_content is not None:
                rgb = keep_colors(rgb, _resize_rgb(colour_content, (sh, sw)))
            return rgb

        def report(iteration, terms, x, index=index, sh=sh, sw=sw, finish=finish):
            if progress is not None:
                progress(StyleProgress(index + 1, len(sizes), iteration, iterations, (sh, sw), tuple(sizes),
                                       dict(terms), lambda: finish(x)))

        if optimizer == "adam":
            x = _minimise_adam(loss, x0, iterations, learning_rate, report)
        else:
            x = _minimise_lbfgs(loss, x0, iterations, report)
        image = np.clip(backbone.deprocess(x).numpy(), 0, 255).astype(np.float32)
    if preserve_colors and colour_content is not None:
        image = keep_colors(image, colour_content)
    return image


# ---------------------------------------------------------------------------------------- the API


def _check_masks(masks, count: int, size: tuple[int, int]) -> list[np.ndarray] | None:
    if masks is None or len(masks) == 0:
        return None
    if len(masks) != count:
        raise SettingsError(
            f"There {'is' if len(masks) == 1 else 'are'} {len(masks)} mask{'s' * (len(masks) != 1)} for "
            f"{count} style{'s' * (count != 1)}; give one --mask per --style, or none."
        )
    from .api import as_loaded

    out = []
    for i, m in enumerate(masks):
        name = f"'{m}'" if isinstance(m, (str, bytes)) or hasattr(m, "__fspath__") else f"number {i + 1}"
        arr = mask_array(as_loaded(m), name)
        if arr.shape != tuple(size):
            arr = np.clip(_resize_plane(arr, size), 0, 1)
        out.append(arr)
    return out


def _as_result(rgb, original, loaded):
    if isinstance(original, images.LoadedImage):
        return images.LoadedImage(rgb, loaded.alpha if loaded is not None else None, original.source_mode)
    if isinstance(original, np.ndarray):
        return rgb
    return images.to_pil(rgb, loaded.alpha if loaded is not None else None)


def _init(init, rng_default: str):
    from .api import as_loaded

    if init is None:
        return rng_default
    if isinstance(init, str) and init in ("content", "noise"):
        return init
    return as_loaded(init).rgb


def stylize(content, style, *, style_blend=None, masks=None, backbone: str = "vgg16", weights=None,
            content_layers=None, style_layers=None, content_weight: float = CONTENT_WEIGHT,
            style_weight: float = STYLE_WEIGHT, tv_weight: float = TV_WEIGHT, optimizer: str = "lbfgs",
            iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE, init="content",
            preserve_colors: bool = False, style_scale: float = 1.0, scales: int = 1, tile_size: int = 512,
            max_side: int | None = None, seed: int | None = 0, progress=None):
    """Paint `content` in the style of `style` (Gatys et al.).

    content, style: PIL images, paths or arrays; style may be a list of them (see style_blend).
    style_blend: one positive weight per style ("0.7,0.3" or a list), blending their Grams.
    masks: one mask per style (white = where that style goes), sized like the content (else resized).
    content_layers / style_layers: "name" or "name=weight" strings; None for the backbone's defaults.
    init: "content", "noise", or an image to start from. preserve_colors: keep the content's colours.
    style_scale: the style image's longer side relative to the output's. scales: coarse-to-fine
    levels (each halves the size). tile_size: pictures larger than this are computed in tiles.
    Returns a PIL image (alpha of the content kept) for a PIL image or path, an RGB float32 array in
    [0, 255] for an array.
    """
    from .api import as_loaded
    from .backbones import load_backbone

    check_style_settings(content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                         optimizer=optimizer, iterations=iterations, learning_rate=learning_rate,
                         style_scale=style_scale, scales=scales, tile_size=tile_size, max_side=max_side)
    styles_in = list(style) if isinstance(style, (list, tuple)) else [style]
    if not styles_in:
        raise SettingsError("Give at least one style image.")
    loaded = as_loaded(content)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    size = loaded.rgb.shape[:2]
    blend = parse_blend(style_blend, len(styles_in))
    mask_arrays = _check_masks(masks, len(styles_in), size)
    styles = [as_loaded(s).rgb for s in styles_in]
    init_value = _init(init, "content")
    net = load_backbone(backbone, weights)
    _check_min(size, net, "content image")
    rgb = transfer(net, content=loaded.rgb, styles=styles, size=size, blend=blend, masks=mask_arrays,
                   content_layers=content_layers, style_layers=style_layers, content_weight=content_weight,
                   style_weight=style_weight, tv_weight=tv_weight, optimizer=optimizer, iterations=iterations,
                   learning_rate=learning_rate, init=init_value, preserve_colors=preserve_colors,
                   style_scale=style_scale, scales=scales, tile_size=tile_size, seed=seed, progress=progress)
    return _as_result(rgb, content, loaded)


def synthesize_texture(sample, size=None, *, backbone: str = "vgg16", weights=None, style_layers=None,
                       style_weight: float = STYLE_WEIGHT, tv_weight: float = TV_WEIGHT, optimizer: str = "lbfgs",
                       iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE, init="noise",
                       sample_scale: float = 1.0, scales: int = 1, tile_size: int = 512,
                       seed: int | None = 0, progress=None):
    """A new texture of `size` ("WxH" or (width, height); default: the sample's) with the statistics
    of `sample` (a PIL image, path or array), grown from noise. sample_scale resizes the sample first
    (1 keeps its pixels' scale). Returns a PIL image, or an RGB float32 array for an array sample."""
    from .api import as_loaded
    from .backbones import load_backbone

    check_style_settings(style_weight=style_weight, tv_weight=tv_weight, optimizer=optimizer,
                         iterations=iterations, learning_rate=learning_rate, style_scale=sample_scale,
                         scales=scales, tile_size=tile_size, scale_option="sample_scale")
    loaded = as_loaded(sample)
    out_size = loaded.rgb.shape[:2] if size is None else parse_size(size)
    init_value = _init(init, "noise")
    if isinstance(init_value, str) and init_value == "content":
        init_value = "noise"
    net = load_backbone(backbone, weights)
    _check_min(out_size, net, "texture")
    rgb = transfer(net, content=None, styles=[loaded.rgb], size=out_size, style_layers=style_layers,
                   style_weight=style_weight, tv_weight=tv_weight, optimizer=optimizer, iterations=iterations,
                   learning_rate=learning_rate, init=init_value, style_scale=sample_scale,
                   style_relative_to_output=False, scales=scales, tile_size=tile_size, seed=seed,
                   progress=progress)
    if isinstance(sample, np.ndarray):
        return rgb
    if isinstance(sample, images.LoadedImage):
        return images.LoadedImage(rgb, None, sample.source_mode)
    return images.to_pil(rgb)


def _check_min(size, backbone, what: str) -> None:
    if min(size) < backbone.min_size:
        raise SettingsError(
            f"The {what} is {size[1]}x{size[0]} pixels; backbone {backbone.name!r} needs at least "
            f"{backbone.min_size} pixels on each side."
        )


def benchmark_iteration(backbone, size: int | tuple[int, int] = 512, tile_size: int = 512, repeats: int = 2,
                        seed: int = 0) -> dict:
    """Time one optimiser iteration (one loss-and-gradient evaluation) of style transfer on a random
    picture of `size` (a side, or (height, width)), with the default layers. For scripts/bench.py.

    Returns seconds_per_iteration, height, width, tile_size, tiles, traces, backbone and
    process_peak_rss_mib (the whole process's peak resident memory so far)."""
    if isinstance(backbone, str):
        from .backbones import load_backbone

        backbone = load_backbone(backbone)
    h, w = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(seed)
    content_layers, style_layers = default_layers(backbone)
    loss = StyleLoss(backbone, content_layers, style_layers, tile_size=tile_size)
    content = backbone.preprocess(rng.uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    style = backbone.preprocess(rng.uniform(0, 255, (min(h, 256), min(w, 256), 3)).astype(np.float32)).numpy()
    grams, _ = loss.measure(style, content=False)
    _, feats = loss.measure(content)
    loss.set_targets(style_grams=grams, group_weights=[1.0], content_features=feats, size=(h, w),
                     content_weight=CONTENT_WEIGHT, style_weight=STYLE_WEIGHT, tv_weight=TV_WEIGHT)
    x = backbone.preprocess(rng.uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    loss(x)  # trace
    start = time.perf_counter()
    for _ in range(repeats):
        loss(x)
    seconds = (time.perf_counter() - start) / repeats
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return dict(seconds_per_iteration=seconds, height=h, width=w, tile_size=tile_size,
                tiles=len(loss.tiles(h, w)), traces=loss.traces, backbone=backbone.name,
                process_peak_rss_mib=round(peak, 1))
