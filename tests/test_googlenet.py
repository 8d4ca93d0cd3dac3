"""GoogLeNet (inception5h) backbone: rebuilt from a GraphDef of the real graph's node names and
structure (random weights, fewer channels; see googlenet_graph.py), checked against the GraphDef
itself run by TensorFlow. Never touches the network."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import SAMPLES, cli
from googlenet_graph import BLOCKS, LRN, make_graph, reduced, reference_features, write_graph
from PIL import Image

from deepdream import api, backbones
from deepdream.backbones import googlenet
from deepdream.backbones import weights as W
from deepdream.errors import WeightsError

FILENAME = googlenet.WEIGHTS.filename
DIVISOR = 8


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """The user weights folder and Keras's cache are empty folders of this test."""
    monkeypatch.setenv("DEEPDREAM_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path / "user_weights"))


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    return write_graph(tmp_path_factory.mktemp("googlenet") / "graph.pb", divisor=DIVISOR)


@pytest.fixture(scope="module")
def net(graph_file):
    return googlenet.load(str(graph_file))


def _block_channels(block: str) -> int:
    c1, _, c3, _, c5, cp = BLOCKS[block]
    return sum(reduced(c, DIVISOR) for c in (c1, c3, c5, cp))


# -- the network -----------------------------------------------------------------------------
def test_catalog_names_channels_and_strides_come_from_the_graph(net):
    names = [info.name for info in net.catalog]
    assert names == list(googlenet.LAYER_NAMES) and len(names) == 3 * 2 + 9 * 14
    assert names[:2] == ["conv2d0_pre_relu", "conv2d0"] and names[-2:] == ["mixed5b_pre_relu", "mixed5b"]
    assert "mixed4d_3x3_bottleneck_pre_relu" in names  # the original notebook's favourite
    by = {info.name: info for info in net.catalog}
    assert (by["conv2d0"].channels, by["conv2d0"].stride) == (64 // DIVISOR, 2)
    assert (by["conv2d2"].channels, by["conv2d2"].stride) == (192 // DIVISOR, 4)
    for block in BLOCKS:
        stride = {"3": 8, "4": 16, "5": 32}[block[5]]
        assert by[block].channels == by[f"{block}_pre_relu"].channels == _block_channels(block)
        assert by[block].stride == by[f"{block}_3x3_bottleneck"].stride == stride
    assert by["mixed4a"].channels == (192 + 204 + 48 + 64) // DIVISOR  # 508 in the real graph
    assert by["mixed4d_3x3_bottleneck_pre_relu"].channels == 144 // DIVISOR


def test_backbone_model_space_and_defaults(net):
    assert net.name == "googlenet" and repr(net) == "<Backbone googlenet: 132 layers>"
    assert net.default_layers == (("mixed4c", 1.0),) and net.min_size == 32
    assert net.guide_layers == net.default_layers and net.content_layers == (("mixed4c", 1.0),)
    assert [name for name, _ in net.style_layers] == ["conv2d0", "conv2d2", "mixed3a", "mixed4a", "mixed5a"]
    for name, _ in (*net.default_layers, *net.content_layers, *net.style_layers):
        net.layer(name)  # every default is in the catalog
    np.testing.assert_allclose(net.low, -117.0)
    np.testing.assert_allclose(net.high, 138.0)
    np.testing.assert_allclose(net.preprocess(np.array([117.0, 0.0, 255.0])), [0.0, -117.0, 138.0])
    np.testing.assert_allclose(net.deprocess(net.preprocess(np.array([1.0, 2.0, 3.0]))), [1.0, 2.0, 3.0])


def test_features_equal_the_graph_run_by_tensorflow(net, graph_file):
    """The rebuilt Keras model computes what the GraphDef computes, at an odd input size."""
    graph_def = googlenet.read_graph(graph_file)
    rgb = np.random.default_rng(1).uniform(0, 255, (1, 61, 83, 3)).astype(np.float32)
    x = net.preprocess(rgb).numpy()
    names = [
        "conv2d0_pre_relu",
        "conv2d2",
        "mixed3a",
        "mixed4c",
        "mixed4d_3x3_bottleneck_pre_relu",
        "mixed4e_pool_reduce",
        "mixed5b",
    ]
    ours = [f.numpy() for f in net.feature_model(names)(x)]
    theirs = reference_features(graph_def, x, names)
    for name, a, b in zip(names, ours, theirs, strict=False):
        assert a.shape == b.shape, name
        assert np.abs(b).max() > 1.0, name  # activations alive at every depth
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3, err_msg=name)
    assert ours[names.index("mixed4c")].shape == (1, 4, 6, _block_channels("mixed4c"))
    assert ours[names.index("mixed5b")].shape[1:3] == (2, 3)  # SAME padding: ceil(61 / 32)
    # lucid's mixed4a_pre_relu: the branches before their Relus, concatenated.
    branches = [f"mixed4a_{b}_pre_relu" for b in googlenet.BLOCK_OUTPUTS]
    made, after = [f.numpy() for f in net.feature_model(["mixed4a_pre_relu", "mixed4a"])(x)]
    np.testing.assert_allclose(
        made, np.concatenate(reference_features(graph_def, x, branches), -1), rtol=1e-4, atol=1e-3
    )
    assert made.min() < 0  # before the Relu
    np.testing.assert_array_equal(np.maximum(made, 0), after)


def test_normalisation_constants_are_read_from_the_graph(tmp_path):
    lrn = dict(depth_radius=2, bias=2.0, alpha=0.01, beta=0.75)
    assert lrn != LRN
    graph_def = make_graph(divisor=16, seed=3, lrn=lrn)
    path = tmp_path / "lrn.pb"
    path.write_bytes(graph_def.SerializeToString())
    model, _ = googlenet.build_model(googlenet.read_graph(path), path)
    layer = model.get_layer("localresponsenorm1")
    assert (layer.depth_radius, layer.bias, layer.beta) == (2, 2.0, 0.75)
    assert layer.alpha == pytest.approx(0.01)  # a float32 attr
    x = np.random.default_rng(2).uniform(-117, 138, (1, 40, 40, 3)).astype(np.float32)
    probe = [model.get_layer("conv2d1").output, model.get_layer("mixed3b").output]
    import keras

    ours = [f.numpy() for f in keras.Model(model.input, probe)(x)]
    for a, b in zip(ours, reference_features(graph_def, x, ["conv2d1", "mixed3b"]), strict=False):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


# -- dreaming --------------------------------------------------------------------------------
def test_dream_api_with_weights_file(graph_file):
    rgb = np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((80, 64)), np.float32)
    out = api.dream(rgb, backbone="googlenet", weights=str(graph_file), octaves=2, steps=3, tile_size=64, seed=1)
    assert out.shape == rgb.shape and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 255
    assert np.abs(out - rgb).mean() > 1.0
    mixed = api.dream(
        rgb,
        layers=["mixed4d_3x3_bottleneck_pre_relu:3"],
        backbone="googlenet",
        weights=str(graph_file),
        octaves=1,
        steps=2,
        tile_size=64,
        seed=1,
    )
    assert np.abs(mixed - out).mean() > 0.5  # another objective, another dream


def test_dream_cli_with_weights_file(graph_file, tmp_path):
    out = tmp_path / "dream.png"
    result = cli(
        "dream",
        SAMPLES / "chelsea.png",
        "-o",
        out,
        "--backbone",
        "googlenet",
        "--weights",
        graph_file,
        "--max-side",
        "90",
        "--octaves",
        "2",
        "--steps",
        "2",
        "--tile-size",
        "64",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    dreamt = np.asarray(Image.open(out).convert("RGB"), np.float32)
    source = np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((90, 60), Image.LANCZOS), np.float32)
    assert dreamt.shape == (60, 90, 3)
    assert np.abs(dreamt - source).mean() > 1.0


# -- where the file comes from ---------------------------------------------------------------
def test_found_in_user_folder_and_status(graph_file):
    status = googlenet.weights_status()
    assert status == backbones.weights_status("googlenet") and not status.available
    assert FILENAME in status.where and "inception5h.zip" in status.where
    assert "deepdream weights add" in status.where
    target = W.user_weights_dir() / FILENAME
    target.parent.mkdir(parents=True)
    target.write_bytes(graph_file.read_bytes())
    assert googlenet.weights_status() == backbones.WeightsStatus(True, str(target))
    assert [i.name for i in googlenet.load().catalog] == list(googlenet.LAYER_NAMES)


def test_missing_everywhere_is_one_sentence_and_never_downloads(monkeypatch):
    monkeypatch.delenv("DEEPDREAM_OFFLINE")  # even with downloads allowed
    with pytest.raises(WeightsError) as error:
        googlenet.load()
    message = str(error.value)
    assert message.startswith(f"Backbone 'googlenet' needs the weights file '{FILENAME}' (not found)")
    assert googlenet.ZIP_URL in message and "unzip it" in message
    assert "deepdream weights add" in message and str(W.user_weights_dir()) in message
    assert "--weights FILE" in message and "vgg16" in message
    assert "\n" not in message and ". " not in message and message.endswith(".")
    assert not W.keras_cache_dir().exists()


# -- wrong files -----------------------------------------------------------------------------
def _refused(path, *fragments):
    with pytest.raises(WeightsError) as error:
        googlenet.load(str(path))
    message = str(error.value)
    assert str(path) in message and "\n" not in message and len(message) < 300, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_not_a_graph(tmp_path):
    text = tmp_path / "notes.pb"
    text.write_text("not a graph at all")
    _refused(text, f"is not the GoogLeNet graph '{FILENAME}'", "cannot be read as a TensorFlow GraphDef")
    empty = tmp_path / "empty.pb"
    empty.write_bytes(b"")
    _refused(empty, "it holds no TensorFlow graph")
    hdf5 = W.HDF5_SIGNATURE + bytes(range(256)) * 8
    (tmp_path / "weights.h5").write_bytes(hdf5)
    _refused(tmp_path / "weights.h5", "is not the GoogLeNet graph")


def test_truncated_graph(graph_file, tmp_path):
    cut = tmp_path / "cut.pb"
    cut.write_bytes(graph_file.read_bytes()[: graph_file.stat().st_size // 3])
    _refused(cut, "is not the GoogLeNet graph")


def test_graph_without_googlenet_nodes(tmp_path):
    missing = tmp_path / "missing.pb"
    missing.write_bytes(make_graph(divisor=16, skip=("mixed4c",)).SerializeToString())
    _refused(missing, "its graph has no node 'mixed4c' of GoogLeNet")
    other = tmp_path / "other.pb"
    graph = make_graph(divisor=16)
    kept = [n for n in graph.node if n.name in ("input", "conv2d0_w", "conv2d0_b")]
    del graph.node[:]
    graph.node.extend(kept)
    other.write_bytes(graph.SerializeToString())
    message = _refused(other, "its graph has no node 'conv2d0_pre_relu' and")
    assert f"{len(googlenet.GRAPH_NODES) - 2} other nodes" in message


def test_weights_of_the_wrong_shape(tmp_path):
    import tensorflow as tf

    graph = make_graph(divisor=16)
    for node in graph.node:
        if node.name == "mixed4b_5x5_w":  # a kernel taking 7 channels where its input has 3
            kernel = tf.make_ndarray(node.attr["value"].tensor)
            wrong = np.zeros(kernel.shape[:2] + (kernel.shape[2] + 4, kernel.shape[3]), np.float32)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(wrong))
    path = tmp_path / "shapes.pb"
    path.write_bytes(graph.SerializeToString())
    _refused(
        path, "the weights of 'mixed4b_5x5_pre_relu/conv' have the shape", f"its input's {reduced(24, 16)} channels"
    )


def test_unknown_operation_on_the_path(tmp_path):
    graph = make_graph(divisor=16)
    for node in graph.node:
        if node.name == "maxpool4":
            node.op = "AvgPool"
    path = tmp_path / "avg.pb"
    path.write_bytes(graph.SerializeToString())
    _refused(path, "its node 'maxpool4' is an operation of type AvgPool")


def test_strides_are_whole_powers_of_two(net):
    for info in net.catalog:
        assert info.stride == 2 ** round(math.log2(info.stride)) and 2 <= info.stride <= 32


@pytest.mark.skipif(
    not hasattr(backbones.Backbone, "model_in_precision"), reason="no reduced-precision models in this tree"
)
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_reduced_precision_copies_compute_the_same_features(net, precision):
    """The LRN layers run in float32 inside a bfloat16 / float16 network (TensorFlow has no
    bfloat16 LRN kernel); the features stay within the precision's rounding of float32's."""
    x = net.preprocess(np.random.default_rng(4).uniform(0, 255, (1, 64, 64, 3)).astype(np.float32))
    (exact,) = [f.numpy() for f in net.feature_model(["mixed4c", "conv2d2"])(x)][:1]
    low = net.feature_model(["mixed4c", "conv2d2"], precision=precision)(x)[0]
    assert low.dtype.name == precision
    error = np.abs(np.asarray(low, np.float32) - exact).max() / np.abs(exact).max()
    assert error < 0.03, error
    layer = net.model_in_precision(precision).get_layer("localresponsenorm0")
    assert layer.dtype_policy.compute_dtype == precision and layer.alpha == pytest.approx(1e-4)


def test_claims_reads_node_names_without_tensorflow(graph_file, tmp_path):
    from googlenet_graph import make_graph

    graph = make_graph(divisor=16)
    data = graph.SerializeToString()
    assert googlenet.node_names(data) == [node.name for node in graph.node]
    assert googlenet.claims(graph_file)
    truncated = tmp_path / "truncated.pb"
    truncated.write_bytes(data[: len(data) // 2])
    assert not googlenet.claims(truncated)
    other = make_graph(divisor=16)
    for node in other.node:
        node.name = "other_" + node.name
    foreign = tmp_path / "other.pb"
    foreign.write_bytes(other.SerializeToString())
    assert not googlenet.claims(foreign)  # a graph, but not of GoogLeNet's nodes
