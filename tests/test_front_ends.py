"""One source of truth: every front end (the CLI's options, the HTTP API's form fields, the studio's
controls, the "same from a terminal" command line) is made from the settings' fields, so a new
setting is one field; the settings hold every default and check, and import no vocabulary."""

from __future__ import annotations

import ast
import dataclasses
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from deepdream import classes
from deepdream.cli.options import settings_parameters, with_settings
from deepdream.commandline import command_line
from deepdream.errors import SettingsError
from deepdream.settings import (
    Control,
    DreamSettings,
    StyleSettings,
    TextureSettings,
    VideoSettings,
    ZoomSettings,
    option,
)

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Sharper(DreamSettings):
    """DreamSettings with one field more, declared the one way a setting is declared."""

    sharpen: float = option(
        0.0, "Sharpen the dream by this much.", short="-S", metavar="AMOUNT", ui=Control("Sharpen", 0, 2, 0.1)
    )


def test_a_new_field_is_an_option_of_a_command_with_its_help_default_and_flags():
    app = typer.Typer(rich_markup_mode=None)  # plain help, as deepdream's own app
    seen = {}

    @app.command()
    @with_settings(Sharper)
    def go(dream_options: dict = None) -> None:
        seen.update(dream_options)

    runner = CliRunner()
    helped = runner.invoke(app, ["--help"], terminal_width=200)
    assert helped.exit_code == 0
    text = " ".join(helped.output.split())
    assert "-S, --sharpen AMOUNT Sharpen the dream by this much. [default: 0]" in text
    assert runner.invoke(app, ["-S", "1.5", "--steps", "3", "-l", "a", "-l", "b"]).exit_code == 0
    assert seen["sharpen"] == 1.5 and seen["steps"] == 3 and seen["layers"] == ["a", "b"]
    assert seen["octaves"] is None  # not typed: the settings' default applies
    made = Sharper.from_dict({}, **{k: v for k, v in seen.items() if v not in (None, [])})
    assert (
        command_line(made, "in.png", "out.png")
        == "deepdream dream in.png -o out.png --layer a --layer b --steps 3 --sharpen 1.5"
    )


def test_the_form_and_the_studio_take_a_new_field_too():
    from deepdream.web import forms

    made = forms.settings_from_form(Sharper, {"sharpen": ["0.5"], "steps": ["2"]})
    assert made.sharpen == 0.5 and made.steps == 2
    with pytest.raises(SettingsError, match="must be a finite number"):
        forms.settings_from_form(Sharper, {"sharpen": ["much"]})


@dataclasses.dataclass(frozen=True)
class Depthed(DreamSettings):
    """DreamSettings with a file field more and an uploaded picture more, declared on the fields."""

    depth: str | None = option(None, "Depth map to dream along.", file=True)
    texture: tuple = option((), "Texture picture to dream toward.", upload=True)


def test_a_new_file_field_is_a_file_to_every_front_end():
    """Declared once (`option(..., file=True)`), a file field is a file to the CLI (FILE in --help;
    named as read in a --settings run), to the settings (`files()`), to the web form (refused as
    text) and to the HTTP API (an upload field where declared so)."""
    from deepdream.cli.common import files_named
    from deepdream.settings import file_fields, upload_fields
    from deepdream.web import forms
    from deepdream.web.api import _uploads

    assert {"depth", "texture"} <= set(file_fields(Depthed)) and upload_fields(Depthed)[-1] == "texture"
    app = typer.Typer(rich_markup_mode=None)

    @app.command()
    @with_settings(Depthed)
    def go(dream_options: dict = None) -> None:
        pass

    text = " ".join(CliRunner().invoke(app, ["--help"], terminal_width=200).output.split())
    assert "--depth FILE Depth map to dream along." in text and "--texture FILE" in text
    assert files_named(Depthed, {"depth": "d.png", "texture": ["t.png"], "steps": 3}, {}) == [
        "--depth 'd.png'",
        "--texture 't.png'",
    ]
    assert files_named(Depthed, {"depth": "d.png"}, {"depth": "typed.png"}) == []  # the option typed wins
    assert Depthed(depth="d.png", texture=("t.png",), mask="m.png").files() == ["m.png", "d.png", "t.png"]
    for name in ("depth", "texture"):
        with pytest.raises(SettingsError, match="names a file on the server"):
            forms.settings_from_form(Depthed, {name: ["/etc/passwd"]})
    assert _uploads(Depthed)[-1] == "texture" and "depth" not in _uploads(Depthed)


def test_the_file_lists_of_the_front_ends_are_the_settings_own():
    from deepdream.cli.common import files_named
    from deepdream.settings import INITS, ClassSettings, file_fields
    from deepdream.web.api import _FILES

    assert file_fields(DreamSettings) == ("weights", "mask", "guide")
    assert file_fields(StyleSettings) == ("weights", "init", "styles", "masks")
    assert _FILES == {"dream": ("image", "mask", "guide", "region"), "class": (), "style": ("image", "style")}
    assert file_fields(ClassSettings) == ("weights",)
    assert files_named(StyleSettings, {"init": INITS[0], "masks": ["m.png"]}, {}) == ["--mask 'm.png'"]
    assert files_named(ZoomSettings, {"dream": {"guide": ["g.png"]}}, {}) == ["--guide 'g.png'"]
    # what an output must not overwrite, in every mode: the file fields' paths (init's words are none)
    styled = StyleSettings(styles=("s.png",), masks=("m.png",), weights="w.h5", init="palette")
    assert styled.files() == ["w.h5", "s.png", "m.png"]
    assert TextureSettings(init="noise").files() == [] and ZoomSettings().files() == []


def test_every_option_of_every_rendering_command_is_a_settings_field():
    """The commands' settings options are made from the fields: each field has its option, and no
    settings option is written by hand (the names a command adds are its own: input, output...)."""
    from deepdream.cli import app

    commands = {c.name or c.callback.__name__: c for c in app.registered_commands}
    from deepdream.settings import SegmentSettings, SheetSettings

    own = {
        "input",
        "output",
        "settings_file",
        "save_every",
        "overwrite",
        "dry_run",
        "quiet",
        "frames_dir",
        "keyframes",
        "ray",
        "workers",
        "inputs",
        "out",
        "format",
        "from_noise",
    }
    for name, classes_ in {
        "style": [StyleSettings],
        "texture": [TextureSettings],
        "zoom": [ZoomSettings, DreamSettings],
        "video": [VideoSettings, DreamSettings, SegmentSettings],
        "dream": [DreamSettings],
        "gallery": [DreamSettings, SheetSettings],
        "batch": [DreamSettings],
    }.items():
        import inspect

        params = set(inspect.signature(commands[name].callback).parameters)
        fields = {f.name for cls in classes_ for f in dataclasses.fields(cls) if f.name != "dream"}
        if name == "gallery":  # --from-noise also takes the painting fields a dream has not
            from deepdream.cli.batch import NOISE_ONLY
            from deepdream.settings import VisualizeSettings

            assert set(NOISE_ONLY) <= {f.name for f in dataclasses.fields(VisualizeSettings)} - fields
            fields |= set(NOISE_ONLY)
        assert fields <= params, (name, fields - params)
        assert params - fields <= own, (name, params - fields - own)


def test_motion_options_keep_their_forms_and_aliases():
    from deepdream.cli import app

    names = {p.name for p in settings_parameters(VideoSettings)}
    assert "dream" not in names and {"blend", "flow", "independent"} <= names  # the dream: its own options
    runner = CliRunner()
    video = " ".join(runner.invoke(app, ["video", "--help"], terminal_width=200).output.split())
    assert "--blend, --decay F Share of the previous frame's dreamt detail" in video and "[default: 0.95]" in video
    assert "--independent / --no-independent" in video and "-l, --layer SPEC" in video
    zoom = " ".join(runner.invoke(app, ["zoom", "--help"], terminal_width=200).output.split())
    assert (
        "--translate DX,DY Shift DX,DY in pixels per second (the view moves right and down). Takes a schedule, "
        'e.g. "0:1, 48:2" (frames from 0) or "0s:1, 4s:2" (seconds). [default: 0,0]' in zoom
    )


def test_command_line_of_a_movie_names_its_own_settings_then_its_dream():
    video = VideoSettings.from_dict(
        {}, blend=0.5, independent=True, dream=DreamSettings.from_dict({}, preset="intense", steps=3)
    )
    words = shlex.split(command_line(video, "clip.mp4", "out.mp4"))
    assert words == [
        "deepdream",
        "video",
        "clip.mp4",
        "-o",
        "out.mp4",
        "--blend",
        "0.5",
        "--independent",
        "--steps",
        "3",
        "--preset",
        "intense",
    ]
    zoom = ZoomSettings.from_dict({}, translate="5,-2", frames=3)
    assert command_line(zoom) == "deepdream zoom --frames 3 --translate 5,-2"


def test_settings_of_takes_settings_a_dict_or_nothing():
    made = DreamSettings.of(None, steps=3)
    assert made.steps == 3 and DreamSettings.of(made) is made
    assert DreamSettings.of(made, octaves=2).octaves == 2 and DreamSettings.of({"steps": 5}).steps == 5
    assert DreamSettings.of({}, preset="subtle").step_size == 2.0
    with pytest.raises(SettingsError, match=r"Expected DreamSettings, a dict of its fields or nothing \(got str\)"):
        DreamSettings.of("steps=3")


def test_class_names_are_checked_against_the_vocabulary_passed_in():
    made = DreamSettings(target_class=" lemon ")
    assert made.target_class == "lemon"
    made.check_names(classes.class_index)  # a real class
    odd = DreamSettings(target_class="lemmon")

    class Fruit:  # another vocabulary: the settings use whatever they are given
        @staticmethod
        def class_index(name):
            return {"lemmon": 0}[name]

    odd.check_names(Fruit.class_index)
    with pytest.raises(SettingsError, match="Unknown ImageNet class 'lemmon'"):
        odd.check_names(classes.class_index)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            out.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_settings_import_nothing_above_them():
    """settings/ imports only the standard library, numpy, its own modules (the objectives' texts are
    parsed in settings.specs), errors and the version (imports inside functions included)."""
    allowed = {
        "..errors",
        ".._version",
        ".specs",
        ".runs",
        ".base",
        ".dream",
        ".motion",
        ".schedule",
        ".moving",
        ".values",
        ".paint",
        ".style",
        "numpy",
    }
    for path in sorted((ROOT / "deepdream" / "settings").glob("*.py")):
        ours = {name for name in _imports(path) if name.startswith(".") or name.split(".")[0] in ("deepdream", "numpy")}
        assert ours <= allowed, (path.name, ours - allowed)


def test_the_engine_never_re_defaults_the_tile_size():
    """512 (the tile size) is written once, in the settings; the engine takes it from them."""
    import inspect

    from deepdream import backbones, guided
    from deepdream.style.losses import StyleLoss

    assert inspect.signature(StyleLoss).parameters["tile_size"].default is inspect.Parameter.empty
    assert inspect.signature(guided.fit_guides).parameters["tile_size"].default is inspect.Parameter.empty
    assert inspect.signature(backbones.load_backbone).parameters["name"].default is inspect.Parameter.empty


@pytest.mark.parametrize(
    "cls, values, message",
    [
        ("SheetSettings", dict(cell=8), "--cell must be at least 32 (got 8). 192 is a good start."),
        ("AtlasSettings", dict(cell=48), "--cell must be at least 64 (got 48). 128 is a good start."),
        ("SheetSettings", dict(columns=0), "--columns must be at least 1 (got 0)."),
        ("SheetSettings", dict(channels=True), "--channels must be a whole number (got True)."),
        ("SegmentSettings", dict(segment=float("nan")), "--segment must be a finite number (got nan)."),
        ("SegmentSettings", dict(warmup=2.5), "--warmup must be a whole number (got 2.5)."),
    ],
)
def test_how_a_run_is_laid_out_is_checked_by_the_settings_too(cls, values, message):
    """A gallery's cells and a video's Ray segments are settings like any other: their CLI options
    are made from the fields and their checks are the settings' own (one place for each)."""
    import deepdream.settings as settings

    with pytest.raises(SettingsError) as error:
        getattr(settings, cls)(**values)
    assert str(error.value) == message
    assert settings.AtlasSettings().cell == 128 and settings.SheetSettings().cell == 192
