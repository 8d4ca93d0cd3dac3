"""InceptionV3 (Keras applications, ImageNet weights without the classifier top).

Model space is Keras's "inception" preprocessing, rgb / 127.5 - 1. The catalog is the ReLU outputs
of the stem's third and fifth convolutions (`conv2d_2`, 64 channels, and `conv2d_4`, 192: the names
Keras gives those convolutions in a fresh process; shallow layers for style), then the eleven
inception blocks' concatenation outputs, `mixed0` .. `mixed10`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

from ..errors import WeightsError
from .base import Backbone, LayerInfo
from .files import HDF5_SIGNATURE, WeightsFile, resolve, status

NAME = "inceptionv3"
DESCRIPTION = "InceptionV3 (ImageNet): the network of Keras's DeepDream example; swirling eyes and animal parts"
#: Whether it ends in ImageNet's 1000-class classifier (`logits`): --class and --keep-subject need it.
CLASSIFIER = False

WEIGHTS = WeightsFile(
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    md5_or_sha="bcbd6486424b2319ff4ef7d526e38f63",
    description="InceptionV3 ImageNet weights without the classifier top (about 88 MB)",
)

#: What `deepdream weights add` says a file of this backbone is.
WEIGHTS_FORMAT = "InceptionV3 weights in Keras HDF5"
#: The stem's convolutions in the catalog, by their place among the stem's ReLUs (0-based).
STEM_LAYERS = {"conv2d_2": 2, "conv2d_4": 4}
#: The inception blocks' concatenations (not `mixed9_0` / `mixed9_1`, which are concatenations
#: inside blocks 9 and 10).
BLOCK_NAMES = tuple(f"mixed{i}" for i in range(11))
#: The catalog's layers, shallow to deep.
LAYER_NAMES = tuple(STEM_LAYERS) + BLOCK_NAMES
#: As in Keras's DeepDream example.
DEFAULT_LAYERS = (("mixed3", 1.0), ("mixed5", 1.5))
CONTENT_LAYERS = (("mixed3", 1.0),)
STYLE_LAYERS = (("conv2d_2", 1.0), ("conv2d_4", 1.0), ("mixed0", 1.0), ("mixed2", 1.0), ("mixed5", 1.0))
#: Convolutions (each with a batch normalisation) of InceptionV3 without its top.
CONVOLUTIONS = 94
MIN_SIZE = 75
#: The input side the catalog's strides are measured at.
_PROBE = 299


class InceptionV3Backbone(Backbone):
    name = NAME
    default_layers = DEFAULT_LAYERS
    guide_layers = DEFAULT_LAYERS
    content_layers = CONTENT_LAYERS
    style_layers = STYLE_LAYERS
    min_size = MIN_SIZE


def build_model():
    """InceptionV3 without its top, taking any input size of at least 75x75, random weights."""
    import keras

    return keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(None, None, 3))


def model_layers(model) -> dict[str, str]:
    """Catalog name -> the model's layer, for the stem's entries (Keras numbers unnamed layers
    per process, so the stem's ReLUs are found by their place)."""
    import keras

    relus = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Activation)]
    return {name: relus[place] for name, place in STEM_LAYERS.items()}


def catalog(model) -> tuple[LayerInfo, ...]:
    """The catalog's layers with channels and strides (input side / feature side, as a power of 2)."""
    import keras

    names = {**{name: name for name in BLOCK_NAMES}, **model_layers(model)}
    outputs = [model.get_layer(names[name]).output for name in LAYER_NAMES]
    shapes = keras.Model(model.inputs, outputs).compute_output_shape((1, _PROBE, _PROBE, 3))
    return tuple(
        LayerInfo(name, int(shape[-1]), 2 ** round(math.log2(_PROBE / shape[1])))
        for name, shape in zip(LAYER_NAMES, shapes, strict=False)
    )


# -- weights files ---------------------------------------------------------------------------
def _not_inception(path, reason: str) -> WeightsError:
    return WeightsError(f"'{path}' is not an InceptionV3 weights file ({reason}).")


def _open_error(path, error: OSError) -> WeightsError:
    """h5py's OSError on opening or reading path -> the sentence the user reads."""
    text = str(error)
    truncated = re.search(r"truncated file: eof = (\d+).*?stored_eof = (\d+)", text)
    if truncated:
        have, want = (int(n) for n in truncated.groups())
        return WeightsError(
            f"Weights file '{path}' is truncated ({have:,} of {want:,} bytes); "
            f"get a complete copy of '{WEIGHTS.filename}'."
        )
    if "truncated" in text or "eof" in text.lower():
        return WeightsError(f"Weights file '{path}' is truncated; get a complete copy of '{WEIGHTS.filename}'.")
    if "signature" in text:
        return _not_inception(path, "it is not an HDF5 file")
    return WeightsError(f"Weights file '{path}' is damaged: it cannot be read as an HDF5 file.")


def _decode(names) -> list[str]:
    return [n.decode("utf8") if isinstance(n, bytes) else str(n) for n in names]


def inspect_file(path) -> tuple[str, int | None]:
    """(format, layers with weights) of a weights file, by its content.

    format is "legacy" (Keras 2's HDF5 weights, as Keras's `_notop.h5` downloads: a `layer_names`
    attribute at the root or under `model_weights`; the count is of its layers with weights) or
    "keras3" (`model.save_weights('x.weights.h5')` in Keras 3: `layers` / `vars` groups; count
    None). Raises WeightsError when it is neither, unreadable, truncated or not HDF5.
    """
    import h5py

    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        reason = error.strerror or error
        raise WeightsError(f"Weights file '{path}' cannot be read ({reason}).") from None
    try:
        with h5py.File(path, "r") as f:
            group = f
            if "layer_names" not in f.attrs and "model_weights" in f and "layer_names" in f["model_weights"].attrs:
                group = f["model_weights"]
            if "layer_names" in group.attrs:
                try:
                    count = sum(
                        1
                        for name in _decode(group.attrs["layer_names"])
                        if len(group[name].attrs.get("weight_names", ())) > 0
                    )
                except (KeyError, TypeError, ValueError):
                    raise _not_inception(path, "its Keras weights are malformed") from None
                return "legacy", count
            if "layers" in f or "vars" in f:
                return "keras3", None
            raise _not_inception(path, "it is an HDF5 file without Keras weights")
    except OSError as error:
        raise _open_error(path, error) from None


def _named_for(path: Path, kind: str, folder: str) -> Path:
    """path itself when its name routes Keras's load_weights to the loader for kind, else a link
    (or copy) of it in folder with such a name (Keras picks the loader by the name's ending)."""
    name = path.name.lower()
    keras3_name = name.endswith(".weights.h5")
    if kind == "keras3" and keras3_name:
        return path
    if kind == "legacy" and name.endswith((".h5", ".hdf5")) and not keras3_name:
        return path
    target = Path(folder) / ("inceptionv3.weights.h5" if kind == "keras3" else "inceptionv3.h5")
    source = path.resolve()
    try:
        os.symlink(source, target)
    except (OSError, NotImplementedError):
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return target


def load_weights_file(model, path) -> None:
    """Load an InceptionV3 weights file (legacy `_notop.h5` or Keras 3 `.weights.h5`, told apart by
    content, whatever its name) into model, or raise a WeightsError saying what is wrong with it."""
    path = Path(path)
    kind, count = inspect_file(path)
    if kind == "legacy":
        expected = sum(1 for layer in model.layers if layer.weights)
        if count != expected:
            hint = (
                f"; it looks like the one with the classifier top, and the one without ('{WEIGHTS.filename}') is needed"
                if count == expected + 1
                else ""
            )
            layers = "1 layer" if count == 1 else f"{count} layers"
            raise _not_inception(
                path, f"it holds weights for {layers} where InceptionV3 without its top has {expected}{hint}"
            )
    with tempfile.TemporaryDirectory(prefix="deepdream-") as folder:
        target = _named_for(path, kind, folder)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Keras warns per layer it skips before it fails
                model.load_weights(str(target))
        except OSError as error:
            raise _open_error(path, error) from None
        except KeyboardInterrupt:
            raise
        except Exception:  # ValueError from Keras mostly; keep its long text out
            reason = (
                "its weight shapes differ from InceptionV3's"
                if kind == "legacy"
                else "its layers and weights do not match InceptionV3's"
            )
            raise _not_inception(path, reason) from None


def claims(path) -> bool:
    """Whether path holds InceptionV3 weights, by a quick look at its content: an HDF5 file of
    Keras weights whose layers are InceptionV3's (legacy: a layer for each of `mixed0` ..
    `mixed10`; Keras 3: 94 convolutions and 94 batch normalisations, the first taking RGB)."""
    import h5py

    try:
        with open(path, "rb") as f:
            if f.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
                return False
        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
            if "layer_names" in group.attrs:
                return set(BLOCK_NAMES) <= set(_decode(group.attrs["layer_names"]))
            layers = f.get("layers")
            if not isinstance(layers, h5py.Group):
                return False
            names = list(layers)
            convs = [n for n in names if re.fullmatch(r"conv2d(_\d+)?", n)]
            norms = [n for n in names if re.fullmatch(r"batch_normalization(_\d+)?", n)]
            first = layers.get("conv2d/vars/0")
            return (
                len(convs) == len(norms) == CONVOLUTIONS and first is not None and tuple(first.shape) == (3, 3, 3, 32)
            )
    except (OSError, KeyError, TypeError, ValueError):
        return False


# -- the registry's interface ----------------------------------------------------------------
def load(weights: str | os.PathLike | None = None) -> Backbone:
    """InceptionV3 with ImageNet weights from `weights`, or found / downloaded (see files.py)."""
    path = resolve(WEIGHTS, weights, NAME)
    inspect_file(path)  # fail on a file that is not Keras weights before the slow model build
    model = build_model()
    load_weights_file(model, path)
    backbone = InceptionV3Backbone(
        model, catalog(model), mean=(127.5, 127.5, 127.5), scale=1 / 127.5, bgr=False, model_layers=model_layers(model)
    )
    backbone.name = NAME
    return backbone


def weights_status():
    """The registry's WeightsStatus: the file found, or where it is looked for."""
    return status(WEIGHTS)


__all__ = [
    "NAME",
    "CLASSIFIER",
    "DESCRIPTION",
    "WEIGHTS",
    "WEIGHTS_FORMAT",
    "STEM_LAYERS",
    "BLOCK_NAMES",
    "LAYER_NAMES",
    "DEFAULT_LAYERS",
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "MIN_SIZE",
    "InceptionV3Backbone",
    "build_model",
    "model_layers",
    "catalog",
    "inspect_file",
    "load_weights_file",
    "claims",
    "load",
    "weights_status",
]
