"""EfficientNet-Lite2: its PyTorch state dict read without PyTorch, the rebuilt network's classes,
catalog and feature maps, and clear errors for wrong files. The model is built once per module."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image

from deepdream import backbones
from deepdream.backbones import efficientnet_lite2 as E
from deepdream.backbones import weights as W
from deepdream.errors import WeightsError


@pytest.fixture(scope="module")
def net():
    return backbones.load_backbone("efficientnet-lite2")


def _square(path, side=260) -> np.ndarray:
    """The picture's centre square at side x side, as the network was trained."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    return np.asarray(image.crop(box).resize((side, side), Image.BICUBIC), np.float32)


# -- the network -----------------------------------------------------------------------------
def test_classifies_the_samples(net):
    cat = net.classify(_square(SAMPLES / "chelsea.png"))
    assert 281 <= cat[0][0] <= 285, cat  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert {281, 282, 285} <= {index for index, _, _ in cat}
    coffee = net.classify(_square(SAMPLES / "coffee.png"))
    assert coffee[0][0] in (967, 968, 504) and coffee[0][1] == "espresso", coffee
    assert coffee[0][2] > 0.5


def test_architecture_and_parameters(net):
    assert len(E.BLOCKS) == 21 and sum(s.blocks for s in E.STAGES) == 21
    assert net.model.count_params() == 6_063_024  # batch norms folded into the convolutions
    assert net.name == "efficientnet-lite2" and net.min_size == 32
    np.testing.assert_allclose(net.preprocess(np.array([127.0, 255.0, 0.0])), [0.0, 1.0, -127 / 128])
    np.testing.assert_allclose(net.high, 1.0)
    np.testing.assert_allclose(net.low, -127 / 128)


def test_catalog_names_channels_and_strides(net):
    names = [info.name for info in net.catalog]
    assert names[:4] == ["stem", "block1a_dwconv", "block1a_out", "block2a_expand"]
    assert names[-2:] == ["head", "logits"]
    assert "block1a_expand" not in names  # block 1a does not expand
    assert len(names) == 1 + 20 * 3 + 2 + 2
    layer = net.layer
    assert (layer("stem").channels, layer("stem").stride) == (32, 2)
    assert (layer("block2a_expand").stride, layer("block2a_dwconv").stride) == (2, 4)
    assert (layer("block5c_expand").channels, layer("block5c_expand").stride) == (720, 16)
    assert (layer("block5c_out").channels, layer("block5c_out").stride) == (120, 16)
    assert (layer("block6a_expand").stride, layer("block6a_dwconv").stride) == (16, 32)
    assert (layer("block7a_out").channels, layer("head").channels) == (352, 1280)
    assert (layer("logits").channels, layer("head").stride) == (1000, 32)
    strides = [info.stride for info in net.catalog]
    assert strides == sorted(strides)
    for name, _ in (*net.default_layers, *net.guide_layers, *net.content_layers, *net.style_layers):
        assert layer(name).stride >= 2


def test_feature_model_on_a_small_input(net):
    rgb = np.random.default_rng(0).uniform(0, 255, (1, 96, 64, 3)).astype(np.float32)
    expand, out = net.feature_model(["block5c_expand", "block3b_out"])(net.preprocess(rgb))
    assert expand.shape == (1, 96 // 16, 64 // 16, 720)
    assert out.shape == (1, 96 // 8, 64 // 8, 48)
    assert float(np.min(expand)) >= 0.0 and float(np.max(expand)) <= 6.0  # ReLU6
    # An odd size works too (TensorFlow's `same` padding), and logits are one position.
    logits, head = net.feature_model(["logits", "head"])(net.preprocess(rgb[:, :95, :63]))
    assert logits.shape == (1, 1, 1, 1000) and head.shape == (1, 3, 2, 1280)
    np.testing.assert_allclose(
        np.asarray(net.logits_model()(net.preprocess(rgb[:, :95, :63]))),
        np.asarray(logits).reshape(1, 1000),
        rtol=1e-5,
        atol=1e-5,
    )


def test_the_painting_network_computes_the_same_features_and_passes_back_half_of_each_branch(net):
    import tensorflow as tf

    from deepdream.backbones.base import scale_gradient_layer

    x = tf.constant(np.linspace(-1.0, 2.0, 6, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scale_gradient_layer(0.25, "branch")(x)
        energy = tf.reduce_sum(y * y)
    np.testing.assert_array_equal(y.numpy(), x.numpy())  # forward: unchanged
    np.testing.assert_allclose(tape.gradient(energy, x).numpy(), 0.25 * 2 * x.numpy())  # a quarter back

    residual = [b.name for b in E.BLOCKS if b.residual]
    assert len(residual) == 14 and E.PAINTING_SKIP_GRADIENT == 0.5
    painting = net.painting_network()
    assert painting is net.painting_network() and painting is not net.model  # made once
    assert [layer.name for layer in painting.layers if layer.name.endswith("_branch")] == [
        f"{name}_branch" for name in residual
    ]
    rgb = tf.constant(net.preprocess(np.random.default_rng(1).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)))
    gradients, logits = [], []
    for painting_gradient in (False, True):
        model = net.feature_model(["logits"], painting=painting_gradient)
        with tf.GradientTape() as tape:
            tape.watch(rgb)
            logit = tf.reshape(model(rgb), (2, 1000))[:, 207]
            total = tf.reduce_sum(logit)
        gradients.append(tape.gradient(total, rgb).numpy())
        logits.append(logit.numpy())
    np.testing.assert_allclose(logits[1], logits[0], rtol=1e-5, atol=1e-4)  # the same network forward
    plain, shortcut = gradients
    # another gradient: mostly through the skip connections (not a multiple of the plain one)
    cosine = float(np.sum(plain * shortcut) / np.linalg.norm(plain) / np.linalg.norm(shortcut))
    assert 0.0 < cosine < 0.95, cosine
    assert np.linalg.norm(shortcut) < 0.7 * np.linalg.norm(plain)  # half of each of 14 branches' share


def test_every_tensor_is_used_and_shapes_match_the_file():
    state = E.read_state_dict(E.embedded_weights_path())
    expected = E.expected_shapes()
    counters = [name for name in state if name.endswith("num_batches_tracked")]
    assert set(state) == set(expected) | set(counters)
    assert all(tuple(state[n].shape) == shape for n, shape in expected.items())
    # The stem's kernel is stored channels-last in the file; its strides are honoured.
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_conv_stem.weight"].flags["C_CONTIGUOUS"]


# -- class names -----------------------------------------------------------------------------
def test_imagenet_class_names():
    names = E.imagenet_classes()
    assert len(names) == 1000 and all(names)
    anchors = {
        0: "tench",
        1: "goldfish",
        207: "golden retriever",
        281: "tabby",
        282: "tiger cat",
        285: "Egyptian cat",
        504: "coffee mug",
        967: "espresso",
        968: "cup",
        999: "toilet tissue",
    }
    assert {i: names[i] for i in anchors} == anchors


# -- wrong files -----------------------------------------------------------------------------
def _one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message and len(message) < 300, message
    return message


def test_truncated_file(tmp_path):
    data = E.embedded_weights_path().read_bytes()
    for cut in (len(data) // 2, 40_000, 30):
        truncated = tmp_path / f"cut{cut}.pth"
        truncated.write_bytes(data[:cut])
        with pytest.raises(WeightsError, match="not an EfficientNet-Lite2 weights file") as error:
            E.load(truncated)
        assert "truncated" in _one_line(error) and str(truncated) in str(error.value)


def test_foreign_files(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("these are not weights")
    with pytest.raises(WeightsError, match=r"\(it is not a PyTorch pickle\)") as error:
        E.load(text)
    _one_line(error)

    # A pickle that would run code is refused without running it.
    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as f:
        pickle.dump(E._MAGIC, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"little_endian": True}, f, protocol=2)
        f.write(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    with pytest.raises(WeightsError, match="refers to os.system") as error:
        E.load(evil)
    _one_line(error)

    zipped = tmp_path / "new.pth"
    zipped.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(WeightsError, match="zip archive"):
        E.load(zipped)


def test_missing_and_misshapen_tensors(tmp_path):
    state = E.read_state_dict(E.embedded_weights_path())
    partial = {n: v for n, v in state.items() if n != "_blocks.7._bn1.running_var"}
    with pytest.raises(WeightsError, match=r"has no tensor '_blocks.7._bn1.running_var'\)") as e:
        E.check_state_dict(partial, "x.pth")
    _one_line(e)
    misshapen = dict(state, **{"_fc.weight": np.zeros((10, 1280), np.float32)})
    with pytest.raises(
        WeightsError,
        match=r"'_fc.weight' has the shape \(10, 1280\) where "
        r"EfficientNet-Lite2 has \(1000, 1280\)",
    ):
        E.check_state_dict(misshapen, "x.pth")
    with_se = dict(state, **{"_blocks.3._se_reduce.weight": np.zeros((6, 144, 1, 1), np.float32)})
    with pytest.raises(WeightsError, match="'_blocks.3._se_reduce.weight' that EfficientNet-Lite2 does not"):
        E.check_state_dict(with_se, "x.pth")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        E.load(tmp_path / "nope.pth")
    with pytest.raises(WeightsError, match="is a folder"):
        E.load(tmp_path)


# -- the registry and `deepdream weights` ----------------------------------------------------
def test_registry_identify_and_status(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path / "user_weights"))
    path = E.embedded_weights_path()
    assert "efficientnet-lite2" in backbones.names()
    assert not hasattr(backbones, "DEFAULT_BACKBONE")  # the default network is the settings' alone
    assert backbones.weights_status("efficientnet-lite2") == backbones.WeightsStatus(True, str(path))
    assert E.claims(path) and W.identify(path) == "efficientnet-lite2"
    for name in ("vgg16", "inceptionv3", "googlenet"):
        assert not backbones.module(name).claims(path)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(path.read_bytes()[:100])
    assert not E.claims(cut)
    report = W.describe("efficientnet-lite2", digest=False)
    assert report.embedded and report.available and report.path == path
    with pytest.raises(
        WeightsError, match="holds efficientnet-lite2 weights, but backbone 'efficientnet-lite2' takes no file"
    ):
        W.add(path)
