"""What every backbone gives the engine: a feature model for named layers, and its model space."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SettingsError, nearest, suggest

#: The precisions the network can run in ("auto" picks one for the machine).
from ..settings.base import PRECISIONS

#: Keras dtype policy for each compute precision: weights stay float32, layers compute in the dtype.
_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def check_precision(precision: str) -> str:
    """The precision, if it is one of PRECISIONS, else a SettingsError naming them."""
    if precision not in PRECISIONS:
        raise SettingsError(f"--precision must be one of {', '.join(PRECISIONS)} (got {precision!r}).")
    return precision


def choose_precision(cpu_flags: Iterable[str] = (), gpu_capabilities: Sequence[tuple[int, int] | None] = ()) -> str:
    """What `auto` means on a machine with these CPU flags and GPUs (compute capabilities, None where
    unknown): on a GPU, bfloat16 from compute capability 8.0 (Ampere) up, else float16 (tensor
    cores since 7.0, and fast half-precision arithmetic before that); on a CPU, bfloat16 where
    it has native bfloat16 arithmetic (AVX512_BF16 or AMX), else float32 (emulated bfloat16 is slower
    than float32)."""
    if gpu_capabilities:
        known = [c for c in gpu_capabilities if c is not None]
        return "bfloat16" if known and min(known) >= (8, 0) else "float16"
    flags = {str(f).lower() for f in cpu_flags}
    return "bfloat16" if flags & {"avx512_bf16", "amx_bf16"} else "float32"


def cpu_flags() -> frozenset[str]:
    """This machine's CPU feature flags (Linux's /proc/cpuinfo; empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def gpu_capabilities() -> list[tuple[int, int] | None]:
    """Compute capability of each GPU TensorFlow sees (None where it does not say)."""
    import tensorflow as tf

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        except Exception:
            capability = None
        capabilities.append(tuple(capability) if capability else None)
    return capabilities


_auto: str | None = None
_on_gpu: bool | None = None


def resolve_precision(precision: str = "auto", backbone=None) -> str:
    """The concrete compute precision for `precision` ("auto" decided once per process). On a CPU,
    a backbone whose `cpu_bfloat16` is False (its depthwise convolutions have no fast bfloat16
    kernels there) computes in float32 under "auto"."""
    global _auto, _on_gpu
    check_precision(precision)
    if precision != "auto":
        return precision
    if _auto is None:
        gpus = gpu_capabilities()
        _on_gpu = bool(gpus)
        _auto = choose_precision(cpu_flags(), gpus)
    if _auto == "bfloat16" and not _on_gpu and backbone is not None and not getattr(backbone, "cpu_bfloat16", True):
        return "float32"
    return _auto


def scale_gradient_layer(share: float, name: str):
    """A Keras layer that passes its input on unchanged and `share` of its gradient back."""
    return _scale_gradient_class()(share, name=name)


@functools.cache
def _scale_gradient_class():
    import keras

    class ScaleGradient(keras.layers.Layer):
        def __init__(self, share: float, **kwargs):
            super().__init__(**kwargs)
            self.share = float(share)

        def call(self, x):
            return self.share * x + (1.0 - self.share) * keras.ops.stop_gradient(x)

        def get_config(self):
            return {**super().get_config(), "share": self.share}

    return ScaleGradient


def _clone_in_precision(model, precision: str):
    """A copy of a Keras model whose layers compute in `precision` (weights kept in float32)."""
    import keras

    policy = keras.DTypePolicy(_POLICIES[precision])

    def clone_layer(layer):
        config = layer.get_config()
        if not isinstance(layer, keras.layers.InputLayer):
            config["dtype"] = policy
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    return clone


@dataclass(frozen=True)
class LayerInfo:
    """One entry of a backbone's catalog."""

    name: str
    channels: int
    stride: int  # input pixels per feature position ("scale" in `deepdream layers`)


class Backbone:
    """A loaded network.

    Model space is what the network takes as input; the engine dreams in it. `preprocess` maps RGB
    in [0, 255] to model space and `deprocess` maps back; both are affine per channel, so the valid
    range of model space is `preprocess` of 0 and of 255 (`low` and `high`, per channel).
    """

    name: str = ""
    #: The backbone's default layers for each use, as (layer, weight); each backbone sets its own.
    #: Dreams:
    default_layers: tuple[tuple[str, float], ...] = ()
    #: Guided dreams (matched against the guide's features; empty: `default_layers`):
    guide_layers: tuple[tuple[str, float], ...] = ()
    #: Style transfer: the content's features (`content_layers`) and the style's Gram matrices
    #: (`style_layers`).
    content_layers: tuple[tuple[str, float], ...] = ()
    style_layers: tuple[tuple[str, float], ...] = ()
    #: The smallest side (pixels) the network takes.
    min_size: int = 32
    #: Whether bfloat16 pays on a CPU with native bfloat16 (AMX, AVX512_BF16): dense convolutions
    #: run several times faster there, depthwise ones (EfficientNet) several times slower.
    cpu_bfloat16: bool = True

    def __init__(
        self,
        model,
        catalog: Sequence[LayerInfo],
        mean: Sequence[float],
        scale: float,
        bgr: bool = False,
        model_layers: dict[str, str] | None = None,
    ):
        """model: a Keras model whose layers carry the catalog's names, taking model-space input.

        Model space is ((rgb, or bgr if `bgr`) - mean) * scale. model_layers: catalog name -> the
        model's layer of another name, for entries whose Keras layer has a name of its own.
        """
        self.model = model
        self.catalog = tuple(catalog)
        self._model_layers = dict(model_layers or {})
        self._by_name = {info.name: info for info in self.catalog}
        self.mean = np.asarray(mean, np.float32).reshape(3)
        self.scale = float(scale)
        self.bgr = bool(bgr)
        order = [2, 1, 0] if self.bgr else [0, 1, 2]
        self._order = order
        self.low = self._affine(np.zeros(3, np.float32))
        self.high = self._affine(np.full(3, 255.0, np.float32))
        self._feature_models: dict[tuple[tuple[str, ...], str, bool], Callable] = {}
        self._models_in_precision: dict[tuple[str, bool], object] = {}

    # -- model space -------------------------------------------------------------------------
    def _affine(self, rgb):
        x = rgb[..., self._order] if self.bgr else rgb
        return ((x - self.mean) * self.scale).astype(np.float32)

    @property
    def pixel_scale(self) -> float:
        """Model-space units per RGB level (so a step given in RGB levels can be converted)."""
        return self.scale

    def preprocess(self, rgb):
        """RGB in [0, 255] (array or tensor, channels last) -> model space."""
        import tensorflow as tf

        rgb = tf.convert_to_tensor(rgb, tf.float32)
        x = tf.reverse(rgb, axis=[-1]) if self.bgr else rgb
        return (x - self.mean) * self.scale

    def deprocess(self, x):
        """Model space -> RGB in [0, 255] (a float32 tensor; not rounded or clipped)."""
        import tensorflow as tf

        rgb = tf.convert_to_tensor(x, tf.float32) / self.scale + self.mean
        return tf.reverse(rgb, axis=[-1]) if self.bgr else rgb

    def clip(self, x):
        """Clip a model-space tensor to the values that deprocess into [0, 255]."""
        import tensorflow as tf

        return tf.clip_by_value(x, self.low, self.high)

    # -- layers ------------------------------------------------------------------------------
    def layer(self, name: str) -> LayerInfo:
        """The catalog entry for name, or a SettingsError naming the valid ones."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SettingsError(
                f"Unknown layer {name!r} for backbone {self.name!r}.{suggest(name, self._by_name)} The nearest of "
                f"its {len(self.catalog)} layers: {', '.join(nearest(name, self._by_name))} "
                f"(`deepdream layers --backbone {self.name}` lists them all)."
            ) from None

    def model_in_precision(self, precision: str = "float32", *, painting: bool = False):
        """The whole network computing in `precision` ("auto", "float32", "bfloat16", "float16"):
        the loaded model for float32, else a copy of it made once (same weights, kept in float32).
        painting: `painting_network`'s instead."""
        precision = resolve_precision(precision, self)
        model = self.painting_network() if painting else self.model
        if precision == "float32":
            return model
        key = (precision, painting and model is not self.model)
        if key not in self._models_in_precision:
            self._models_in_precision[key] = _clone_in_precision(model, precision)
        return self._models_in_precision[key]

    def painting_network(self):
        """The network class paintings take their gradient from: the same features, and a backward
        pass of its own where a backbone has one (Lite2's residual branches pass back half their
        gradient, so a painting transfers to networks that never painted it). Here: `model`."""
        return self.model

    def feature_model(self, layer_names: Sequence[str], precision: str = "float32", *, painting: bool = False):
        """A callable: model-space batch [B, H, W, 3] -> list of feature maps, one per name.

        It takes float32 input and computes in `precision`; its feature maps are of that dtype, so
        objectives cast them to float32 before reducing. painting: of `painting_network` (the same
        features, its gradient).
        """
        precision = resolve_precision(precision, self)
        key = (tuple(layer_names), precision, painting)
        if key not in self._feature_models:
            for name in key[0]:
                self.layer(name)
            import keras

            model = self.model_in_precision(precision, painting=painting)
            outputs = [model.get_layer(self._model_layers.get(name, name)).output for name in key[0]]
            self._feature_models[key] = keras.Model(model.input, outputs)
        return self._feature_models[key]

    def __repr__(self) -> str:
        return f"<Backbone {self.name}: {len(self.catalog)} layers>"
