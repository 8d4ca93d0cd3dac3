"""The loss of style transfer and texture synthesis, and its gradient, tile by tile.

* content: the squared difference between the picture's and the content image's features at the
  content layers, relative to the content features' mean square;
* style: for each style layer, the mean squared difference between the picture's Gram matrix and
  the style's, ``G = sum_p m_p f_p f_p^T / sum_p m_p`` over positions ``p`` (``m`` = 1 without a
  mask), divided by the target Grams' mean square averaged over the style layers: the weights then
  hold for any style image, and, as in Gatys et al., the shallow layers (colour, fine texture), whose
  Grams are largest, weigh most (``NORMALIZE = "layer"`` makes every layer count alike instead);
* total variation: the mean squared difference of neighbouring pixels, which keeps noise down.

Past ``tile_size`` the picture is computed in tiles (see tiles.py): pass 1 sums every tile's Gram
contributions into the whole picture's Grams; pass 2 takes each tile's gradient against those global
Grams (the chain rule through the global Gram, ``dL/dF_tile = 2 F_tile dL/dS / N``), plus its share
of the content term. The loss is the whole picture's, while memory is bounded by the tile. The
picture is reflect-padded (``PAD``) before the network sees it, so the network's zero padding leaves
no dark frame around the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..images import resize_array
from .tiles import HALO, PAD, Tile, make_tiles

NORMALIZE = "global"  # "global": as Gatys et al. (shallow layers weigh most); "layer": every layer alike


def gram(features, mask=None):
    """Gram matrix of features [H, W, C] (or [1, H, W, C]): sum_p m_p f_p f_p^T / sum_p m_p, [C, C]."""
    import tensorflow as tf

    f = tf.convert_to_tensor(features, tf.float32)
    f = tf.reshape(f, [-1, f.shape[-1]])
    if mask is None:
        return tf.matmul(f, f, transpose_a=True) / tf.cast(tf.shape(f)[0], tf.float32)
    m = tf.reshape(tf.convert_to_tensor(mask, tf.float32), [-1, 1])
    return tf.matmul(f * m, f, transpose_a=True) / tf.maximum(tf.reduce_sum(m), 1e-6)


def gram_sums(core, masks):
    """sum_p m_kp f_p f_p^T for each mask k: core [h, w, C], masks [K, h, w] -> [K, C, C]."""
    import tensorflow as tf

    c = tf.shape(core)[-1]
    f = tf.reshape(core, [-1, c])
    m = tf.reshape(masks, [tf.shape(masks)[0], -1, 1])
    return tf.matmul(f[None] * m, f[None], transpose_a=True)


def sum_of_squares(a: np.ndarray, chunk: int = 1 << 20) -> float:
    """sum(a * a) accumulated in float64, chunk by chunk (no picture-sized temporary)."""
    flat = a.reshape(-1)
    return float(sum(float(np.dot(flat[i : i + chunk], flat[i : i + chunk])) for i in range(0, flat.size, chunk)))


def tv_loss_and_gradient(
    image: np.ndarray, weight: float, pixel_scale: float = 1.0, out: np.ndarray | None = None, band: int = 256
) -> tuple[float, np.ndarray]:
    """Total variation of a model-space picture [H, W, 3] (the mean squared difference of
    neighbours, in units of the full RGB range squared) times `weight`, and its gradient (added to
    `out` if given). Computed in bands of rows, so no picture-sized temporary is made."""
    h, w = image.shape[:2]
    unit = weight / (255.0 * pixel_scale) ** 2
    grad = np.zeros_like(image, dtype=np.float32) if out is None else out
    value = 0.0
    counts = ((h - 1) * w * 3, h * (w - 1) * 3)
    for y0 in range(0, h, band):
        y1 = min(h, y0 + band)
        last = min(y1, h - 1)  # vertical neighbours: rows y and y + 1 for y in [y0, last)
        if last > y0:
            d = image[y0 + 1 : last + 1] - image[y0:last]
            value += unit * sum_of_squares(d) / counts[0]
            d *= np.float32(2 * unit / counts[0])
            grad[y0 + 1 : last + 1] += d
            grad[y0:last] -= d
        if counts[1]:  # horizontal neighbours
            d = image[y0:y1, 1:] - image[y0:y1, :-1]
            value += unit * sum_of_squares(d) / counts[1]
            d *= np.float32(2 * unit / counts[1])
            grad[y0:y1, 1:] += d
            grad[y0:y1, :-1] -= d
    return value, grad


def fold_reflect_padding(padded_gradient: np.ndarray, pad: int) -> np.ndarray:
    """The gradient with respect to a picture of a gradient with respect to its reflect-padding by
    `pad` pixels (numpy's and TensorFlow's "reflect": the edge row is not repeated)."""
    g = padded_gradient
    if pad == 0:
        return np.ascontiguousarray(g, np.float32)
    for axis in (0, 1):
        g = np.moveaxis(g, axis, 0)
        n = g.shape[0] - 2 * pad
        g[pad + 1 : 2 * pad + 1] += g[:pad][::-1]
        g[n - 1 : n + pad - 1] += g[n + pad : n + 2 * pad][::-1]
        g = np.moveaxis(g[pad : pad + n], 0, axis)
    return np.ascontiguousarray(g, np.float32)


class StyleLoss:
    """The total loss of a picture, and its gradient, for one backbone and set of layers.

    `measure` gives a picture's Gram sums and content features (tile by tile); `set_targets` fixes
    what to match; calling the object gives (loss terms, gradient) of a model-space picture. Its
    TensorFlow functions take any size (their shapes are left open) and are traced once each;
    `traces` counts the traces.
    """

    def __init__(
        self,
        backbone,
        content_layers: Sequence[tuple[str, float]],
        style_layers: Sequence[tuple[str, float]],
        *,
        tile_size: int,
        halo: int = HALO,
        pad: int = PAD,
    ):
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
        self._pass1 = tf.function(self._trace_pass1, input_signature=[image, crops, masks], autograph=False)
        self._pass2 = tf.function(
            self._trace_pass2, input_signature=[image, crops, masks, grams, content, coefs], autograph=False
        )
        self._whole = tf.function(
            self._trace_whole,
            input_signature=[image, crops, masks, grams, per_group, per_group, content, coefs],
            autograph=False,
        )

    # -- traced functions -------------------------------------------------------------------
    def _features(self, tile):
        outputs = self._model(tile[None], training=False)
        if len(self.names) == 1:
            outputs = [outputs]
        return dict(zip(self.names, (o[0] for o in outputs), strict=False))

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
        sums = [gram_sums(cores[n], m) for (n, _), m in zip(self.style_layers, masks, strict=False)]
        return sums, [cores[n] for n, _ in self.content_layers]

    def _trace_pass2(self, tile, crops, masks, dsums, content_targets, content_coefs):
        import tensorflow as tf

        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(tile)
            cores = self._cores(tile, crops)
            surrogate = tf.constant(0.0)
            for (n, _), m, d in zip(self.style_layers, masks, dsums, strict=False):
                surrogate += tf.reduce_sum(gram_sums(cores[n], m) * d)
            content = tf.constant(0.0)
            for i, ((n, _), p) in enumerate(zip(self.content_layers, content_targets, strict=False)):
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
            for (n, _), m, a, k, norm in zip(self.style_layers, masks, targets, coefs, norms, strict=False):
                g = gram_sums(feats[n], m) / norm[:, None, None]
                style += tf.reduce_sum(k[:, None, None] * tf.square(g - a))
            content = tf.constant(0.0)
            for i, ((n, _), p) in enumerate(zip(self.content_layers, content_targets, strict=False)):
                content += content_coefs[i] * tf.reduce_sum(tf.square(feats[n] - p))
            total = style + content
        return tape.gradient(total, image), content, style

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
                out.append(np.stack([resize_array(m, size) for m in masks]))
        return out

    def _crops(self, tile: Tile):
        local, whole = zip(*(tile.crop(self.strides[n]) for n in self.names), strict=False)
        return np.asarray(local, np.int32), dict(zip(self.names, whole, strict=False))

    # -- measuring and targets -----------------------------------------------------------------
    def measure(self, image, masks: np.ndarray | None = None, content: bool = True, layer_masks=None):
        """A model-space picture's normalised Grams (per style layer, [K, C, C], one per mask) and
        content features (per content layer, whole-picture arrays), tile by tile. layer_masks: the
        masks already resized to each style layer (instead of masks)."""
        import tensorflow as tf

        image = np.asarray(image, np.float32)
        h, w = image.shape[:2]
        lmasks = layer_masks if layer_masks is not None else self.layer_masks(masks, h, w)
        sums = [
            np.zeros((m.shape[0], self.channels[n], self.channels[n]), np.float64)
            for (n, _), m in zip(self.style_layers, lmasks, strict=False)
        ]
        feats = (
            {n: np.zeros(self.layer_size(h, w, n) + (self.channels[n],), np.float32) for n, _ in self.content_layers}
            if content
            else {}
        )
        padded = self._padded(image)
        for tile in self.tiles(h, w):
            local, whole = self._crops(tile)
            tm = [
                tf.constant(m[:, whole[n][0] : whole[n][1], whole[n][2] : whole[n][3]])
                for (n, _), m in zip(self.style_layers, lmasks, strict=False)
            ]
            s, c = self._pass1(tf.constant(padded[tile.ey0 : tile.ey1, tile.ex0 : tile.ex1]), tf.constant(local), tm)
            for acc, part in zip(sums, s, strict=False):
                acc += part.numpy()
            for (n, _), part in zip(self.content_layers, c, strict=False):
                if content:
                    R0, R1, C0, C1 = whole[n]
                    feats[n][R0:R1, C0:C1] = part.numpy()
        norms = [np.maximum(m.reshape(m.shape[0], -1).sum(1), 1e-6) for m in lmasks]
        grams = [(s / nm[:, None, None]).astype(np.float32) for s, nm in zip(sums, norms, strict=False)]
        return grams, feats

    def set_targets(
        self,
        *,
        style_grams,
        group_weights,
        content_features=None,
        masks=None,
        size: tuple[int, int],
        content_weight: float,
        style_weight: float,
        tv_weight: float,
    ):
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
        for (n, wt), _a, scale in zip(self.style_layers, style_grams, layer_scales, strict=False):
            coefs.append(
                (
                    style_weight
                    * wt
                    / total_w
                    * np.asarray(group_weights, np.float64)
                    / (scale * self.channels[n] ** 2)
                ).astype(np.float32)
            )
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
        self.targets = dict(
            size=(h, w),
            masks=lmasks,
            norms=norms,
            grams=[np.asarray(a, np.float32) for a in style_grams],
            coefs=coefs,
            content=ctargets,
            content_coefs=np.asarray(ccoefs, np.float32),
            tv=float(tv_weight),
            has_content=bool(content_features is not None and content_weight > 0),
        )

    # -- the loss --------------------------------------------------------------------------------
    def __call__(self, image) -> tuple[dict, np.ndarray]:
        """({'content', 'style', 'tv', 'total'}, gradient) for a model-space picture [H, W, 3];
        'content' only where there is a content term."""
        import tensorflow as tf

        t = self.targets
        image = np.asarray(image, np.float32)
        h, w = image.shape[:2]
        if (h, w) != t["size"]:
            raise ValueError(f"targets were set for {t['size']}, not {(h, w)}")
        tiles = self.tiles(h, w)
        padded = self._padded(image)
        if len(tiles) == 1:
            local, _ = self._crops(tiles[0])
            grad, content, style = self._whole(
                tf.constant(padded),
                tf.constant(local),
                [tf.constant(m) for m in t["masks"]],
                [tf.constant(a) for a in t["grams"]],
                [tf.constant(k) for k in t["coefs"]],
                [tf.constant(n) for n in t["norms"]],
                [tf.constant(p) for p in t["content"]],
                tf.constant(t["content_coefs"]),
            )
            del padded
            grad, content, style = grad.numpy(), float(content), float(style)
        else:
            # Pass 1: the whole picture's Grams, summed tile by tile.
            grams, _ = self.measure(image, content=False, layer_masks=t["masks"])
            style, dsums = 0.0, []
            for g, a, k, norm in zip(grams, t["grams"], t["coefs"], t["norms"], strict=False):
                diff = g.astype(np.float64) - a
                style += float(np.sum(k[:, None, None] * diff * diff))
                dsums.append(tf.constant((2.0 * k[:, None, None] * diff / norm[:, None, None]).astype(np.float32)))
            # Pass 2: each tile's gradient against the global Grams, plus its share of the content term.
            grad = np.zeros_like(padded)
            content = 0.0
            for tile in tiles:
                local, whole = self._crops(tile)
                tm = [
                    tf.constant(m[:, whole[n][0] : whole[n][1], whole[n][2] : whole[n][3]])
                    for (n, _), m in zip(self.style_layers, t["masks"], strict=False)
                ]
                tc = [
                    tf.constant(p[whole[n][0] : whole[n][1], whole[n][2] : whole[n][3]])
                    for (n, _), p in zip(self.content_layers, t["content"], strict=False)
                ]
                g, c = self._pass2(
                    tf.constant(padded[tile.ey0 : tile.ey1, tile.ex0 : tile.ex1]),
                    tf.constant(local),
                    tm,
                    dsums,
                    tc,
                    tf.constant(t["content_coefs"]),
                )
                grad[tile.ey0 : tile.ey1, tile.ex0 : tile.ex1] += g.numpy()
                content += float(c)
            del padded
        grad = fold_reflect_padding(grad, tiles[0].pad)
        tv, _ = tv_loss_and_gradient(image, t["tv"], self.backbone.pixel_scale, out=grad)
        terms = dict(style=style, tv=tv)
        if t["has_content"]:
            terms["content"] = content
        terms["total"] = sum(terms.values())
        return terms, grad
