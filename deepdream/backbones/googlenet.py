"""GoogLeNet (Inception v1), the network of Google's original DeepDream, from its TensorFlow release.

The weights file is `tensorflow_inception_graph.pb` from `inception5h.zip`: a frozen TensorFlow 1
GraphDef whose weights are Const nodes (`conv2d0_w`, `mixed4c_3x3_b`, ...). It is read with protobuf
(no TensorFlow 1 session) and the network is rebuilt as a Keras model by walking the graph from its
`input` placeholder: each `<name>_pre_relu/conv` Conv2D plus `<name>_pre_relu` BiasAdd becomes one
Keras Conv2D layer named `<name>_pre_relu`, each Relu, MaxPool, LRN and Concat node a layer of its
node's name, with the strides, paddings, pool sizes and normalisation constants of the node's attrs.
So the layers and their channel counts are the file's, and the model takes input of any size.

The graph, per the original notebook and lucid's InceptionV1: input (RGB in [0, 255] minus 117) ->
conv2d0 (7x7/2) -> maxpool0 (3x3/2) -> localresponsenorm0 -> conv2d1 (1x1) -> conv2d2 (3x3) ->
localresponsenorm1 -> maxpool1 -> mixed3a, mixed3b -> maxpool4 -> mixed4a .. mixed4e -> maxpool10 ->
mixed5a, mixed5b (then the classifier heads, which are not rebuilt). Each mixed block concatenates
four branches: `_1x1`; `_3x3_bottleneck` -> `_3x3`; `_5x5_bottleneck` -> `_5x5`; `_pool` (3x3/1
max pool) -> `_pool_reduce`. Every convolution is `<name>_pre_relu` (BiasAdd) and `<name>` (Relu).

The catalog has every convolution's `_pre_relu` and Relu output, and each block's concatenation;
`<block>_pre_relu` (as in lucid) is the concatenation of the block's four branches before their
Relus, which the graph itself does not hold.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from ..errors import WeightsError
from . import graphdef
from .base import Backbone, LayerInfo
from .files import WeightsFile, file_kind, resolve, status
from .graphdef import node_names

NAME = "googlenet"
DESCRIPTION = "GoogLeNet / Inception v1 (ImageNet): the network of Google's original DeepDream (inception5h)"
#: Whether it ends in ImageNet's 1000-class classifier (`logits`): --class and --keep-subject need it.
CLASSIFIER = False

ZIP_URL = "https://storage.googleapis.com/download.tensorflow.org/models/inception5h.zip"
WEIGHTS = WeightsFile(
    "tensorflow_inception_graph.pb",
    ZIP_URL,
    md5_or_sha=None,  # no published hash found; the file's structure is checked instead
    size=53_884_595,  # as stated by the TensorFlow Android example and DeepDream scripts using it
    description="GoogLeNet (inception5h) frozen TensorFlow graph, inside inception5h.zip",
    how=(f"download {ZIP_URL}, unzip it and run `deepdream weights add tensorflow_inception_graph.pb`"),
    download=False,
)

STEM = ("conv2d0", "conv2d1", "conv2d2")
BLOCKS = ("mixed3a", "mixed3b", "mixed4a", "mixed4b", "mixed4c", "mixed4d", "mixed4e", "mixed5a", "mixed5b")
BRANCHES = ("1x1", "3x3_bottleneck", "3x3", "5x5_bottleneck", "5x5", "pool_reduce")
#: The four branches a block concatenates, in order.
BLOCK_OUTPUTS = ("1x1", "3x3", "5x5", "pool_reduce")


def _layer_names() -> tuple[str, ...]:
    names = []
    for conv in STEM:
        names += [f"{conv}_pre_relu", conv]
    for block in BLOCKS:
        for branch in BRANCHES:
            names += [f"{block}_{branch}_pre_relu", f"{block}_{branch}"]
        names += [f"{block}_pre_relu", block]
    return tuple(names)


#: The catalog's layers, shallow to deep.
LAYER_NAMES = _layer_names()
#: lucid's `<block>_pre_relu` layers, which the graph does not hold (made here).
MADE_LAYERS = tuple(f"{block}_pre_relu" for block in BLOCKS)
#: The nodes a graph must have.
GRAPH_NODES = ("input",) + tuple(n for n in LAYER_NAMES if n not in MADE_LAYERS)
#: What `deepdream weights add` says a file of this backbone is.
WEIGHTS_FORMAT = "the GoogLeNet TensorFlow graph"
#: As in the original notebook's last dreams (`T('mixed4c')`).
DEFAULT_LAYERS = (("mixed4c", 1.0),)
#: Style transfer: content at a middle block; style from the stem's convolutions up to block 5a,
#: spread over scales 2 to 32 (as VGG's `blockN_conv1`).
CONTENT_LAYERS = (("mixed4c", 1.0),)
STYLE_LAYERS = (("conv2d0", 1.0), ("conv2d2", 1.0), ("mixed3a", 1.0), ("mixed4a", 1.0), ("mixed5a", 1.0))
MIN_SIZE = 32
#: Model space: RGB in [0, 255] minus this mean, as the graph was trained.
MEAN = 117.0

_SUPPORTED_OPS = ("Placeholder", "Identity", "Conv2D", "BiasAdd", "Relu", "MaxPool", "LRN", "Concat", "ConcatV2")


class GoogLeNetBackbone(Backbone):
    name = NAME
    default_layers = DEFAULT_LAYERS
    guide_layers = DEFAULT_LAYERS
    content_layers = CONTENT_LAYERS
    style_layers = STYLE_LAYERS
    min_size = MIN_SIZE


def _not_googlenet(path, reason: str) -> WeightsError:
    return WeightsError(f"'{path}' is not the GoogLeNet graph '{WEIGHTS.filename}' ({reason}).")


# -- reading the file ------------------------------------------------------------------------
def read_graph(path):
    """The GraphDef in path, or a WeightsError saying why it is not GoogLeNet's."""
    return graphdef.read_graph(path, lambda reason: _not_googlenet(path, reason), WEIGHTS.size)


def check_nodes(graph_def, path) -> dict:
    """name -> NodeDef, or a WeightsError naming a node GoogLeNet has and the graph lacks."""
    nodes = {node.name: node for node in graph_def.node}
    missing = [name for name in GRAPH_NODES if name not in nodes]
    if missing:
        if not nodes:
            raise _not_googlenet(path, "it holds no TensorFlow graph")
        more = f" and {len(missing) - 1} other nodes" if len(missing) > 1 else ""
        raise _not_googlenet(path, f"its graph has no node '{missing[0]}'{more} of GoogLeNet")
    return nodes


def is_graph_def(path) -> bool:
    """Whether path reads as a TensorFlow GraphDef with at least one node (of any network)."""
    try:
        return len(read_graph(path).node) > 0
    except WeightsError:
        return False


def claims(path) -> bool:
    """Whether path is GoogLeNet's graph: a TensorFlow GraphDef holding most of GoogLeNet's nodes
    (one with a few missing is still claimed, so that loading it names what it lacks). Quick, and
    needs no TensorFlow."""
    try:
        if file_kind(path) != "protobuf":
            return False
        names = graphdef.file_node_names(path)
    except (OSError, WeightsError, ValueError, IndexError, UnicodeDecodeError):
        return False
    return sum(name in names for name in GRAPH_NODES) >= len(GRAPH_NODES) // 2


# -- rebuilding the network ------------------------------------------------------------------
@functools.cache
def _lrn_layer_class():
    import keras
    import tensorflow as tf

    class LocalResponseNormalization(keras.layers.Layer):
        """tf.nn.local_response_normalization with the graph's LRN attrs, computed in float32
        whatever the layer's compute dtype (TensorFlow has LRN kernels for float32 on GPU, and
        float32 or float16 on CPU: none for bfloat16)."""

        def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, **kwargs):
            super().__init__(**kwargs)
            self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

        def call(self, x):
            y = tf.nn.local_response_normalization(
                tf.cast(x, tf.float32), self.depth_radius, self.bias, self.alpha, self.beta
            )
            return tf.cast(y, x.dtype)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {
                **super().get_config(),
                "depth_radius": self.depth_radius,
                "bias": self.bias,
                "alpha": self.alpha,
                "beta": self.beta,
            }

    return LocalResponseNormalization


class _Builder:
    """Keras tensors for graph nodes, made on demand from the input up (each node once)."""

    def __init__(self, nodes: dict, path):
        import keras

        self.keras = keras
        self.nodes = nodes
        self.path = path
        self.tensors: dict[str, tuple[object, int]] = {}  # node -> (keras tensor, stride)
        self.weights: dict[str, list[np.ndarray]] = {}  # keras layer -> its weights
        self.lrn = _lrn_layer_class()

    # graph helpers
    def _fail(self, reason: str) -> WeightsError:
        return _not_googlenet(self.path, reason)

    def node(self, ref: str):
        name = ref.split(":")[0].lstrip("^")
        if name not in self.nodes:
            raise self._fail(f"its graph refers to a node '{name}' it does not have")
        return self.nodes[name]

    def skip_identity(self, ref: str):
        node = self.node(ref)
        seen = 0
        while node.op == "Identity" and seen < 100:
            node, seen = self.node(node.input[0]), seen + 1
        return node

    def const(self, ref: str) -> np.ndarray:
        import tensorflow as tf

        node = self.skip_identity(ref)
        if node.op != "Const":
            raise self._fail(f"the weights '{node.name}' are not stored in the graph")
        return tf.make_ndarray(node.attr["value"].tensor)

    @staticmethod
    def _ints(node, key, default):
        values = list(node.attr[key].list.i) if key in node.attr else []
        return values or default

    def _nhwc(self, node):
        fmt = node.attr["data_format"].s.decode() if "data_format" in node.attr else "NHWC"
        if fmt not in ("", "NHWC"):
            raise self._fail(f"node '{node.name}' uses the data format {fmt}")

    def _padding(self, node) -> str:
        padding = node.attr["padding"].s.decode()
        if padding not in ("SAME", "VALID"):
            raise self._fail(f"node '{node.name}' uses the padding {padding or 'none'}")
        return padding.lower()

    # conversion
    def tensor(self, name: str):
        """(keras tensor, stride) of node name."""
        node = self.node(name)
        if node.name in self.tensors:
            return self.tensors[node.name]
        if node.op not in _SUPPORTED_OPS:
            raise self._fail(
                f"its node '{node.name}' is an operation of type {node.op}, which GoogLeNet does not have there"
            )
        result = getattr(self, f"_{node.op.lower()}")(node)
        self.tensors[node.name] = result
        return result

    def _placeholder(self, node):
        if node.name != "input":
            raise self._fail(f"it has a second input, '{node.name}'")
        return self.keras.Input((None, None, 3), name="input"), 1

    def _identity(self, node):
        return self.tensor(node.input[0])

    def _conv(self, conv, bias_node=None):
        """A Keras Conv2D for the Conv2D node conv (and the BiasAdd bias_node after it)."""
        self._nhwc(conv)
        x, stride = self.tensor(conv.input[0])
        kernel = self.const(conv.input[1]).astype(np.float32)
        strides = self._ints(conv, "strides", [1, 1, 1, 1])
        dilations = self._ints(conv, "dilations", [1, 1, 1, 1])
        in_channels = x.shape[-1]
        if kernel.ndim != 4 or kernel.shape[2] != in_channels:
            raise self._fail(
                f"the weights of '{conv.name}' have the shape {kernel.shape}, which "
                f"does not take its input's {in_channels} channels"
            )
        weights = [kernel]
        if bias_node is not None:
            self._nhwc(bias_node)
            bias = self.const(bias_node.input[1]).astype(np.float32)
            if bias.shape != (kernel.shape[3],):
                raise self._fail(
                    f"the bias of '{bias_node.name}' has the shape {bias.shape} "
                    f"where its convolution has {kernel.shape[3]} channels"
                )
            weights.append(bias)
        name = (bias_node or conv).name.replace("/", "_")
        layer = self.keras.layers.Conv2D(
            int(kernel.shape[3]),
            kernel.shape[:2],
            strides=tuple(strides[1:3]),
            padding=self._padding(conv),
            dilation_rate=tuple(dilations[1:3]),
            use_bias=bias_node is not None,
            kernel_initializer="zeros",
            name=name,
        )
        self.weights[name] = weights
        return layer(x), stride * int(strides[1])

    def _conv2d(self, node):
        return self._conv(node)

    def _biasadd(self, node):
        conv = self.skip_identity(node.input[0])
        if conv.op != "Conv2D" or conv.name in self.tensors:
            raise self._fail(f"node '{node.name}' adds a bias to something other than a convolution")
        return self._conv(conv, node)

    def _relu(self, node):
        x, stride = self.tensor(node.input[0])
        return self.keras.layers.ReLU(name=node.name)(x), stride

    def _maxpool(self, node):
        self._nhwc(node)
        x, stride = self.tensor(node.input[0])
        ksize = self._ints(node, "ksize", [1, 1, 1, 1])
        strides = self._ints(node, "strides", [1, 1, 1, 1])
        layer = self.keras.layers.MaxPooling2D(
            tuple(ksize[1:3]), tuple(strides[1:3]), padding=self._padding(node), name=node.name
        )
        return layer(x), stride * int(strides[1])

    def _lrn(self, node):
        x, stride = self.tensor(node.input[0])
        attr = node.attr
        layer = self.lrn(
            depth_radius=int(attr["depth_radius"].i) if "depth_radius" in attr else 5,
            bias=float(attr["bias"].f) if "bias" in attr else 1.0,
            alpha=float(attr["alpha"].f) if "alpha" in attr else 1.0,
            beta=float(attr["beta"].f) if "beta" in attr else 0.5,
            name=node.name,
        )
        return layer(x), stride

    def _concat(self, node):
        # Concat (TensorFlow 1): the axis first; ConcatV2: the axis last.
        inputs = [i for i in node.input if not i.startswith("^")]
        axis_ref, values = (inputs[0], inputs[1:]) if node.op == "Concat" else (inputs[-1], inputs[:-1])
        axis = int(self.const(axis_ref))
        if axis not in (3, -1):
            raise self._fail(f"node '{node.name}' concatenates along axis {axis}, not channels")
        return self.concatenate([self.tensor(v) for v in values], node.name)

    _concatv2 = _concat

    def concatenate(self, parts, name):
        strides = {stride for _, stride in parts}
        if len(strides) != 1:
            raise self._fail(f"'{name}' joins feature maps of different scales")
        tensors = [t for t, _ in parts]
        out = self.keras.layers.Concatenate(axis=-1, name=name)(tensors) if len(tensors) > 1 else tensors[0]
        return out, strides.pop()


def build_model(graph_def, path="the graph"):
    """(Keras model on model-space input of any size, catalog) rebuilt from a GoogLeNet GraphDef.

    The model's outputs are every catalog layer, so each is a layer of the model (`get_layer`).
    Raises WeightsError when the graph is not GoogLeNet's.
    """
    import keras

    builder = _Builder(check_nodes(graph_def, path), path)
    outputs, catalog = [], []
    for name in LAYER_NAMES:
        if name in MADE_LAYERS and name not in builder.nodes:
            block = name[: -len("_pre_relu")]
            # lucid's `<block>_pre_relu`: the block's branches before their Relus, concatenated.
            parts = [builder.tensor(f"{block}_{branch}_pre_relu") for branch in BLOCK_OUTPUTS]
            tensor, stride = builder.concatenate(parts, name)
            builder.tensors[name] = (tensor, stride)
        else:
            tensor, stride = builder.tensor(name)
        outputs.append(tensor)
        catalog.append(LayerInfo(name, int(tensor.shape[-1]), int(stride)))
    if builder.tensors.get("input") is None:
        raise _not_googlenet(path, "its layers do not start from its 'input' placeholder")
    model = keras.Model(builder.tensors["input"][0], outputs, name=NAME)
    for layer_name, weights in builder.weights.items():
        model.get_layer(layer_name).set_weights(weights)
    return model, tuple(catalog)


# -- the registry's interface ----------------------------------------------------------------
def load(weights: str | os.PathLike | None = None) -> GoogLeNetBackbone:
    """GoogLeNet from `weights` (the graph file), else from the weights folder or Keras's cache.

    Never downloads: inception5h.zip has to be unzipped and its graph added by the user.
    """
    path = resolve(WEIGHTS, weights, NAME, allow_download=False)
    model, catalog = build_model(read_graph(path), path)
    return GoogLeNetBackbone(model, catalog, mean=(MEAN, MEAN, MEAN), scale=1.0, bgr=False)


def weights_status():
    """The registry's WeightsStatus: the file found, or where it is looked for and how to get it."""
    return status(WEIGHTS)


__all__ = [
    "NAME",
    "CLASSIFIER",
    "DESCRIPTION",
    "WEIGHTS",
    "ZIP_URL",
    "STEM",
    "BLOCKS",
    "BRANCHES",
    "LAYER_NAMES",
    "MADE_LAYERS",
    "GRAPH_NODES",
    "DEFAULT_LAYERS",
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "WEIGHTS_FORMAT",
    "MIN_SIZE",
    "MEAN",
    "GoogLeNetBackbone",
    "read_graph",
    "check_nodes",
    "is_graph_def",
    "node_names",
    "claims",
    "build_model",
    "load",
    "weights_status",
]
