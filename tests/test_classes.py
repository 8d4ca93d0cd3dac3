"""ImageNet classes: names and numbers, `--class` on dreams, class paintings from noise, and the
default dream network (EfficientNet-Lite2), with the real networks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLES, cli, run_cli
from deepdream import api, images
from deepdream.classes import class_index, search
from deepdream.errors import SettingsError
from deepdream.render.dreamer import noise_start, stretch_contrast


def test_classes_by_name_number_or_part():
    assert class_index("golden retriever") == 207
    assert class_index("Golden Retriever") == 207
    assert class_index("285") == 285
    assert class_index("espresso") == 967
    assert search("retriever")[2] == (207, "golden retriever")
    with pytest.raises(SettingsError, match=r"Unknown ImageNet class 'golden retreiver'\. Did you mean 'golden retriever'"):
        class_index("golden retreiver")
    with pytest.raises(SettingsError) as crane:  # two classes are named exactly "crane": say which is which
        class_index("crane")
    assert str(crane.value) == ("--class 'crane' names 2 classes: 134 crane (the bird) and 517 crane (the lifting "
                                "machine); give the number of the one you mean.")
    with pytest.raises(SettingsError, match=r"names 2 classes: 638 maillot \(a dancer's or gymnast's leotard\) and "
                                            r"639 maillot \(a one-piece bathing suit\)"):
        class_index("maillot")
    with pytest.raises(SettingsError, match="numbered 0 to 999"):
        class_index("1000")


def test_painting_a_class_makes_the_network_see_it():
    """At the class command's defaults (320x320) the painting is what the network calls a golden
    retriever, where the noise it starts from was nothing of the kind."""
    from deepdream.settings import ClassSettings

    dreamer = api.prepare(ClassSettings(target_class="golden retriever"))
    start = noise_start(320, 320, 0)
    net = dreamer.backbone
    before = dict((i, p) for i, _, p in net.classify(start, 1000))[207]
    painting = dreamer.run(start)
    top = net.classify(painting, 1)[0]
    assert before < 0.01
    assert top[0] == 207 and top[2] > 0.5, top
    stretched = stretch_contrast(painting)
    assert stretched.min() == 0 and stretched.max() == 255


def test_stretch_contrast_spreads_the_levels_alike():
    rgb = np.stack([np.linspace(100, 140, 100), np.linspace(90, 150, 100), np.full(100, 120.0)], -1)[None]
    out = stretch_contrast(rgb.astype(np.float32))
    lo, hi = np.percentile(rgb, [0.5, 99.5])
    assert out.min() == 0 and out.max() == 255
    np.testing.assert_allclose(out[..., 2], (120 - lo) * 255 / (hi - lo), rtol=1e-4)  # hues keep their relations


def test_a_class_pushes_a_photo_and_needs_a_classifier(photo):
    pushed = api.dream(photo, target_class="golden retriever", octaves=1, steps=4, step_size=2.0)
    assert np.abs(pushed - photo).mean() > 1.0
    with pytest.raises(SettingsError, match="--class needs a backbone with an ImageNet classifier"):
        api.prepare(target_class="golden retriever", backbone="vgg16")
    with pytest.raises(SettingsError, match="--class and --guide pull the picture two ways"):
        api.prepare(target_class="golden retriever", guide=photo)


def test_the_default_dream_network_is_efficientnet_lite2(photo):
    dreamer = api.prepare()
    assert dreamer.backbone.name == "efficientnet-lite2"
    assert dreamer.objective.layers == ("block5a_expand",)


def test_class_and_classes_commands(tmp_path):
    listed = run_cli("classes", "retriever")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[2].split() == ["207", "golden", "retriever"]
    out = tmp_path / "dog.png"
    done = run_cli("class", "golden retriever", "-o", out, "--size", "96x64", "--octaves", "1", "--steps", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (96, 64)
    recorded = json.loads(images.read_metadata(out))
    assert recorded["mode"] == "class" and recorded["settings"]["target_class"] == "golden retriever"


@pytest.mark.parametrize("args,message", [
    (["class", "golden retreiver"], "Unknown ImageNet class 'golden retreiver'. Did you mean 'golden retriever'"),
    (["class", "7", "--size", "12x12"], "at least 32 pixels"),
    (["class", "7", "--size", "big"], "Cannot read size 'big'"),
    (["classes", "xyzzy"], "No ImageNet class name contains 'xyzzy'"),
    (["dream", str(SAMPLES / "chelsea.png"), "--class", "cat"], "--class 'cat' matches 8 classes"),
    (["dream", str(SAMPLES / "chelsea.png"), "--class", "7", "-b", "vgg16"], "--class needs a backbone with an ImageNet classifier"),
])
def test_bad_classes_are_one_line(tmp_path, args, message):
    out = tmp_path / "out.png"
    done = cli(*args, "-o", out, "-q") if args[0] != "classes" else cli(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and message in lines[0], done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
