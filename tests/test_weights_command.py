"""`deepdream weights` (list) and `deepdream weights add FILE`, run as a user runs them, with the
weights folder and Keras's cache in temporary folders and downloads off."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, cli
from googlenet_graph import write_graph
from PIL import Image

from deepdream.backbones import efficientnet_lite2, googlenet, inceptionv3, vgg16
from deepdream.backbones import weights as W
from deepdream.errors import WeightsError

GRAPH = googlenet.WEIGHTS.filename


@pytest.fixture(autouse=True)
def folders(monkeypatch, tmp_path):
    """DEEPDREAM_WEIGHTS_DIR and KERAS_HOME in tmp_path (for this process, where the CLI runs too)."""
    monkeypatch.setenv("DEEPDREAM_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path / "user_weights"))
    return tmp_path / "user_weights"


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """A small GoogLeNet graph file (the real node names and structure, random weights)."""
    return write_graph(tmp_path_factory.mktemp("graphs") / "my_graph.pb", divisor=16)


def _error_line(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: "), result.stderr
    return lines[0]


def _sections(text: str) -> dict[str, str]:
    """backbone -> its lines in the listing."""
    sections, name = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and not line.startswith("weights folder"):
            name = line.split()[0]
            sections[name] = ""
        if name:
            sections[name] += line + "\n"
    return sections


# -- listing ---------------------------------------------------------------------------------
def test_list_shows_every_backbone_with_where_and_how(folders):
    result = cli("weights")
    assert result.returncode == 0, result.stderr
    assert f"weights folder: {folders}" in result.stdout
    parts = _sections(result.stdout)
    assert list(parts) == ["vgg16", "inceptionv3", "googlenet", "efficientnet-lite2"]

    embedded = vgg16.embedded_weights_path()
    data = embedded.read_bytes()
    assert parts["vgg16"].split()[1:3] == ["embedded", vgg16.HED_FILE]
    assert f"found:      {embedded}" in parts["vgg16"]
    assert f"{len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}" in parts["vgg16"]

    assert parts["inceptionv3"].split()[1:3] == ["missing", inceptionv3.WEIGHTS.filename]
    assert f"looked in:  {folders}, {W.keras_cache_dir()}" in parts["inceptionv3"]
    assert "md5 bcbd6486424b2319ff4ef7d526e38f63" in parts["inceptionv3"]

    assert parts["googlenet"].split()[1:3] == ["missing", GRAPH]
    assert "53,884,595 bytes" in parts["googlenet"]
    assert (
        "download https://storage.googleapis.com/download.tensorflow.org/models/"
        "inception5h.zip, unzip it and run `deepdream weights add "
        "tensorflow_inception_graph.pb`"
    ) in parts["googlenet"]
    lite2 = efficientnet_lite2.embedded_weights_path()
    assert parts["efficientnet-lite2"].split()[1:3] == ["embedded", lite2.name]
    assert f"found:      {lite2}" in parts["efficientnet-lite2"]
    assert not folders.exists()  # listing creates nothing

    same = cli("weights", "list")
    assert same.returncode == 0 and same.stdout == result.stdout


# -- adding ----------------------------------------------------------------------------------
@pytest.mark.slow  # a GoogLeNet graph added, then dreamt with (seconds)
def test_added_graph_serves_every_later_run(graph, folders, tmp_path, monkeypatch):
    result = cli("weights", "add", graph)
    assert result.returncode == 0, result.stderr
    target = folders / GRAPH
    sha = hashlib.sha256(graph.read_bytes()).hexdigest()
    assert result.stdout.strip() == (f"googlenet: added {target} ({graph.stat().st_size:,} bytes, sha256 {sha})")
    # A working graph of another size than the published one: a warning, not a refusal.
    assert result.stderr.strip() == (
        f"deepdream: warning: '{graph}' loads as googlenet, but its size "
        f"({graph.stat().st_size:,} bytes) differs from the published file's (53,884,595 "
        f"bytes); added anyway."
    )
    assert target.read_bytes() == graph.read_bytes()
    assert sorted(os.listdir(folders)) == [GRAPH]  # no temporary file left

    listing = _sections(cli("weights").stdout)["googlenet"]
    assert listing.split()[1] == "ready" and f"found:      {target}" in listing
    assert f"sha256 {sha}" in listing
    backbones = cli("backbones").stdout
    assert any(line.split()[:2] == ["googlenet", "ready"] for line in backbones.splitlines())
    assert str(target) in [line.strip() for line in backbones.splitlines()]

    from deepdream import backbones as registry

    # as in a new process: no GoogLeNet loaded earlier (from another folder) is reused
    monkeypatch.delitem(registry._loaded, ("googlenet", None), raising=False)
    out = tmp_path / "dream.png"
    dream = cli(
        "dream",
        SAMPLES / "coffee.png",
        "-o",
        out,
        "--backbone",
        "googlenet",
        "--max-side",
        "80",
        "--octaves",
        "2",
        "--steps",
        "2",
        "--tile-size",
        "64",
        "-q",
    )
    assert dream.returncode == 0, dream.stderr
    source = Image.open(SAMPLES / "coffee.png").convert("RGB")
    source.thumbnail((80, 80), Image.LANCZOS)
    dreamt = np.asarray(Image.open(out).convert("RGB"), np.float32)
    assert dreamt.shape == (source.height, source.width, 3)
    assert np.abs(dreamt - np.asarray(source, np.float32)).mean() > 1.0


def test_adding_again_or_another_graph(graph, folders, tmp_path):
    first = W.add(graph)
    assert (first.backbone, first.action, first.path) == ("googlenet", "added", folders / GRAPH)
    again = W.add(graph)
    assert again.action == "unchanged" and again.sha256 == first.sha256
    other = write_graph(tmp_path / "other.pb", divisor=16, seed=5)
    replaced = W.add(other, backbone="googlenet")
    assert replaced.action == "replaced"
    assert (folders / GRAPH).read_bytes() == other.read_bytes()
    assert sorted(os.listdir(folders)) == [GRAPH]


def test_wrong_file_is_refused_and_nothing_is_written(folders, tmp_path):
    notes = tmp_path / "notes.pb"
    notes.write_text("these are not weights")
    line = _error_line(cli("weights", "add", notes))
    assert line.startswith(
        f"deepdream: error: '{notes}' is not a weights file deepdream knows: "
        f"it is none of VGG16 weights in Keras HDF5 (vgg16), InceptionV3 "
        f"weights in Keras HDF5 (inceptionv3), the GoogLeNet TensorFlow graph "
        f"(googlenet)"
    )
    assert not folders.exists()


def test_hdf5_of_unknown_content_is_refused(folders, tmp_path):
    import h5py

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f.create_group("dense").attrs["weight_names"] = [b"dense/kernel:0"]
        f["dense/dense/kernel:0"] = np.zeros((4, 3), np.float32)
    with pytest.raises(WeightsError, match="is not a weights file deepdream knows"):
        W.identify(other)
    with pytest.raises(WeightsError, match="is not a weights file deepdream knows"):
        W.add(other)
    # Each registered backbone is asked; none claims it.
    from deepdream import backbones

    assert not any(backbones.module(name).claims(other) for name in backbones.names())
    assert W.identify(vgg16.embedded_weights_path()) == "vgg16"
    assert not folders.exists()


def test_other_wrong_files(graph, folders, tmp_path):
    from googlenet_graph import make_graph

    partial = tmp_path / "partial.pb"
    partial.write_bytes(make_graph(divisor=16, skip=("mixed5b",)).SerializeToString())
    with pytest.raises(WeightsError, match="its graph has no node 'mixed5b' of GoogLeNet"):
        W.add(partial)
    with pytest.raises(WeightsError, match="is not an InceptionV3 weights file .*not an HDF5"):
        W.add(graph, backbone="inceptionv3")  # the shape check of another network
    with pytest.raises(
        WeightsError, match="holds vgg16 weights, but backbone 'vgg16' takes no file from the weights folder"
    ):
        W.add(vgg16.embedded_weights_path())
    assert not folders.exists()


def test_missing_file_and_unwritable_folder(graph, folders, tmp_path, monkeypatch):
    line = _error_line(cli("weights", "add", tmp_path / "nope.pb"))
    assert line == f"deepdream: error: Weights file '{tmp_path / 'nope.pb'}' does not exist."

    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(a_file))
    line = _error_line(cli("weights", "add", graph))
    assert line == (
        f"deepdream: error: The weights folder '{a_file}' is a file, not a folder; "
        f"set DEEPDREAM_WEIGHTS_DIR to a writable folder."
    )
    assert a_file.read_text() == "x"


def test_failed_copy_leaves_nothing(graph, folders):
    folders.mkdir()
    (folders / GRAPH).mkdir()  # the target name is taken by a folder: the rename fails
    with pytest.raises(WeightsError, match=f"Cannot write '{folders / GRAPH}'"):
        W.add(graph)
    assert sorted(os.listdir(folders)) == [GRAPH] and (folders / GRAPH).is_dir()
    assert os.listdir(folders / GRAPH) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(graph, folders):
    folders.mkdir()
    folders.chmod(0o500)
    try:
        with pytest.raises(WeightsError, match="cannot be written; set DEEPDREAM_WEIGHTS_DIR"):
            W.add(graph)
        assert os.listdir(folders) == []
    finally:
        folders.chmod(0o700)


def test_hdf5_signature_is_hdf5s():
    import h5py

    assert W.HDF5_SIGNATURE == b"\x89HDF\r\n\x1a\n"
    assert Path(vgg16.embedded_weights_path()).read_bytes()[:8] == W.HDF5_SIGNATURE
    assert h5py.is_hdf5(vgg16.embedded_weights_path())
