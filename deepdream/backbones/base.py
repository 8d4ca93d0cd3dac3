"""What every backbone gives the engine: a feature model for named layers, and its model space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import SettingsError, suggest


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
    #: Default dream layers, as (layer, weight).
    default_layers: tuple[tuple[str, float], ...] = ()
    #: The smallest side (pixels) the network takes.
    min_size: int = 32

    def __init__(self, model, catalog: Sequence[LayerInfo], mean: Sequence[float], scale: float,
                 bgr: bool = False):
        """model: a Keras model whose layers carry the catalog's names, taking model-space input.

        Model space is ((rgb, or bgr if `bgr`) - mean) * scale.
        """
        self.model = model
        self.catalog = tuple(catalog)
        self._by_name = {info.name: info for info in self.catalog}
        self.mean = np.asarray(mean, np.float32).reshape(3)
        self.scale = float(scale)
        self.bgr = bool(bgr)
        order = [2, 1, 0] if self.bgr else [0, 1, 2]
        self._order = order
        self.low = self._affine(np.zeros(3, np.float32))
        self.high = self._affine(np.full(3, 255.0, np.float32))
        self._feature_models: dict[tuple[str, ...], Callable] = {}

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
                f"Unknown layer {name!r} for backbone {self.name!r}.{suggest(name, self._by_name)} "
                f"Valid layers: {', '.join(info.name for info in self.catalog)} "
                f"(see `deepdream layers --backbone {self.name}`)."
            ) from None

    def feature_model(self, layer_names: Sequence[str]):
        """A callable: model-space batch [B, H, W, 3] -> list of feature maps, one per name."""
        key = tuple(layer_names)
        if key not in self._feature_models:
            for name in key:
                self.layer(name)
            import keras

            outputs = [self.model.get_layer(name).output for name in key]
            self._feature_models[key] = keras.Model(self.model.input, outputs)
        return self._feature_models[key]

    def __repr__(self) -> str:
        return f"<Backbone {self.name}: {len(self.catalog)} layers>"
