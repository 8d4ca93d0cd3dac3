"""Objectives: functions from a dict of feature maps to one scalar, to be maximised.

They add and scale like numbers (as in lucid): ``layer("block4_conv3") + 0.5 * channel("block5_conv1", 7)``.
An objective names the layers it reads, so the render loop can ask the backbone for just those.
Every objective is a mean over positions, so its value does not depend on the image's size; the
tiled renderer weights each tile's value by the tile's share of the image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from .errors import SettingsError

Features = Mapping[str, "tf.Tensor"]  # noqa: F821  (layer name -> [B, H, W, C] tensor)


class Objective:
    """A scalar function of features, with the set of layers it reads."""

    def __init__(self, layers: Sequence[str], fn: Callable[[Features], object], description: str):
        self.layers = tuple(dict.fromkeys(layers))
        self.fn = fn
        self.description = description

    def __call__(self, features: Features):
        return self.fn(features)

    def __add__(self, other: "Objective") -> "Objective":
        if isinstance(other, (int, float)) and other == 0:
            return self
        return Objective(self.layers + other.layers, lambda f: self.fn(f) + other.fn(f),
                         f"{self.description} + {other.description}")

    __radd__ = __add__  # so sum() works

    def __mul__(self, weight: float) -> "Objective":
        weight = float(weight)
        return Objective(self.layers, lambda f: weight * self.fn(f), f"{weight:g} * {self.description}")

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return self * -1.0

    def __sub__(self, other: "Objective") -> "Objective":
        return self + (-other)

    def __repr__(self) -> str:
        return f"<Objective {self.description}>"


def layer(name: str) -> Objective:
    """The mean activation of a whole layer."""
    import tensorflow as tf

    return Objective([name], lambda f: tf.reduce_mean(tf.cast(f[name], tf.float32)), name)


def channel(name: str, index: int) -> Objective:
    """The mean activation of one channel of a layer."""
    import tensorflow as tf

    return Objective([name], lambda f: tf.reduce_mean(tf.cast(f[name][..., index], tf.float32)),
                     f"{name}:{index}")


@dataclass(frozen=True)
class LayerSpec:
    """One `--layer` value: `name`, `name:channel`, `name=weight` or `name:channel=weight`."""

    name: str
    channel: int | None = None
    weight: float = 1.0

    def __str__(self) -> str:
        text = self.name if self.channel is None else f"{self.name}:{self.channel}"
        return text if self.weight == 1.0 else f"{text}={self.weight:g}"


_SPEC = re.compile(r"^\s*([A-Za-z_][\w./-]*)\s*(?::\s*(-?\d+)\s*)?(?:=\s*([^:=\s]+)\s*)?$")


def parse_layer_spec(text: str) -> LayerSpec:
    """Parse `block4_conv3`, `mixed4:97`, `block5_conv1=0.5` or `mixed4:97=2` (no backbone check)."""
    match = _SPEC.match(str(text))
    if not match:
        raise SettingsError(
            f"Cannot read layer {text!r}: write LAYER, LAYER:CHANNEL, LAYER=WEIGHT or "
            f"LAYER:CHANNEL=WEIGHT (e.g. block4_conv3:12=0.5)."
        )
    name, chan, weight = match.groups()
    try:
        value = 1.0 if weight is None else float(weight)
    except ValueError:
        raise SettingsError(f"Cannot read the weight in layer {text!r}: {weight!r} is not a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"The weight in layer {text!r} must be a finite number.")
    return LayerSpec(name, None if chan is None else int(chan), value)


def check_spec(backbone, spec: LayerSpec) -> LayerSpec:
    """Check a spec against a backbone's catalog: the layer exists, the channel is in range."""
    info = backbone.layer(spec.name)
    if spec.channel is not None and not 0 <= spec.channel < info.channels:
        raise SettingsError(
            f"Channel {spec.channel} is out of range for layer {spec.name!r}, which has "
            f"{info.channels} channels (0 to {info.channels - 1})."
        )
    return spec


def from_specs(backbone, specs: Sequence[LayerSpec | str]) -> Objective:
    """The weighted sum of the layer/channel objectives that specs name, checked against backbone."""
    if not specs:
        raise SettingsError("Name at least one layer to dream on.")
    terms = []
    for spec in specs:
        spec = check_spec(backbone, spec if isinstance(spec, LayerSpec) else parse_layer_spec(spec))
        term = layer(spec.name) if spec.channel is None else channel(spec.name, spec.channel)
        terms.append(term if spec.weight == 1.0 else spec.weight * term)
    return sum(terms[1:], terms[0])


# ---------------------------------------------------------------------------- guided dreaming
# As in Google's original DeepDream notebook: each position of the image being dreamt is pulled
# toward the guide's feature vector that it already matches best (highest dot product).

#: The most guide feature vectors kept per layer. Guides at shallow layers give far more positions
#: than that (a 512x512 guide has 16,384 at block3, 262,144 at block1); they are subsampled, seeded.
#: The matching costs N x M x C multiply-adds per tile: at block3_conv3 with 512 tiles, 4096
#: vectors keep a guided step within about 1.3x of an unguided one on a CPU (8192: 1.5x).
MAX_GUIDE_VECTORS = 4096
#: The most entries in one block of image-by-guide dot products (float32: 64 MB). The image's
#: positions are matched in row blocks of this size, so memory stays bounded at any layer.
MATCH_BLOCK = 1 << 24


def guide_features(backbone, guides, layers: Sequence[str], *, max_vectors: int = MAX_GUIDE_VECTORS,
                   seed: int | None = 0) -> dict:
    """layer -> float32 [M, C]: the feature vectors of every guide (RGB arrays in [0, 255]) at layer,
    one per position, pooled over the guides. All-zero vectors (which match nothing) are dropped;
    beyond `max_vectors` a seeded random subset is kept. Computed once per run, not per tile."""
    import numpy as np

    layers = tuple(dict.fromkeys(layers))
    model = backbone.feature_model(layers)
    pooled: dict[str, list] = {name: [] for name in layers}
    for rgb in guides:
        outputs = model(backbone.preprocess(np.asarray(rgb, np.float32))[None], training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        for name, out in zip(layers, outputs):
            out = np.asarray(out, np.float32)
            pooled[name].append(out.reshape(-1, out.shape[-1]))
    rng = np.random.default_rng(seed)
    result = {}
    for name, parts in pooled.items():
        vectors = np.concatenate(parts)
        nonzero = np.any(vectors != 0, axis=1)
        if nonzero.any():
            vectors = vectors[nonzero]
        if len(vectors) > max_vectors:
            vectors = vectors[np.sort(rng.choice(len(vectors), max_vectors, replace=False))]
        result[name] = np.ascontiguousarray(vectors, np.float32)
    return result


def _best_match_indices(x, g, block: int = MATCH_BLOCK):
    """For each row of x [N, C], the index of the row of g [M, C] with the highest dot product,
    computed in row blocks so that no more than `block` dot products exist at once."""
    import tensorflow as tf

    rows = max(1, block // int(g.shape[0]))
    n = tf.shape(x)[0]
    padded = tf.pad(x, [[0, (-n) % rows], [0, 0]])
    chunks = tf.reshape(padded, [-1, rows, int(g.shape[1])])
    best = tf.map_fn(lambda chunk: tf.argmax(tf.matmul(chunk, g, transpose_b=True), axis=1,
                                             output_type=tf.int32),
                     chunks, fn_output_signature=tf.int32, parallel_iterations=1)
    return tf.reshape(best, [-1])[:n]


def guide(name: str, guide_vectors, description: str | None = None, *, unit: bool = True) -> Objective:
    """Match a guide at layer `name`: mean over positions i of max over guide vectors j of x_i . g_j.

    guide_vectors: [M, C], the guide's features at the layer (see `guide_features`), a constant.
    The gradient at x_i is g_j / N for the best-matching g_j (N positions): each position grows
    toward the guide pattern it already resembles most.

    unit: scale the guide vectors to unit length first (the default). With raw vectors, as in the
    original notebook, the few guide vectors of largest norm win the max almost everywhere (on
    chelsea.png guided by brick.png at block4_conv3, 5 of 4096 vectors take a third of the
    positions), so every guide dreams the same few blobs; with unit vectors each position picks the
    guide vector pointing its way (cosine similarity) and grows along it, and guides stay distinct.

    Implemented as argmax of the dot products (outside the gradient, in bounded blocks) then
    x_i . g_best, which has the same value and gradient as reduce_max(x @ g.T) but spares the
    backward pass an N x M matrix product.
    """
    import numpy as np
    import tensorflow as tf

    vectors = np.asarray(guide_vectors, np.float32)
    if vectors.ndim != 2 or len(vectors) == 0:
        raise ValueError(f"guide vectors must be a non-empty [M, C] matrix, not {vectors.shape}")
    if unit:
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    g = tf.constant(vectors)
    channels = vectors.shape[1]

    def fn(features):
        x = tf.reshape(tf.cast(features[name], tf.float32), [-1, channels])
        best = tf.gather(g, tf.stop_gradient(_best_match_indices(x, g)))
        return tf.reduce_mean(tf.reduce_sum(x * best, axis=1))

    return Objective([name], fn, description or f"guide({name})")


def guided(backbone, guides, specs: Sequence[LayerSpec | str], *, max_vectors: int = MAX_GUIDE_VECTORS,
           seed: int | None = 0) -> Objective:
    """The weighted sum of guide objectives at the layers specs name, for guides (RGB arrays).

    The guides' features are computed here, once. Channels do not apply to a guide."""
    if not specs:
        raise SettingsError("Name at least one layer to dream on.")
    specs = [check_spec(backbone, s if isinstance(s, LayerSpec) else parse_layer_spec(s)) for s in specs]
    for spec in specs:
        if spec.channel is not None:
            raise SettingsError(
                f"Layer {str(spec)!r} names a channel, but a guided dream matches whole feature "
                f"vectors; give the layer without ':{spec.channel}'."
            )
    vectors = guide_features(backbone, guides, [s.name for s in specs], max_vectors=max_vectors, seed=seed)
    terms = []
    for spec in specs:
        term = guide(spec.name, vectors[spec.name])
        terms.append(term if spec.weight == 1.0 else spec.weight * term)
    return sum(terms[1:], terms[0])


def best_match_similarity(x, g, block: int = MATCH_BLOCK) -> float:
    """Mean over the rows of x [N, C] of the highest cosine similarity with a row of g [M, C]:
    1 when every position of x has a guide vector pointing the same way. Zero vectors match 0."""
    import numpy as np

    x = np.asarray(x, np.float32).reshape(-1, np.shape(x)[-1])
    g = np.asarray(g, np.float32).reshape(-1, np.shape(g)[-1])
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    rows = max(1, block // len(g))
    best = [np.max(x[i:i + rows] @ g.T, axis=1) for i in range(0, len(x), rows)]
    return float(np.mean(np.concatenate(best)))


def auto_layer_candidates(backbone) -> list[str]:
    """The layers `--layer auto` chooses from: those with a stride of at least 4 pixels, but not
    the catalog's last layer. On VGG16: block3_conv1 .. block5_conv2; on InceptionV3: mixed0 .. mixed9.

    Shallower layers see 1-2 pixel neighbourhoods (edges, colours) that every image shares with
    every guide, so they would win the match score trivially and dream no pattern of the guide.
    The last layer has the fewest positions and the most specialised features; on the embedded
    (HED) VGG16, block5_conv3 feeds the edge output, and a few channels that dominate every
    position there make any two images look alike to it."""
    names = [info.name for info in backbone.catalog if info.stride >= 4][:-1]
    return names or [info.name for info in backbone.catalog]


def layer_match_scores(backbone, image, guides, layers: Sequence[str] | None = None, *,
                       vectors: int = 1024, seed: int | None = 0) -> dict:
    """layer -> how well the guides match the image there, relative to how well the image matches
    itself: the mean best-match cosine similarity of the image's feature vectors with the guides',
    divided by the same of one half of the image with the other half.

    Cosine similarity makes layers of different widths and activation scales comparable. Raw, it
    still falls with depth (shallow features are generic, so anything matches anything) and is high
    wherever a few channels dominate every position; the image's own half-to-half match is that
    baseline, so a layer wins by matching the guide nearly as well as the image matches itself.
    Every layer is scored against the same number of guide vectors (the fewest any layer has, at
    most `vectors`, seeded), since more candidates raise the best match by chance alone."""
    import numpy as np

    layers = list(layers or auto_layer_candidates(backbone))
    everything = 1 << 62
    image = np.asarray(image, np.float32)
    image_vectors = guide_features(backbone, [image], layers, max_vectors=everything)
    guide_vectors = guide_features(backbone, guides, layers, max_vectors=everything)
    axis = 0 if image.shape[0] >= image.shape[1] else 1
    half = image.shape[axis] // 2
    split = half >= backbone.min_size
    if split:
        first, second = np.split(image, [half], axis=axis)
        first = guide_features(backbone, [first], layers, max_vectors=everything)
        second = guide_features(backbone, [second], layers, max_vectors=everything)
    pools = list(guide_vectors.values()) + (list(second.values()) if split else [])
    count = min([vectors] + [len(v) for v in pools])
    rng = np.random.default_rng(seed)

    def sample(v):
        return v[np.sort(rng.choice(len(v), count, replace=False))]

    scores = {}
    for name in layers:
        score = best_match_similarity(image_vectors[name], sample(guide_vectors[name]))
        baseline = best_match_similarity(first[name], sample(second[name])) if split else 1.0
        scores[name] = score / max(baseline, 1e-6)
    return scores
