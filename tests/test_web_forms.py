"""The web front end's pure parts (no web packages, no network): form fields to settings, settings to
the reproducing command line, uploads read with the CLI's checks, and the Dreamer cache."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image

from deepdream.errors import DeepDreamError, InputError, SettingsError
from deepdream.settings import ClassSettings, DreamSettings, StyleSettings
from deepdream.web import forms
from deepdream.web.service import Service
from deepdream.web.uploads import read_upload


def png_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_png(side: int = 40_000) -> bytes:
    """A PNG whose header claims side x side pixels (1.6 gigapixels) in a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_form_names_map_to_fields_and_values_are_typed():
    settings = forms.settings_from_form(
        DreamSettings,
        {
            "steps": ["3"],
            "octaves": ["1"],
            "step-size": ["0.5"],
            "layer": ["block4_conv3", "block5_conv1=0.5"],
            "backbone": ["vgg16"],
            "seed": ["-4"],
            "normalize": ["mean"],
            "jitter": ["0"],
            "preserve-colors": ["true"],
            "octave_scale": ["1.5"],
            "max-side": ["64"],
        },
    )
    assert settings.steps == 3 and settings.octaves == 1 and settings.step_size == 0.5
    assert settings.layers == ("block4_conv3", "block5_conv1=0.5")
    assert settings.backbone == "vgg16" and settings.seed == -4 and settings.normalize == "mean"
    assert settings.jitter == 0 and settings.preserve_colors is True and settings.octave_scale == 1.5
    assert settings.max_side == 64
    painted = forms.settings_from_form(ClassSettings, {"class": ["golden retriever"], "size": ["64x64"]})
    assert painted.target_class == "golden retriever" and painted.size == "64x64"
    assert forms.settings_from_form(DreamSettings, {"target_class": ["207"], "steps": [""]}).steps == 12


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps": ["0"]}, "--steps must be at least 1 (got 0)."),
        ({"steps": ["two"]}, "--steps must be a whole number (got 'two')."),
        ({"step-size": ["nan"]}, "--step-size must be a finite number (got 'nan')."),
        (
            {"normalize": ["laplace"]},
            "--normalize must be one of laplacian, mean (got 'laplace'). Did you mean 'laplacian'?",
        ),
        ({"stepz": ["3"]}, "Unknown dream option 'stepz'. Did you mean 'steps'?"),
        ({"steps": ["1", "2"]}, "--steps was given 2 times; give it once."),
        ({"preserve-colors": ["maybe"]}, "--preserve-colors is on or off: give true or false (got 'maybe')."),
    ],
)
def test_bad_form_values_get_the_settings_own_sentence(fields, message):
    with pytest.raises(SettingsError) as caught:
        forms.settings_from_form(DreamSettings, fields)
    assert str(caught.value) == message


def test_same_message_as_the_settings_for_the_same_mistake():
    with pytest.raises(SettingsError) as direct:
        DreamSettings(steps=0)
    with pytest.raises(SettingsError) as web:
        forms.settings_from_form(DreamSettings, {"steps": ["0"]})
    assert str(web.value) == str(direct.value)


@pytest.mark.parametrize("name", ["weights", "guide", "mask", "init"])
def test_no_client_text_is_used_as_a_path(name):
    cls = StyleSettings if name == "init" else DreamSettings
    with pytest.raises(SettingsError, match="names a file on the server"):
        forms.settings_from_form(cls, {name: ["/etc/passwd"]})
    assert forms.settings_from_form(StyleSettings, {"init": ["content"]}).init == "content"


def test_uploaded_pictures_fill_path_fields():
    picture = np.full((40, 40, 3), 100, np.float32)
    settings = forms.settings_from_form(DreamSettings, {"layer": ["block4_conv3"]}, files={"guide": [picture]})
    assert len(settings.guide) == 1 and settings.guide[0] is picture
    style = forms.settings_from_form(StyleSettings, {}, files={"styles": [picture]})
    assert len(style.styles) == 1


def test_command_line_names_every_changed_option_and_only_those():
    settings = DreamSettings(
        backbone="vgg16",
        layers=("block4_conv3", "block5_conv1=0.5"),
        steps=3,
        octaves=1,
        step_size=0.5,
        preserve_colors=True,
        seed=7,
        max_side=64,
    )
    line = forms.command_line(settings, "my cat.png", "out.png")
    assert line == (  # --score l2: vgg16's own look scores by the mean, and these settings do not
        "deepdream dream 'my cat.png' -o out.png --backbone vgg16 --layer block4_conv3 "
        "--layer block5_conv1=0.5 --score l2 --octaves 1 --steps 3 --step-size 0.5 --preserve-colors --seed 7 "
        "--max-side 64"
    )
    assert forms.command_line(DreamSettings(), "a.png") == "deepdream dream a.png"
    painted = ClassSettings(target_class="golden retriever", size="64x64", steps=2)
    assert (
        forms.command_line(painted, None, "golden_retriever.png")
        == "deepdream class 'golden retriever' -o golden_retriever.png --size 64x64 --steps 2"
    )
    guided = DreamSettings(guide=(np.zeros((40, 40, 3), np.float32),))
    assert (
        forms.command_line(guided, "a.png", files={"guide": ["brick.png"]}) == "deepdream dream a.png --guide brick.png"
    )
    styled = StyleSettings(styles=(np.zeros((40, 40, 3), np.float32),), iterations=5)
    assert (
        forms.command_line(styled, "a.png", files={"styles": ["rocket.jpg"]})
        == "deepdream style a.png --iterations 5 --style rocket.jpg"
    )


def test_a_class_paintings_command_names_only_options_class_takes():
    """Every setting a class painting accepts has its option on `deepdream class` (parsed by the
    real command); the dream's settings are not among them."""
    import shlex

    import typer.main

    from deepdream.cli import app
    from deepdream.errors import SettingsError

    painted = ClassSettings(
        target_class="goldfish",
        size="64x64",
        steps=3,
        learning_rate=0.05,
        decay=1.2,
        views=3,
        blurred_views=1,
        rotate_jitter=4,
        seed=4,
        precision="float32",
    )
    words = shlex.split(forms.command_line(painted, None, "fish.png"))
    command = typer.main.get_command(app).commands["class"]
    context = command.make_context("class", words[2:])
    assert context.params["steps"] == 3 and context.params["size"] == "64x64" and context.params["decay"] == 1.2
    assert context.params["blurred_views"] == 1 and context.params["views"] == 3
    with pytest.raises(TypeError):
        ClassSettings(target_class="goldfish", octaves=2)
    with pytest.raises(SettingsError, match=r"--blurred-views must be at most --views \(2; got 3\)"):
        ClassSettings(target_class="goldfish", views=2, blurred_views=3)


def test_the_command_line_makes_the_same_settings_through_the_cli(tmp_path, monkeypatch):
    """The command written for some settings, run as `deepdream dream`, writes a picture carrying
    those very settings."""
    import json
    import shlex

    from typer.testing import CliRunner

    from deepdream import images
    from deepdream.cli import app

    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((64, 48)).save(tmp_path / "in.png")
    settings = DreamSettings(
        backbone="vgg16",
        layers=("block3_conv1:3", "block2_conv2=0.5"),
        steps=1,
        octaves=1,
        jitter=8,
        scale_jitter=0.05,
        rotate_jitter=2,
        blur=0.5,
        normalize="mean",
        tile_size=64,
        seed=3,
        preserve_colors=True,
        octave_scale=1.3,
        step_size=0.7,
        max_side=60,
    )
    words = shlex.split(forms.command_line(settings, "in.png", "out.png"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, words[1:] + ["-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(images.read_metadata(tmp_path / "out.png"))["settings"] == settings.to_dict()


def test_uploads_are_read_with_the_cli_checks_and_messages():
    upload = read_upload((SAMPLES / "chelsea.png").read_bytes(), "../../etc/cat photo.png")
    assert upload.name == "cat_photo.png" and upload.image.rgb.shape == (300, 451, 3)
    with pytest.raises(InputError) as text:
        read_upload(b"just some text\n", "notes.txt")
    assert (
        str(text.value)
        == "'notes.txt' is not an image deepdream can read (it reads PNG, JPEG, WebP, TIFF, BMP and GIF)."
    )
    with pytest.raises(InputError) as bomb:
        read_upload(bomb_png(), "bomb.png")
    assert "1,600,000,000 pixels, over the safe limit" in str(bomb.value) and "/tmp" not in str(bomb.value)
    with pytest.raises(InputError, match="is empty"):
        read_upload(b"", "empty.png")
    with pytest.raises(InputError, match="truncated|could not be decoded"):
        read_upload(png_of(64, 64)[:-40], "cut.png")


def test_dreamers_are_reused_across_seeds_and_not_across_settings():
    service = Service(cache_size=2)
    tiny = dict(backbone="vgg16", layers=("block3_conv1",), steps=1, octaves=1, tile_size=64)
    first = service.dreamer(DreamSettings(seed=1, **tiny))
    assert service.dreamer(DreamSettings(seed=2, **tiny)) is first
    assert service.dreamer(DreamSettings(seed=1, **{**tiny, "steps": 2})) is not first
    service.dreamer(DreamSettings(**{**tiny, "steps": 3}))  # evicts the least recently used: the first
    assert service.dreamer(DreamSettings(**tiny)) is not first


def test_the_same_request_gives_the_same_bytes_as_the_engine(photo):
    """A render through the service (cached Dreamer, seed per request) equals `deepdream.dream`."""
    import deepdream
    from deepdream import images

    service = Service()
    upload = read_upload(png_of(64, 48), "flat.png")
    loaded = images.LoadedImage(photo, None, "RGB")
    upload = upload.__class__("photo.png", loaded, "x")
    options = dict(backbone="vgg16", layers=("block3_conv1",), steps=2, octaves=1, seed=5)
    service.dream(upload, DreamSettings.of(None, **{**options, "seed": 9}))  # warm the cache with another seed
    result = service.dream(upload, DreamSettings.of(None, **options))
    expected = deepdream.dream(photo, **options)
    np.testing.assert_array_equal(
        np.clip(np.round(result.rgb), 0, 255).astype(np.uint8), np.clip(np.round(expected), 0, 255).astype(np.uint8)
    )
    assert DeepDreamError  # (imported for the reader: every error above is one)
