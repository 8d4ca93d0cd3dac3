"""Presets: named looks, their listing, how options beside them override them, and the picture's
record of the preset it was made with."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from deepdream import images
from deepdream.cli import app
from deepdream.errors import SettingsError
from deepdream.settings import PRESETS, DreamSettings, VideoSettings


def test_the_default_dream_is_the_classic_preset():
    classic = DreamSettings.from_dict({}, preset="classic")
    plain = DreamSettings()
    assert {k: v for k, v in classic.to_dict().items() if k != "preset"} == {
        k: v for k, v in plain.to_dict().items() if k != "preset"
    }
    assert classic.preset == "classic" and plain.preset is None


def test_the_dream_scores_layers_by_their_mean_square_but_edges_by_their_mean():
    assert DreamSettings().score == "l2"
    assert {name: DreamSettings.from_dict({}, preset=name).score for name in PRESETS} == {
        "classic": "l2",
        "subtle": "l2",
        "portrait": "l2",
        "intense": "l2",
        "swirls": "l2",
        "edges": "mean",
    }
    assert DreamSettings(score="mean").score == "mean"
    with pytest.raises(SettingsError, match="score"):
        DreamSettings(score="max")


def test_options_beside_a_preset_override_it_and_the_rest_is_the_presets():
    intense = PRESETS["intense"].values
    made = DreamSettings.from_dict({}, preset="intense", steps=3)
    assert made.steps == 3
    assert (made.octaves, made.octave_scale, made.step_size) == (
        intense["octaves"],
        intense["octave_scale"],
        intense["step_size"],
    )
    assert made.to_dict()["preset"] == "intense"
    # a settings file's values sit under the preset, which sits under the options typed
    from_file = DreamSettings.from_dict({"steps": 7, "seed": 5, "step_size": 0.5}, preset="subtle", octaves=2)
    assert (from_file.seed, from_file.octaves, from_file.steps, from_file.step_size) == (
        5,
        2,
        10,
        PRESETS["subtle"].values["step_size"],
    )
    # a file that names a preset is a record: its values stand as they are, also where they equal
    # the plain defaults, and so do a copy's with a change
    typed = DreamSettings.from_dict({}, preset="intense", steps=10)
    assert typed.steps == 10 and DreamSettings.from_dict(typed.to_dict()).steps == 10
    assert typed.replace(seed=3).steps == 10 and typed.replace(seed=3).preset == "intense"
    # another backbone beside a preset that names layers: the backbone's own layers, not the preset's
    moved = DreamSettings.from_dict({}, preset="edges", backbone="efficientnet-lite2")
    assert moved.layers == () and moved.step_size == PRESETS["edges"].values["step_size"]


def test_an_unknown_preset_is_one_sentence_with_the_closest_name():
    with pytest.raises(
        SettingsError,
        match=r"Unknown preset 'intens'; the presets are classic, subtle, portrait, intense, "
        r"swirls, edges \(see `deepdream presets`\)\. Did you mean 'intense'\?",
    ):
        DreamSettings.from_dict({}, preset="intens")


def test_video_and_zoom_take_a_preset_for_their_dream():
    video = VideoSettings.from_dict({}, dream=DreamSettings.from_dict({}, preset="edges"))
    assert video.dream.backbone == "vgg16" and video.dream.preset == "edges"


def test_presets_command_prints_one_line_per_preset_name_first():
    result = CliRunner().invoke(app, ["presets"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    assert "(the default)" in lines[0] and "--step-size 4" in lines[0]
    assert "--backbone vgg16" in lines[-1]


def test_a_preset_on_the_command_line_is_named_in_the_pictures_settings(tmp_path):
    source = tmp_path / "in.png"
    images.save_image(np.random.default_rng(0).uniform(0, 255, (48, 64, 3)).astype(np.float32), source)
    out = tmp_path / "out.png"
    result = CliRunner().invoke(
        app, ["dream", str(source), "-o", str(out), "--preset", "subtle", "--octaves", "1", "--steps", "1", "-q"]
    )
    assert result.exit_code == 0, result.output
    recorded = json.loads(images.read_metadata(out))["settings"]
    assert recorded["preset"] == "subtle" and recorded["octaves"] == 1 and recorded["steps"] == 1
    assert recorded["step_size"] == PRESETS["subtle"].values["step_size"]


def test_the_default_look_is_written_once_and_every_preset_sets_the_same_fields():
    """`classic` is the fields' own defaults (not a second copy of them); every preset sets the look's
    fields (and, for a look on another network, its backbone and layers)."""
    from deepdream.settings import LOOK_FIELDS

    assert PRESETS["classic"].values == {name: DreamSettings.default(name) for name in LOOK_FIELDS}
    for preset in PRESETS.values():
        assert set(preset.values) - {"backbone", "layers"} == set(LOOK_FIELDS), preset.name


def test_each_backbone_dreams_with_its_own_look_unless_told_otherwise():
    """vgg16 (fine-tuned for edges) has a look of its own, a gentler step scored by the mean, where
    nothing else says: options typed, a preset and a settings file's values all win over it."""
    from deepdream.settings import DreamSettings

    own = DreamSettings.from_dict({}, backbone="vgg16")
    assert (own.step_size, own.score) == (1.5, "mean") and own.octaves == DreamSettings.default("octaves")
    assert DreamSettings.from_dict({}).step_size == DreamSettings.default("step_size") == 4.0
    assert DreamSettings.from_dict({}, backbone="vgg16", step_size=3).step_size == 3.0
    assert DreamSettings.from_dict({}, backbone="vgg16", preset="intense").step_size == 5.0
    recorded = DreamSettings(backbone="vgg16").to_dict()  # a file written with the fields' values
    assert DreamSettings.from_dict(recorded).step_size == 4.0
