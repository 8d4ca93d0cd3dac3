"""A small GoogLeNet GraphDef for tests: the node names, op types and structure of the real
`tensorflow_inception_graph.pb` (inception5h), with random weights and fewer channels.

Built node by node as protobufs, so it has exactly the graph's op types (Conv2D + BiasAdd + Relu,
MaxPool, LRN, the TensorFlow 1 `Concat` with its axis first) and names (`conv2d0_pre_relu/conv`,
`mixed3a/concat_dim`, ...), plus a classifier-head node the loader must ignore. Also: the reference
features of a graph, computed by running the GraphDef itself in TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The real graph's channels: (name, kernel, stride, channels) for the stem convolutions, and per
#: block (1x1, 3x3_bottleneck, 3x3, 5x5_bottleneck, 5x5, pool_reduce).
STEM = (("conv2d0", 7, 2, 64), ("conv2d1", 1, 1, 64), ("conv2d2", 3, 1, 192))
BLOCKS = {
    "mixed3a": (64, 96, 128, 16, 32, 32),
    "mixed3b": (128, 128, 192, 32, 96, 64),
    "mixed4a": (192, 96, 204, 16, 48, 64),
    "mixed4b": (160, 112, 224, 24, 64, 64),
    "mixed4c": (128, 128, 256, 24, 64, 64),
    "mixed4d": (112, 144, 288, 32, 64, 64),
    "mixed4e": (256, 160, 320, 32, 128, 128),
    "mixed5a": (256, 160, 320, 48, 128, 128),
    "mixed5b": (384, 192, 384, 48, 128, 128),
}
#: Max pools (3x3, stride 2, SAME) before these blocks.
POOL_BEFORE = {"mixed3a": "maxpool1", "mixed4a": "maxpool4", "mixed5a": "maxpool10"}
LRN = dict(depth_radius=4, bias=1.0, alpha=1e-4, beta=0.5)


def reduced(channels: int, divisor: int) -> int:
    return max(2, channels // divisor)


class _Graph:
    def __init__(self, seed: int):
        from tensorflow.core.framework import graph_pb2

        self.graph = graph_pb2.GraphDef()
        self.rng = np.random.default_rng(seed)

    @staticmethod
    def _attr(value):
        from tensorflow.core.framework import attr_value_pb2, types_pb2

        A = attr_value_pb2.AttrValue
        if isinstance(value, A):
            return value
        if value == "float":
            return A(type=types_pb2.DT_FLOAT)
        if isinstance(value, bool):
            return A(b=value)
        if isinstance(value, int):
            return A(i=value)
        if isinstance(value, float):
            return A(f=value)
        if isinstance(value, str):
            return A(s=value.encode())
        return A(list=A.ListValue(i=list(value)))

    def node(self, name, op, inputs=(), **attrs):
        node = self.graph.node.add()
        node.name, node.op = name, op
        node.input.extend(inputs)
        for key, value in attrs.items():
            node.attr[key].CopyFrom(self._attr(value))
        return name

    def const(self, name, array):
        import tensorflow as tf
        from tensorflow.core.framework import attr_value_pb2, types_pb2

        array = np.asarray(array)
        dtype = types_pb2.DT_INT32 if array.dtype.kind == "i" else types_pb2.DT_FLOAT
        self.node(
            name,
            "Const",
            dtype=attr_value_pb2.AttrValue(type=dtype),
            value=attr_value_pb2.AttrValue(tensor=tf.make_tensor_proto(array)),
        )
        return name

    def conv(self, name, x, in_ch, out_ch, kernel, stride=1):
        """`<name>_pre_relu/conv`, `<name>_pre_relu` and `<name>`, as in the graph."""
        # He-scaled, so activations neither vanish nor explode through 60 layers.
        w = self.rng.normal(0, np.sqrt(2.0 / (kernel * kernel * in_ch)), (kernel, kernel, in_ch, out_ch)).astype(
            np.float32
        )
        b = self.rng.normal(0, 0.1, out_ch).astype(np.float32)
        self.const(f"{name}_w", w)
        self.const(f"{name}_b", b)
        conv = self.node(
            f"{name}_pre_relu/conv",
            "Conv2D",
            [x, f"{name}_w"],
            T="float",
            strides=[1, stride, stride, 1],
            padding="SAME",
            data_format="NHWC",
            use_cudnn_on_gpu=True,
            dilations=[1, 1, 1, 1],
        )
        pre = self.node(f"{name}_pre_relu", "BiasAdd", [conv, f"{name}_b"], T="float", data_format="NHWC")
        return self.node(name, "Relu", [pre], T="float")

    def maxpool(self, name, x, stride):
        return self.node(
            name,
            "MaxPool",
            [x],
            T="float",
            ksize=[1, 3, 3, 1],
            strides=[1, stride, stride, 1],
            padding="SAME",
            data_format="NHWC",
        )

    def lrn(self, name, x, params):
        return self.node(name, "LRN", [x], T="float", **params)


def make_graph(divisor: int = 8, seed: int = 0, skip: tuple[str, ...] = (), lrn: dict = LRN):
    """A GoogLeNet GraphDef with the real graph's channels divided by divisor (at least 2 each).

    skip: node names to leave out (to make a graph that is not quite GoogLeNet's).
    lrn: the LRN nodes' attrs (depth_radius, bias, alpha, beta).
    """
    g = _Graph(seed)
    g.node("input", "Placeholder", dtype="float", shape=_shape_attr([-1, -1, -1, 3]))
    x, ch = "input", 3
    for name, kernel, stride, channels in STEM:
        out = reduced(channels, divisor)
        x = g.conv(name, x, ch, out, kernel, stride)
        ch = out
        if name == "conv2d0":
            x = g.lrn("localresponsenorm0", g.maxpool("maxpool0", x, 2), lrn)
        if name == "conv2d2":
            x = g.lrn("localresponsenorm1", x, lrn)
    for block, channels in BLOCKS.items():
        if block in POOL_BEFORE:
            x = g.maxpool(POOL_BEFORE[block], x, 2)
        c1, c3b, c3, c5b, c5, cp = (reduced(c, divisor) for c in channels)
        one = g.conv(f"{block}_1x1", x, ch, c1, 1)
        three = g.conv(f"{block}_3x3", g.conv(f"{block}_3x3_bottleneck", x, ch, c3b, 1), c3b, c3, 3)
        five = g.conv(f"{block}_5x5", g.conv(f"{block}_5x5_bottleneck", x, ch, c5b, 1), c5b, c5, 5)
        pool = g.conv(f"{block}_pool_reduce", g.maxpool(f"{block}_pool", x, 1), ch, cp, 1)
        axis = g.const(f"{block}/concat_dim", np.int32(3))
        x = g.node(block, "Concat", [axis, one, three, five, pool], N=4, T="float")
        ch = c1 + c3 + c5 + cp
    # A classifier-head node, which the loader must leave alone.
    g.node(
        "avgpool0",
        "AvgPool",
        [x],
        T="float",
        ksize=[1, 7, 7, 1],
        strides=[1, 1, 1, 1],
        padding="VALID",
        data_format="NHWC",
    )
    if skip:
        kept = [n for n in g.graph.node if n.name not in skip]
        del g.graph.node[:]
        g.graph.node.extend(kept)
    return g.graph


def _shape_attr(dims):
    from tensorflow.core.framework import attr_value_pb2, tensor_shape_pb2

    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])
    return attr_value_pb2.AttrValue(shape=shape)


def write_graph(path, **kwargs) -> Path:
    path = Path(path)
    path.write_bytes(make_graph(**kwargs).SerializeToString())
    return path


def reference_features(graph_def, x, names):
    """The graph's own tensors `names` for model-space input x, by importing the GraphDef into a
    TensorFlow function (as the original notebook runs it)."""
    import tensorflow as tf

    def run(image):
        return tf.graph_util.import_graph_def(
            graph_def, input_map={"input:0": image}, return_elements=[f"{n}:0" for n in names]
        )

    fn = tf.compat.v1.wrap_function(run, [tf.TensorSpec([None, None, None, 3], tf.float32)])
    return [t.numpy() for t in fn(tf.constant(x, tf.float32))]
