"""Guided dreaming, in one place: each position of the picture being dreamt is pulled toward the
guide feature vector it already matches best (Google's original DeepDream notebook).

`load_guides` reads the guide images once per run and `fit_guides` sizes them for the network;
`guide_features` computes their feature vectors once; `guided` builds the objective; `best_guide_layer` is
`--layer auto`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import InputError, SettingsError
from .images import LoadedImage, as_loaded, check_min_size, fit_max_side, resize_array
from .objectives import LayerSpec, Objective, check_spec, parse_layer_spec
from .settings import GUIDE_SIZE
from .settings import rng as seeded_rng

log = logging.getLogger("deepdream")


#: The most guide feature vectors kept per layer. Guides at shallow layers give far more positions
#: than that (a 512x512 guide has 16,384 at block3, 262,144 at block1); they are subsampled, seeded.
#: The matching costs N x M x C multiply-adds per tile: at block3_conv3 with 512 tiles, 4096
#: vectors keep a guided step within about 1.3x of an unguided one on a CPU (8192: 1.5x).
MAX_GUIDE_VECTORS = 4096
#: The most entries in one block of image-by-guide dot products (float32: 64 MB). The image's
#: positions are matched in row blocks of this size, so memory stays bounded at any layer.
MATCH_BLOCK = 1 << 24


def guide_features(
    backbone, guides, layers: Sequence[str], *, max_vectors: int = MAX_GUIDE_VECTORS, seed: int | None = 0
) -> dict:
    """layer -> float32 [M, C]: the feature vectors of every guide (RGB arrays in [0, 255]) at layer,
    one per position, pooled over the guides. All-zero vectors (which match nothing) are dropped;
    beyond `max_vectors` a seeded random subset is kept. Computed once per run, not per tile."""

    layers = tuple(dict.fromkeys(layers))
    model = backbone.feature_model(layers)
    pooled: dict[str, list] = {name: [] for name in layers}
    for rgb in guides:
        outputs = model(backbone.preprocess(np.asarray(rgb, np.float32))[None], training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        for name, out in zip(layers, outputs, strict=False):
            out = np.asarray(out, np.float32)
            pooled[name].append(out.reshape(-1, out.shape[-1]))
    rng = seeded_rng(seed)
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
    best = tf.map_fn(
        lambda chunk: tf.argmax(tf.matmul(chunk, g, transpose_b=True), axis=1, output_type=tf.int32),
        chunks,
        fn_output_signature=tf.int32,
        parallel_iterations=1,
    )
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


def guided(
    backbone, guides, specs: Sequence[LayerSpec | str], *, max_vectors: int = MAX_GUIDE_VECTORS, seed: int | None = 0
) -> Objective:
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

    x = np.asarray(x, np.float32).reshape(-1, np.shape(x)[-1])
    g = np.asarray(g, np.float32).reshape(-1, np.shape(g)[-1])
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    rows = max(1, block // len(g))
    best = [np.max(x[i : i + rows] @ g.T, axis=1) for i in range(0, len(x), rows)]
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


def layer_match_scores(
    backbone, image, guides, layers: Sequence[str] | None = None, *, vectors: int = 1024, seed: int | None = 0
) -> dict:
    """layer -> how well the guides match the image there, relative to how well the image matches
    itself: the mean best-match cosine similarity of the image's feature vectors with the guides',
    divided by the same of one half of the image with the other half.

    Cosine similarity makes layers of different widths and activation scales comparable. Raw, it
    still falls with depth (shallow features are generic, so anything matches anything) and is high
    wherever a few channels dominate every position; the image's own half-to-half match is that
    baseline, so a layer wins by matching the guide nearly as well as the image matches itself.
    Every layer is scored against the same number of guide vectors (the fewest any layer has, at
    most `vectors`, seeded), since more candidates raise the best match by chance alone."""

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
    rng = seeded_rng(seed)

    def sample(v):
        return v[np.sort(rng.choice(len(v), count, replace=False))]

    scores = {}
    for name in layers:
        score = best_match_similarity(image_vectors[name], sample(guide_vectors[name]))
        baseline = best_match_similarity(first[name], sample(second[name])) if split else 1.0
        scores[name] = score / max(baseline, 1e-6)
    return scores


def _as_list(guide) -> list:
    return list(guide) if isinstance(guide, (list, tuple)) else [guide]


def guide_name(guide) -> str:
    """How a guide is named in messages: its file name, else 'the guide image'."""
    return Path(guide).name if isinstance(guide, (str, Path)) else "the guide image"


def load_guides(guide) -> list[LoadedImage]:
    """One or several guides (paths, PIL images, arrays) as LoadedImages; InputError names the guide."""
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
                    message = "Guide image" + message[len(prefix) :]
                    break
            else:
                message = f"Cannot use the guide: {message}"
            raise InputError(message) from None
    return loaded


def fit_guides(guides, backbone, guide_size: int | None, tile_size: int, names=None) -> list[np.ndarray]:
    """The guides' RGB arrays, resized so the longer side is `guide_size` (default: shrunk, never
    enlarged, to fit min(tile_size, 512)); every side must stay at least the backbone's min_size."""
    if guide_size is not None and not backbone.min_size <= guide_size <= tile_size:
        raise SettingsError(
            f"--guide-size must be between {backbone.min_size} (the smallest input of {backbone.name}) "
            f"and the tile size ({tile_size}) pixels (got {guide_size})."
        )
    names = names or ["the guide image"] * len(guides)
    arrays = []
    for loaded, name in zip(guides, names, strict=False):
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
            rgb = resize_array(rgb, (max(1, round(h * scale)), max(1, round(w * scale))))
        arrays.append(rgb)
    return arrays


def best_guide_layer(net, picture: LoadedImage, guide_arrays, tile_size: int, seed) -> str:
    """The candidate layer of `net` with the highest match score between picture (shrunk to fit a
    tile) and the fitted guide arrays."""
    small = fit_max_side(picture, max(tile_size, GUIDE_SIZE)).rgb
    check_min_size(small, net.min_size, f"backbone {net.name!r}")
    scores = layer_match_scores(net, small, guide_arrays, seed=seed)
    return max(scores, key=scores.get)


def guide_layer_specs(backbone, layers) -> list[LayerSpec]:
    """The layers of a guided dream: those given, else the backbone's `guide_layers`, else its
    default layers."""
    if layers:
        return [s if isinstance(s, LayerSpec) else parse_layer_spec(s) for s in layers]
    chosen = getattr(backbone, "guide_layers", ()) or backbone.default_layers
    return [LayerSpec(name, None, weight) for name, weight in chosen]
