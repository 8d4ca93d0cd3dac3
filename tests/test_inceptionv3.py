"""InceptionV3 backbone and weights resolution, with real Keras; never touches the network.

One InceptionV3 with random (perturbed) weights is built per module and written in both formats
a user may have: Keras's legacy `_notop.h5` layout and Keras 3's `.weights.h5`.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from deepdream import backbones
from deepdream.backbones import inceptionv3
from deepdream.backbones import weights as W
from deepdream.backbones.base import LayerInfo
from deepdream.errors import WeightsError

# Keras's own weight I/O under NumPy 2 (not this code).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")

FILENAME = inceptionv3.WEIGHTS.filename
_ORIGINAL_KERAS_HOME = os.environ.get("KERAS_HOME")

EXPECTED_CATALOG = (
    LayerInfo("conv2d_2", 64, 2),
    LayerInfo("conv2d_4", 192, 4),
    LayerInfo("mixed0", 256, 8),
    LayerInfo("mixed1", 288, 8),
    LayerInfo("mixed2", 288, 8),
    LayerInfo("mixed3", 768, 16),
    LayerInfo("mixed4", 768, 16),
    LayerInfo("mixed5", 768, 16),
    LayerInfo("mixed6", 768, 16),
    LayerInfo("mixed7", 768, 16),
    LayerInfo("mixed8", 1280, 32),
    LayerInfo("mixed9", 2048, 32),
    LayerInfo("mixed10", 2048, 32),
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No downloads; the user weights folder and Keras's cache are empty folders of this test."""
    monkeypatch.setenv("DEEPDREAM_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path / "user_weights"))
    return tmp_path


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A random InceptionV3, its weights as legacy .h5 and as Keras 3 .weights.h5 (~88 MB each)."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    model = inceptionv3.build_model()
    rng = np.random.default_rng(0)
    # Perturb everything, so BatchNormalization's moving statistics are not their 0/1 defaults.
    model.set_weights([w + rng.normal(0.0, 0.05, w.shape).astype(w.dtype) for w in model.get_weights()])
    folder = tmp_path_factory.mktemp("inceptionv3")
    keras3 = folder / "source.weights.h5"
    model.save_weights(str(keras3))
    legacy = folder / FILENAME
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return SimpleNamespace(model=model, keras3=keras3, legacy=legacy)


def _place(file: Path, folder: Path, name: str = FILENAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    os.symlink(file, target)  # no 88 MB copy
    return target


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def assert_same_weights(loaded, source_model):
    import keras

    conv = _layers_of(loaded, keras.layers.Conv2D)
    conv_src = _layers_of(source_model, keras.layers.Conv2D)
    bn, bn_src = (
        _layers_of(loaded, keras.layers.BatchNormalization),
        _layers_of(source_model, keras.layers.BatchNormalization),
    )
    assert len(conv) == len(conv_src) == 94
    np.testing.assert_array_equal(conv[57].kernel.numpy(), conv_src[57].kernel.numpy())
    np.testing.assert_array_equal(conv[-1].kernel.numpy(), conv_src[-1].kernel.numpy())
    mean = bn[40].moving_mean.numpy()
    assert np.abs(mean).max() > 0  # the perturbed statistics, not a fresh layer's zeros
    np.testing.assert_array_equal(mean, bn_src[40].moving_mean.numpy())


# -- the network -----------------------------------------------------------------------------
def test_catalog_is_two_stem_relus_and_mixed0_to_mixed10_with_channels_and_strides(source):
    import keras

    assert inceptionv3.catalog(source.model) == EXPECTED_CATALOG
    assert "mixed9_0" in [layer.name for layer in source.model.layers]  # left out on purpose
    # Channels and strides are what a 299x299 input really gives.
    names = [info.name for info in EXPECTED_CATALOG if info.name.startswith("mixed")]
    probe = keras.Model(source.model.input, [source.model.get_layer(n).output for n in names])
    features = probe(np.zeros((1, 299, 299, 3), np.float32))
    sides = {name: tuple(f.shape[1:]) for name, f in zip(names, features, strict=False)}
    assert sides["mixed0"] == (35, 35, 256) and sides["mixed2"] == (35, 35, 288)
    assert sides["mixed3"] == (17, 17, 768) and sides["mixed7"] == (17, 17, 768)
    assert sides["mixed8"] == (8, 8, 1280) and sides["mixed10"] == (8, 8, 2048)


def test_legacy_notop_file_in_user_folder_loads(source):
    _place(source.legacy, W.user_weights_dir())
    backbone = inceptionv3.load()
    assert_same_weights(backbone.model, source.model)
    assert backbone.name == "inceptionv3" and repr(backbone) == "<Backbone inceptionv3: 13 layers>"
    assert backbone.catalog == EXPECTED_CATALOG
    assert backbone.min_size == 75
    assert backbone.default_layers == (("mixed3", 1.0), ("mixed5", 1.5))
    assert backbone.guide_layers == backbone.default_layers
    assert backbone.content_layers == (("mixed3", 1.0),)
    assert [name for name, _ in backbone.style_layers] == ["conv2d_2", "conv2d_4", "mixed0", "mixed2", "mixed5"]
    for name, _ in (*backbone.default_layers, *backbone.content_layers, *backbone.style_layers):
        backbone.layer(name)  # every default is in the catalog
    np.testing.assert_allclose(backbone.low, -1.0)
    np.testing.assert_allclose(backbone.high, 1.0)
    np.testing.assert_allclose(backbone.preprocess(np.array([127.5, 0.0, 255.0])), [0.0, -1.0, 1.0])


def test_keras3_file_is_told_by_content_whatever_its_name(source):
    # A Keras 3 .weights.h5 under the legacy file's name, in Keras's cache.
    _place(source.keras3, W.keras_cache_dir())
    assert inceptionv3.inspect_file(W.keras_cache_dir() / FILENAME) == ("keras3", None)
    assert inceptionv3.inspect_file(source.legacy) == ("legacy", 188)
    backbone = inceptionv3.load()
    assert_same_weights(backbone.model, source.model)
    # Both formats are told to be InceptionV3's by content (`deepdream weights add`).
    assert W.identify(source.keras3) == W.identify(source.legacy) == "inceptionv3"
    assert inceptionv3.claims(source.keras3) and inceptionv3.claims(source.legacy)


def test_stem_layers_are_the_relus_of_the_stem_convolutions(source):
    import keras

    backbone = inceptionv3.load(str(source.keras3))
    x = backbone.preprocess(np.random.default_rng(2).uniform(0, 255, (1, 80, 80, 3)))
    conv2d_2, conv2d_4 = backbone.feature_model(["conv2d_2", "conv2d_4"])(x)
    assert conv2d_2.shape[-1] == 64 and conv2d_4.shape[-1] == 192
    assert float(np.min(conv2d_2)) >= 0.0  # after the ReLU
    convs = [layer for layer in source.model.layers if isinstance(layer, keras.layers.Conv2D)]
    norm = source.model.layers[source.model.layers.index(convs[2]) + 1]
    expected = keras.activations.relu(keras.Model(source.model.inputs, norm.output)(x))
    np.testing.assert_allclose(conv2d_2.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


def test_features_of_explicit_keras3_file(source):
    import keras

    backbone = inceptionv3.load(str(source.keras3))
    rgb = np.random.default_rng(1).uniform(0, 255, (1, 96, 96, 3)).astype(np.float32)
    x = backbone.preprocess(rgb)
    mixed3, mixed5 = backbone.feature_model(["mixed3", "mixed5"])(x)
    assert mixed3.shape[-1] == backbone.layer("mixed3").channels == 768
    assert mixed5.shape[-1] == backbone.layer("mixed5").channels == 768
    assert mixed3.shape[1] == mixed3.shape[2] == 4  # 96 / 16, less the valid convolutions' edges
    expected = keras.Model(source.model.inputs, source.model.get_layer("mixed5").output)(x)
    np.testing.assert_allclose(mixed5.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


# -- where the file comes from ---------------------------------------------------------------
def test_resolve_order_explicit_then_user_folder_then_keras_cache(tmp_path):
    spec = inceptionv3.WEIGHTS
    mine = tmp_path / "mine.h5"
    mine.write_bytes(b"x")
    user = W.user_weights_dir() / FILENAME
    cache = W.keras_cache_dir() / FILENAME
    for path in (user, cache):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x")
    assert W.resolve(spec, str(mine), "inceptionv3") == mine
    assert W.resolve(spec, None, "inceptionv3") == user
    assert W.find(spec) == user
    user.unlink()
    assert W.resolve(spec, None, "inceptionv3") == cache
    assert W.find(spec) == cache
    cache.unlink()
    assert W.find(spec) is None
    with pytest.raises(WeightsError):
        W.resolve(spec, None, "inceptionv3")


def test_folders_follow_environment_and_keras(monkeypatch, tmp_path):
    from keras.src.backend import config

    assert W.keras_cache_dir() == tmp_path / "keras_home" / "models"
    assert W.user_weights_dir() == tmp_path / "user_weights"
    monkeypatch.delenv("DEEPDREAM_WEIGHTS_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert W.user_weights_dir() == tmp_path / "xdg" / "deepdream" / "weights"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert W.user_weights_dir() == Path.home() / ".cache" / "deepdream" / "weights"
    # As this process's Keras saw it when imported, so as keras.utils.get_file would use it.
    if _ORIGINAL_KERAS_HOME is None:
        monkeypatch.delenv("KERAS_HOME")
    else:
        monkeypatch.setenv("KERAS_HOME", _ORIGINAL_KERAS_HOME)
    keras_home = os.path.expanduser(config.keras_home())
    if os.access(keras_home, os.W_OK):
        assert W.keras_cache_dir() == Path(keras_home) / "models"


def test_explicit_file_must_exist(tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(WeightsError, match="does not exist") as error:
        inceptionv3.load(str(missing))
    assert str(error.value) == f"Weights file '{missing}' does not exist."


def test_missing_everywhere_offline_says_what_to_do():
    with pytest.raises(WeightsError) as error:
        inceptionv3.load()
    message = str(error.value)
    assert FILENAME in message
    assert str(W.user_weights_dir()) in message
    assert str(W.keras_cache_dir()) in message
    assert "--weights FILE" in message and "vgg16" in message
    assert "\n" not in message and message.count(". ") == 0 and message.endswith(".")
    assert not (W.keras_cache_dir() / FILENAME).exists()


def test_download_goes_to_keras_cache_and_failures_are_one_sentence(monkeypatch, tmp_path):
    """Keras's download, from file:// URLs (no network): success, missing source, wrong hash."""
    monkeypatch.delenv("DEEPDREAM_OFFLINE")
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"weights" * 1000)
    md5 = hashlib.md5(payload.read_bytes()).hexdigest()

    good = W.WeightsFile("good.h5", payload.as_uri(), md5)
    got = W.resolve(good, None, "testnet")
    assert got == W.keras_cache_dir() / "good.h5" and got.read_bytes() == payload.read_bytes()

    gone = W.WeightsFile("gone.h5", (tmp_path / "absent.bin").as_uri())
    with pytest.raises(WeightsError, match="gone.h5.*download failed.*vgg16"):
        W.resolve(gone, None, "testnet")

    corrupt = W.WeightsFile("corrupt.h5", payload.as_uri(), "0" * 32)
    with pytest.raises(WeightsError, match="corrupt.h5"):
        W.resolve(corrupt, None, "testnet")
    assert not (W.keras_cache_dir() / "corrupt.h5").exists()  # no bad file left for find()

    with pytest.raises(WeightsError, match="downloading is off"):
        W.resolve(gone, None, "testnet", allow_download=False)


# -- wrong files -----------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["legacy", "keras3"])
def test_truncated_file(source, tmp_path, which):
    truncated = tmp_path / f"truncated-{which}.h5"
    with open(getattr(source, which), "rb") as f:
        truncated.write_bytes(f.read(1 << 20))
    with pytest.raises(WeightsError, match="truncated") as error:
        inceptionv3.load(str(truncated))
    assert str(truncated) in str(error.value)


def test_not_hdf5(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not weights")
    with pytest.raises(WeightsError, match="is not an InceptionV3 weights file .*not an HDF5 file"):
        inceptionv3.load(str(text))


@pytest.mark.parametrize("which", ["legacy", "keras3", "bare"])
def test_hdf5_of_another_network(tmp_path, which):
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    if which == "keras3":
        path = tmp_path / "tiny.weights.h5"
        tiny.save_weights(str(path))
    else:
        path = tmp_path / "tiny.h5"
        with h5py.File(path, "w") as f:
            if which == "legacy":
                legacy_h5_format.save_weights_to_hdf5_group(f, tiny)
            else:
                f["data"] = np.zeros(3)
    with pytest.raises(WeightsError, match="is not an InceptionV3 weights file") as error:
        inceptionv3.load(str(path))
    message = str(error.value)
    assert str(path) in message and "\n" not in message and len(message) < 300
    if which == "legacy":
        assert "holds weights for 1 layer where InceptionV3 without its top has 188" in message
    assert "Layer count mismatch" not in message and "could not be loaded" not in message
    # Nor is it claimed as InceptionV3's (or any backbone's) by content.
    assert not inceptionv3.claims(path)
    with pytest.raises(WeightsError, match="is not a weights file deepdream knows"):
        W.identify(path)


def test_weights_status():
    status = inceptionv3.weights_status()
    assert status == backbones.weights_status("inceptionv3")
    assert not status.available
    assert FILENAME in status.where and str(W.user_weights_dir()) in status.where

    cached = W.keras_cache_dir() / FILENAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert inceptionv3.weights_status() == backbones.WeightsStatus(True, str(cached))

    user = W.user_weights_dir() / FILENAME
    user.parent.mkdir(parents=True)
    user.write_bytes(b"x")
    assert inceptionv3.weights_status() == backbones.WeightsStatus(True, str(user))
