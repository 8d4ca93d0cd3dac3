"""Objectives: functions from a dict of feature maps to one scalar, to be maximised.

They add and scale like numbers (as in lucid): ``layer("block4_conv3") + 0.5 * channel("block5_conv1", 7)``.
An objective names the layers it reads, so the render loop can ask the backbone for just those.
Every objective is a mean over positions, so its value does not depend on the image's size; the
tiled renderer weights each tile's value by the tile's share of the image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .errors import SettingsError

Features = Mapping[str, "tf.Tensor"]  # noqa: F821  (layer name -> [B, H, W, C] tensor)


class Objective:
    """A scalar function of features, with the set of layers it reads.

    `fn` is traced into a TensorFlow graph as written (no AutoGraph): a choice that depends on a
    tensor's value must be written with `tf.where` or `tf.cond`, not a Python `if`."""

    def __init__(self, layers: Sequence[str], fn: Callable[[Features], object], description: str):
        self.layers = tuple(dict.fromkeys(layers))
        self.fn = fn
        self.description = description

    def __call__(self, features: Features):
        return self.fn(features)

    def __add__(self, other: Objective) -> Objective:
        if isinstance(other, (int, float)) and other == 0:
            return self
        return Objective(
            self.layers + other.layers, lambda f: self.fn(f) + other.fn(f), f"{self.description} + {other.description}"
        )

    __radd__ = __add__  # so sum() works

    def __mul__(self, weight: float) -> Objective:
        weight = float(weight)
        return Objective(self.layers, lambda f: weight * self.fn(f), f"{weight:g} * {self.description}")

    __rmul__ = __mul__

    def __neg__(self) -> Objective:
        return self * -1.0

    def __sub__(self, other: Objective) -> Objective:
        return self + (-other)

    def __repr__(self) -> str:
        return f"<Objective {self.description}>"


def _scored(name: str, pick, label: str, score: str) -> Objective:
    """The objective that scores `pick(activations of layer name)` (cast to float32) by `score`:
    "mean" their mean, "l2" the mean of their squares; labelled `label` (`l2(label)` for l2)."""
    import tensorflow as tf

    if score == "mean":
        reduce = tf.reduce_mean
    elif score == "l2":
        reduce, label = (lambda a: tf.reduce_mean(tf.square(a))), f"l2({label})"
    else:
        raise ValueError(f"unknown score {score!r} (l2 or mean)")
    return Objective([name], lambda f: reduce(tf.cast(pick(f[name]), tf.float32)), label)


def layer(name: str, score: str = "mean") -> Objective:
    """A whole layer's activations scored by `score`: "mean" (the mean activation) or "l2" (the mean
    square, the original DeepDream's objective: strong features pull hardest)."""
    return _scored(name, lambda a: a, name, score)


def channel(name: str, index: int, score: str = "mean") -> Objective:
    """One channel of a layer, scored by `score` (see `layer`)."""
    return _scored(name, lambda a: a[..., index], f"{name}:{index}", score)


from .settings.specs import MAX_WEIGHT, LayerSpec, parse_layer_spec, split_region  # noqa: E402,F401 (re-exported)


def check_spec(backbone, spec: LayerSpec) -> LayerSpec:
    """Check a spec against a backbone's catalog: the layer exists, the channel is in range."""
    info = backbone.layer(spec.name)
    if spec.channel is not None and not 0 <= spec.channel < info.channels:
        raise SettingsError(
            f"Channel {spec.channel} is out of range for layer {spec.name!r}, which has "
            f"{info.channels} channels (0 to {info.channels - 1})."
        )
    return spec


def from_specs(backbone, specs: Sequence[LayerSpec | str], score: str = "mean", weights=None) -> Objective:
    """The weighted sum of the layer/channel objectives that specs name, checked against backbone,
    each scored by `score` (see `layer`). weights: a tf.Variable of one weight per spec, read at
    each call instead of the specs' own (a clip whose layer weights move: traced once)."""
    if not specs:
        raise SettingsError("Name at least one layer to dream on.")
    terms = []
    for index, spec in enumerate(specs):
        spec = check_spec(backbone, spec if isinstance(spec, LayerSpec) else parse_layer_spec(spec))
        term = layer(spec.name, score) if spec.channel is None else channel(spec.name, spec.channel, score)
        if weights is not None:
            term = Objective(
                term.layers, lambda f, t=term, i=index: weights[i] * t.fn(f), f"w[{index}] * {term.description}"
            )
        terms.append(term if spec.weight == 1.0 or weights is not None else spec.weight * term)
    return sum(terms[1:], terms[0])


#: What --class says on a backbone without ImageNet's classifier (`backbones.check_classifier`).
CLASS_NEEDS = "--class needs a backbone with an ImageNet classifier"


def class_objective(net, target_class):
    """The logit of an ImageNet class (name or number) on a backbone with a classifier head."""
    from .backbones import check_classifier
    from .classes import class_index, imagenet_classes

    check_classifier(net.name, CLASS_NEEDS)
    index = class_index(target_class)
    objective = channel("logits", index)
    objective.description = f"class {index} ({imagenet_classes()[index]})"
    return objective
