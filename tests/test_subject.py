"""--keep-subject and the `portrait` preset: the network's map of the picture's subject, and a dream
that changes the subject less than the rest."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image


@pytest.fixture(scope="module")
def lite2():
    from deepdream.backbones import load_backbone

    return load_backbone("efficientnet-lite2")


def cat(width: int = 180) -> np.ndarray:
    img = Image.open(SAMPLES / "chelsea.png").convert("RGB")
    return np.asarray(img.resize((width, round(width * img.height / img.width)), Image.LANCZOS), np.float32)


def test_the_subject_map_covers_the_cats_face_not_the_corners(lite2):
    from deepdream.render.subject import subject_map

    rgb = cat()
    m = subject_map(lite2, rgb)
    h, w = m.shape
    assert m.shape == rgb.shape[:2] and m.dtype == np.float32
    assert m.min() >= 0.0 and m.max() == 1.0
    face = m[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3].mean()  # chelsea.png: the face fills the middle
    corners = np.mean([m[: h // 6, : w // 6].mean(), m[: h // 6, -w // 6 :].mean(), m[-h // 6 :, -w // 6 :].mean()])
    assert face > 0.6 and corners < 0.25, (face, corners)


def test_a_dream_keeping_the_subject_changes_it_less_than_the_rest(lite2):
    from deepdream.render.prepare import prepare
    from deepdream.render.subject import subject_map
    from deepdream.settings import DreamSettings

    rgb = cat(160)
    subject = subject_map(lite2, rgb) > 0.9
    assert 0.1 < subject.mean() < 0.9  # a subject and a background to compare
    settings = DreamSettings(octaves=2, steps=4, precision="float32")
    changes = []
    for keep in (0.0, 1.0):
        out = prepare(settings.replace(keep_subject=keep)).run(rgb)
        change = np.abs(out - rgb).mean(axis=2)
        changes.append((change[subject].mean(), change[~subject].mean()))
    (plain_in, plain_out), (kept_in, kept_out) = changes
    assert kept_in < 0.35 * plain_in, changes  # the subject is dreamt on lightly...
    assert kept_out > 0.6 * plain_out, changes  # ...the rest about as much as before


def test_keep_subject_needs_a_classifier_and_a_value_in_range(tmp_path):
    """Said before the network loads: inceptionv3, whose weights are not here, is refused for its
    missing classifier, not for its missing weights (so nothing loaded first)."""
    from deepdream.errors import SettingsError
    from deepdream.render.subject import check_subject
    from deepdream.settings import DreamSettings

    with pytest.raises(SettingsError, match=r"^--keep-subject finds the subject with the network's classifier: "):
        check_subject("vgg16")
    with pytest.raises(SettingsError, match=r"--keep-subject must be at most 1 \(got 2\)"):
        DreamSettings(keep_subject=2)
    for option, said in (
        (["--keep-subject", "1"], "--keep-subject finds the subject with the network's classifier"),
        (["--class", "lemon"], "--class needs a backbone with an ImageNet classifier"),
    ):
        result = cli("dream", SAMPLES / "chelsea.png", "-o", tmp_path / "out.png", "-b", "inceptionv3", *option)
        assert result.returncode == 2
        assert result.stderr == f"deepdream: error: {said}: use --backbone efficientnet-lite2 (inceptionv3 has none).\n"
    assert list(tmp_path.iterdir()) == []


def test_the_portrait_preset_keeps_the_subject_at_the_classic_strength():
    from deepdream.settings import PRESETS, preset_values
    from deepdream.settings.dream import CLASSIC

    assert preset_values("portrait") == {**CLASSIC, "keep_subject": 1.0}
    assert list(PRESETS).index("portrait") == list(PRESETS).index("subtle") + 1
    result = cli("presets")
    line = next(x for x in result.stdout.splitlines() if x.startswith("portrait"))
    assert "--keep-subject 1 " in line and "--step-size 4 " in line
