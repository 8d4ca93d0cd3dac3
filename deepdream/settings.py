"""Settings of every mode, in one place: each option's default, its one-line help and its validation.

A settings object is built once (by the CLI, the Python API or the studio), validated when it is
made, and passed down; nothing below it re-checks or re-defaults a value. Every field's help is the
line `deepdream COMMAND --help` shows, and `to_dict` is what a rendered picture carries in its
metadata, so `from_dict` can make the same picture again.

Fields are declared with `option(default, help, flag=...)`; `flag` is the CLI option that sets the
field, used in error messages so they name what the user typed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from .errors import SettingsError, shown, suggest

#: The key of a PNG text chunk (and the prefix of other formats' description) holding the settings.
from .images import METADATA_KEY  # noqa: E402 (re-exported for settings users)


#: Upper bounds on counts (a typo of 10**400 steps or 3000 layers is refused, not run for ever).
MAX_STEPS = 10_000  # steps per octave, optimiser iterations, steps of later frames
MAX_OCTAVES = 32
MAX_LAYERS = 64  # layer specs given (dream, style, content layers)
MAX_PICTURES = 32  # guides, styles, masks
MAX_FRAMES = 1_000_000
MAX_STEP_SIZE = 255.0  # a step of more than the whole RGB range only saturates
MAX_LOSS_WEIGHT = 1e9  # style, content and smoothness weights (1e300 overflows to infinity)


def option(default: Any, help: str, *, flag: str | None = None):
    """A settings field with its default, the help line the CLI shows and the CLI flag it has."""
    return field(default=default, metadata={"help": help, "flag": flag})


def rng(seed: int | None):
    """The run's one seeded generator. Any integer is a seed: negative ones map to their own streams."""
    import numpy as np

    return np.random.default_rng(seed if seed is None or seed >= 0 else [1, -seed])


class Settings:
    """What every settings dataclass shares: help and defaults by field name, JSON round trips."""

    #: The mode's name, as in the metadata ("dream", "style", "texture").
    mode: ClassVar[str] = ""

    @classmethod
    def help(cls, name: str) -> str:
        return _field(cls, name).metadata["help"]

    @classmethod
    def flag(cls, name: str) -> str:
        return _field(cls, name).metadata.get("flag") or "--" + name.replace("_", "-")

    @classmethod
    def default(cls, name: str):
        return _field(cls, name).default

    def _fail(self, name: str, why: str) -> None:
        raise SettingsError(f"{type(self).flag(name)} {why}")

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)

    # -- checks shared by the modes ---------------------------------------------------------
    def _whole(self, name: str, low: int, hint: str = "", high: int | None = None) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
                self._set(name, value)
            else:
                self._fail(name, f"must be a whole number (got {shown(value)}).")
        if value < low:
            self._fail(name, f"must be at least {low} (got {shown(value)}).{hint}")
        if high is not None and value > high:
            self._fail(name, f"must be at most {high:,} (got {shown(value)}).{hint}")

    def _count(self, name: str, high: int) -> None:
        """At most `high` items in a repeated field."""
        if len(getattr(self, name)) > high:
            self._fail(name, f"was given {len(getattr(self, name)):,} times; the limit is {high}.")

    def _number(self, name: str, low: float | None = None, *, above: bool = False, high: float | None = None,
                hint: str = "") -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self._fail(name, f"must be a finite number (got {shown(value)}).")
        self._set(name, float(value))
        if low is not None and (value <= low if above else value < low):
            self._fail(name, f"must be {'greater than' if above else 'at least'} {low:g} (got {value:g}).{hint}")
        if high is not None and value > high:
            self._fail(name, f"must be at most {high:g} (got {value:g}).{hint}")

    def _choice(self, name: str, choices) -> None:
        value = getattr(self, name)
        if value not in choices:
            self._fail(name, f"must be one of {', '.join(choices)} (got {shown(value)}).{suggest(str(value), choices)}")

    def _texts(self, name: str) -> None:
        """A list of strings, paths or in-memory images as a tuple (paths as str); one item as a 1-tuple."""
        value = getattr(self, name)
        if value is None:
            value = ()
        elif not isinstance(value, (list, tuple)):  # one path, PIL image or array
            value = (value,)
        self._set(name, tuple(str(v) if isinstance(v, Path) else v for v in value))

    # -- round trips ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The settings as JSON-able values (paths as strings; in-memory images as None)."""
        out = {}
        for f in fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    def to_json(self, **extra) -> str:
        """The JSON a rendered picture carries: mode, program version, settings (and `extra`, e.g.
        the input's name, for information)."""
        from ._version import __version__

        return json.dumps({"mode": self.mode, "version": __version__, "settings": self.to_dict(), **extra},
                          sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, **overrides):
        """Settings from a dict (as `to_dict` made, maybe from another version), with overrides.

        A `preset` among the overrides sets its values over `data`'s, and the other overrides go
        over the preset's (`--settings FILE --preset intense --steps 5`); a preset named only in
        `data` is a record of how those values came to be. Unknown names are a SettingsError
        naming the closest known one."""
        known = {f.name for f in fields(cls)}
        for name in {**data, **overrides}:
            if name not in known:
                raise SettingsError(f"Unknown {cls.mode} setting {name!r}.{suggest(name, known)}")
        preset = overrides.get("preset") if "preset" in known else None
        if preset is not None:
            chosen = preset_values(preset)
            if "backbone" in overrides and overrides["backbone"] != chosen.get("backbone", overrides["backbone"]):
                chosen.pop("backbone")  # another network: the preset's layers are not its own
                chosen.pop("layers", None)
            values = {**data, **chosen, **overrides}
            made = cls(**{**values, "preset": None})
            object.__setattr__(made, "preset", preset_name(preset))
            return made
        return cls(**{**data, **overrides})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _field(cls, name: str):
    for f in fields(cls):
        if f.name == name:
            return f
    raise KeyError(name)


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None  # an in-memory image (array, PIL image): not reproducible from metadata


def read_settings_file(path) -> tuple[str, dict]:
    """(mode, settings dict) from a JSON file or a picture deepdream wrote (its metadata)."""
    from .errors import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Settings file '{path}' does not exist; give a PNG written by deepdream or a JSON file.")
    text = None
    if path.suffix.lower() == ".json":
        text = path.read_text(encoding="utf-8-sig", errors="replace")  # a BOM (Notepad) is no error
    else:
        from .images import read_metadata

        text = read_metadata(path)
        if text is None:
            raise InputError(f"'{path}' holds no deepdream settings; give a picture written by deepdream or a JSON file.")
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except RecursionError:
        raise InputError(f"Settings file '{path}' is nested too deeply to be deepdream settings.") from None
    except ValueError:
        raise InputError(f"Settings file '{path}' is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings", {}), dict):
        raise InputError(f"Settings file '{path}' does not hold deepdream settings.")
    mode = data.get("mode", "")
    if not isinstance(mode, str) or (mode and mode not in MODES):
        raise InputError(f"Settings file '{path}' names no deepdream mode (its \"mode\" is {shown(mode, 40)}; "
                         f"one of {', '.join(MODES)}).")
    settings = data.get("settings", data)
    settings = {k: v for k, v in settings.items() if k not in ("mode", "version")}
    return mode, settings


# ---------------------------------------------------------------------------- dream

NORMALIZATIONS = ("laplacian", "mean")
#: Every mode a settings file (or a picture's metadata) may name.
MODES = ("dream", "class", "visualize", "style", "texture", "zoom", "video")


@dataclass(frozen=True)
class Preset:
    """A named look: a few dream settings and what they are for. Options given beside a preset
    override it; a picture's stored settings name the preset it was made with."""

    name: str
    purpose: str
    values: dict

    def line(self) -> str:
        """`NAME  what it is for  (--flag value ...)`, as `deepdream presets` prints it."""
        words = []
        for key, value in self.values.items():
            flag = DreamSettings.flag(key)
            for v in (value if isinstance(value, tuple) else (value,)):
                words.append(f"{flag} {v:g}" if isinstance(v, float) else f"{flag} {v}")
        return f"{self.name:<8}  {self.purpose}  ({' '.join(words)})"


#: The presets, in the order `deepdream presets` lists them; `classic` is the default dream.
PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("classic", "the DeepDream look: dog faces, eyes and snouts over the whole picture, the photo still "
                      "readable (the default)",
           {"octaves": 4, "octave_scale": 1.4, "steps": 10, "step_size": 4.0, "normalize": "mean", "chroma": 0.6}),
    Preset("subtle", "a light touch: faint eyes and fur in the photo's own textures",
           {"octaves": 4, "octave_scale": 1.4, "steps": 10, "step_size": 2.0, "normalize": "mean", "chroma": 0.4}),
    Preset("intense", "dogs, birds and eyes everywhere, larger and denser: the photo only just shows through",
           {"octaves": 5, "octave_scale": 1.4, "steps": 16, "step_size": 5.0, "normalize": "mean", "chroma": 0.8}),
    Preset("swirls", "a shallow layer: swirls and scales over everything, the photo's shapes kept",
           {"backbone": "efficientnet-lite2", "layers": ("block3a_expand",), "octaves": 4, "octave_scale": 1.4,
            "steps": 10, "step_size": 4.0, "normalize": "mean", "chroma": 0.6}),
    Preset("edges", "vgg16: edges, cells and strong colour, an ornamental look",
           {"backbone": "vgg16", "layers": ("block3_conv3",), "octaves": 4, "octave_scale": 1.4,
            "steps": 10, "step_size": 1.5, "normalize": "laplacian", "chroma": 0.8}),
)}


def preset_name(name) -> str:
    """The preset's name as listed, or a SettingsError with the closest names."""
    text = str(name).strip().lower()
    if text not in PRESETS:
        raise SettingsError(f"Unknown preset {name!r}; the presets are {', '.join(PRESETS)} "
                            f"(see `deepdream presets`).{suggest(text, PRESETS)}")
    return text


def preset_values(name) -> dict:
    """The settings a preset sets (field name -> value)."""
    return dict(PRESETS[preset_name(name)].values)


@dataclass(frozen=True)
class DreamSettings(Settings):
    """A dream: gradient ascent on what `backbone` sees at `layers`, octave by octave, in tiles."""

    mode: ClassVar[str] = "dream"

    backbone: str = option("efficientnet-lite2", "Network to dream with: efficientnet-lite2 (the classic look: "
                                                 "eyes, dog faces; fast), vgg16 (edges, cells, strong colours), "
                                                 "inceptionv3 or googlenet (need their weights: see `deepdream "
                                                 "weights`).", flag="--backbone")
    weights: str | None = option(None, "Weights file for the backbone (default: embedded, weights folder or Keras cache).")
    layers: tuple = option((), "Layer to maximise: NAME, NAME:CHANNEL, NAME=WEIGHT; repeat for several. "
                               "Default: the backbone's own (see `deepdream layers`).", flag="--layer")
    octaves: int = option(4, "Number of scales, dreamt from the smallest up.")
    octave_scale: float = option(1.4, "Size ratio between octaves (> 1).")
    steps: int = option(10, "Gradient-ascent steps per octave.")
    step_size: float = option(4.0, "Mean change per step, in RGB levels (0-255): higher dreams harder.")
    tile_size: int = option(512, "Tile side in pixels: memory is bounded by the tile, not the image.")
    jitter: int = option(32, "Random shift of the picture under the network each step, in pixels (0: none).")
    scale_jitter: float = option(0.0, "Random zoom of each tile each step, as a fraction (0.05: up to 5 %).")
    rotate_jitter: float = option(0.0, "Random rotation of each tile each step, up to this many degrees.")
    blur: float = option(0.0, "Blur the picture by a Gaussian of this many pixels every 4 steps: a regulariser "
                              "against noise (0: none).")
    normalize: str = option("mean", "Gradient normalisation: mean (the classic step: the network's own "
                                    "patterns, the photo's colours mostly kept) or laplacian (every scale of the "
                                    "gradient normalised alike: larger, more even, more colourful patterns).")
    chroma: float = option(0.6, "How freely the dream changes colours: 1 freely, 0.5 half as much as "
                                "brightness, 0 brightness only (the photo's colours kept, as --preserve-colors).")
    preserve_colors: bool = option(False, "Dream on luminance only: keep the input's colours.")
    mask: str | None = option(None, "Greyscale picture of where to dream and how strongly (white full, black none).")
    guide: tuple = option((), "Dream toward the patterns of this image instead; repeat to pool several.")
    guide_size: int | None = option(None, "Longer side, in pixels, the guide is resized to (at most the tile "
                                          "size). Default: shrunk to fit 512, never enlarged.")
    target_class: str | None = option(None, "ImageNet class (name or number) to push the picture toward; needs "
                                            "a classifier backbone (efficientnet-lite2). `deepdream classes WORD` "
                                            "lists them.", flag="--class")
    precision: str = option("auto", "What the network computes in: auto, float32, bfloat16 or float16. auto: "
                                    "bfloat16 on CPUs with native bfloat16 and on recent GPUs, float16 on "
                                    "older GPUs, else float32.")
    tile_batch: int = option(1, "Tiles of equal shape sent through the network together: can be faster, "
                                "holds that many tiles' activations in memory.")
    seed: int = option(0, "Random seed of the jitter: same seed, same output bytes.")
    max_side: int | None = option(None, "Shrink the input first so its longer side is at most this many pixels.")
    preset: str | None = option(None, "A named look: classic (the default), subtle, intense, swirls, edges (see "
                                      "`deepdream presets`); options given beside it override it. (In Python, "
                                      "DreamSettings.from_dict({}, preset=NAME, ...) applies it; the field itself "
                                      "records it.)")

    def __post_init__(self) -> None:
        from .backbones.base import PRECISIONS

        if self.preset is not None:  # a record of the preset the values came from; `from_dict` applies one
            self._set("preset", preset_name(self.preset))

        self._texts("layers")
        self._set("layers", tuple(str(s) for s in self.layers))
        self._texts("guide")
        for name in ("weights", "mask"):
            if isinstance(getattr(self, name), Path):
                self._set(name, str(getattr(self, name)))
        if not isinstance(self.backbone, str):
            self._fail("backbone", f"must be a backbone's name (got {self.backbone!r}).")
        self._count("layers", MAX_LAYERS)
        self._count("guide", MAX_PICTURES)
        self._whole("octaves", 1, high=MAX_OCTAVES)
        self._number("octave_scale", 1.0, above=True, hint=" 1.4 is a good start.")
        self._whole("steps", 1, high=MAX_STEPS)
        self._number("step_size", 0.0, above=True, high=MAX_STEP_SIZE)
        self._whole("tile_size", 32, " 512 is a good start.")
        self._whole("jitter", 0)
        self._number("scale_jitter", 0.0, high=0.5)
        self._number("rotate_jitter", 0.0, high=45.0)
        self._number("blur", 0.0, high=5.0)
        self._choice("normalize", NORMALIZATIONS)
        self._number("chroma", 0.0, high=1.0)
        self._set("preserve_colors", bool(self.preserve_colors))
        self._choice("precision", PRECISIONS)
        self._whole("tile_batch", 1, high=MAX_PICTURES)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            self._fail("seed", f"must be a whole number (got {shown(self.seed)}).")
        if self.max_side is not None:
            self._whole("max_side", 1)
        auto = [s for s in self.layers if str(s).strip().lower() == "auto"]
        if auto and not self.guide:
            raise SettingsError("--layer auto picks the layer where a guide image matches best; give one with --guide.")
        if auto and len(self.layers) > 1:
            raise SettingsError("--layer auto picks one layer by itself; give it alone, or name the layers.")
        if self.target_class is not None:
            from .classes import class_index

            self._set("target_class", str(self.target_class).strip())
            class_index(self.target_class)
            if self.guide:
                raise SettingsError("--class and --guide pull the picture two ways; give one of them.")
        if self.guide_size is not None:
            if not self.guide:
                raise SettingsError("--guide-size applies to a guide image; give one with --guide.")
            self._whole("guide_size", 1)

    @property
    def auto_layer(self) -> bool:
        return len(self.layers) == 1 and str(self.layers[0]).strip().lower() == "auto"


@dataclass(frozen=True)
class PaintSettings(Settings):
    """A painting from noise (lucid's way, `render.param`): the picture is Fourier coefficients in a
    decorrelated colour space, and each step the network sees several randomly moved, scaled,
    turned and blurred views of it."""

    mode: ClassVar[str] = "paint"

    backbone: str = option("efficientnet-lite2", "Network to paint with.", flag="--backbone")
    weights: str | None = option(None, "Weights file for the backbone (default: embedded, weights folder or Keras cache).")
    size: str = option("256x256", "Size of the painting, WIDTHxHEIGHT.")
    steps: int = option(200, "Optimiser (Adam) steps.")
    learning_rate: float = option(0.01, "Adam's step size on the Fourier coefficients: higher paints faster and "
                                        "bolder, and saturates sooner.")
    decay: float = option(1.5, "Coarse over fine: coefficients are scaled by 1/frequency^DECAY (1: the spectrum of "
                               "photos; higher: smoother, larger shapes).")
    views: int = option(4, "Randomly moved, scaled and turned copies of the picture the network sees each step.")
    blurred_views: int = option(2, "Of those, how many are blurred (so the subject reads in coarse shapes too).")
    rotate_jitter: float = option(10.0, "Random rotation of each view, up to this many degrees.")
    precision: str = option("auto", "What the network computes in: auto, float32, bfloat16 or float16.")
    seed: int = option(0, "Random seed: same seed and options, same output bytes.")

    def __post_init__(self) -> None:
        from .backbones.base import PRECISIONS

        if isinstance(self.weights, Path):
            self._set("weights", str(self.weights))
        if not isinstance(self.backbone, str):
            self._fail("backbone", f"must be a backbone's name (got {self.backbone!r}).")
        height, width = parse_size(self.size)
        if min(height, width) < 64:
            self._fail("size", f"must be at least 64x64 (got {width}x{height}).")
        self._set("size", f"{width}x{height}")
        self._whole("steps", 1, high=MAX_STEPS)
        self._number("learning_rate", 0.0, above=True, high=10.0)
        self._number("decay", 0.0, high=4.0)
        self._whole("views", 1)
        if self.views > 32:
            self._fail("views", f"must be at most 32 (got {self.views}).")
        self._whole("blurred_views", 0)
        if self.blurred_views > self.views:
            self._fail("blurred_views", f"must be at most --views ({self.views}; got {self.blurred_views}).")
        self._number("rotate_jitter", 0.0, high=45.0)
        self._choice("precision", PRECISIONS)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            self._fail("seed", f"must be a whole number (got {self.seed!r}).")


@dataclass(frozen=True)
class ClassSettings(PaintSettings):
    """A class painting: an ImageNet class painted from noise."""

    mode: ClassVar[str] = "class"

    backbone: str = option("efficientnet-lite2", "Network with an ImageNet classifier to paint with.",
                           flag="--backbone")
    target_class: str | None = option(None, "ImageNet class (name or number) to paint; `deepdream classes WORD` "
                                            "lists them.", flag="--class")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target_class is None:
            raise SettingsError("Name the class to paint: a name or number (see `deepdream classes WORD`).")
        from .classes import class_index

        self._set("target_class", str(self.target_class).strip())
        class_index(self.target_class)


@dataclass(frozen=True)
class VisualizeSettings(PaintSettings):
    """A feature visualisation: what one channel (or a whole layer) of a network responds to most,
    painted from noise."""

    mode: ClassVar[str] = "visualize"

    target: str | None = option(None, "LAYER or LAYER:CHANNEL to paint (see `deepdream layers`).", flag="--layer")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.target:
            raise SettingsError("Name the layer to paint: LAYER or LAYER:CHANNEL (see `deepdream layers`).")
        from .objectives import parse_layer_spec

        spec = parse_layer_spec(self.target)
        if spec.weight != 1.0:
            raise SettingsError(f"Paint one layer or channel, without a weight (got {self.target!r}).")
        self._set("target", str(spec))


# ---------------------------------------------------------------------------- style and texture

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("palette", "content", "noise")
STYLE_BACKBONE_HELP = ("Network whose features define content and style: vgg16 (embedded, works offline), "
                       "inceptionv3 or googlenet (these need their weights file: see `deepdream weights`).")
_LAYER_WEIGHT_HELP = "NAME or NAME=WEIGHT; repeat for several. Default: the backbone's own."


def parse_size(text) -> tuple[int, int]:
    """'1024x768' (width x height) or (width, height) -> (height, width); a SettingsError otherwise."""
    import re

    from .images import MAX_PIXELS

    bad = f"Cannot read size {text!r}: write WIDTHxHEIGHT in pixels, e.g. 1024x768."
    if isinstance(text, (tuple, list)) and len(text) == 2:
        w, h = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(text))
        if not match:
            raise SettingsError(bad)
        w, h = match.groups()
    try:
        w, h = int(w), int(h)
    except (TypeError, ValueError):
        raise SettingsError(bad) from None
    if w < 1 or h < 1:
        raise SettingsError(f"The size must be at least 1x1 pixels (got {w}x{h}).")
    if w * h > MAX_PIXELS // 2:
        raise SettingsError(f"The size {w}x{h} has too many pixels; the limit is {MAX_PIXELS // 2:,}.")
    return h, w


def parse_blend(text, count: int | None = None) -> list[float]:
    """'0.7,0.3' (or numbers) -> positive weights summing to 1; with `count`, one per style (None:
    equal weights)."""
    if text is None:
        return [1.0 / count] * count
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    values = []
    for p in parts:
        try:
            v = float(p)
        except (TypeError, ValueError):
            raise SettingsError(f"Cannot read style blend weight {p!r}: give positive numbers, e.g. 0.7,0.3.") from None
        if not (math.isfinite(v) and v > 0):
            raise SettingsError(f"Style blend weights must be positive numbers (got {p}).")
        values.append(v)
    if count is not None and len(values) != count:
        raise SettingsError(
            f"--style-blend has {len(values)} weight{'s' * (len(values) != 1)} but there "
            f"{'is' if count == 1 else 'are'} {count} style{'s' * (count != 1)}; give one weight per --style.")
    total = sum(values)
    return [v / total for v in values]


def _layer_texts(value) -> tuple:
    """Layer specs as strings: 'name', 'name=weight', or (name, weight) pairs written so."""
    out = []
    for spec in value:
        if isinstance(spec, (tuple, list)) and len(spec) == 2:
            spec = f"{spec[0]}={float(spec[1]):g}"
        out.append(str(spec))
    return tuple(out)


@dataclass(frozen=True)
class _GatysSettings(Settings):
    """What style transfer and texture synthesis share: a picture found by minimising Gram-matrix
    (and content) losses on a backbone's features."""

    backbone: str = option("vgg16", STYLE_BACKBONE_HELP, flag="--backbone")
    weights: str | None = option(None, "Weights file for the backbone (default: embedded, weights folder or Keras cache).")
    style_layers: tuple = option((), f"Style layer: {_LAYER_WEIGHT_HELP}", flag="--style-layer")
    style_weight: float = option(30.0, "Weight of the style term: higher paints more style, less content.")
    tv_weight: float = option(10.0, "Weight of the total-variation term: higher is smoother.")
    optimizer: str = option("lbfgs", "lbfgs (converges fast; its memory is bounded: 3 to 10 picture-sized "
                                     "pairs) or adam (steady, least memory; see --learning-rate).")
    iterations: int = option(100, "Optimiser iterations, at each scale.")
    learning_rate: float = option(4.0, "Adam's step size, in RGB levels.")
    init: Any = option("palette", "Start from: palette (the content recoloured to the styles' colours), "
                                  "content (as it is), noise, or an image FILE.")
    scales: int = option(1, "Coarse-to-fine levels, each half the size of the next.")
    tile_size: int = option(512, "Pictures larger than this are computed in tiles: memory is bounded by the tile.")
    seed: int = option(0, "Random seed (noise): same seed and options, same output bytes.")

    def __post_init__(self) -> None:
        self._texts("style_layers")
        self._set("style_layers", _layer_texts(self.style_layers))
        self._count("style_layers", MAX_LAYERS)
        if isinstance(self.weights, Path):
            self._set("weights", str(self.weights))
        if not isinstance(self.backbone, str):
            self._fail("backbone", f"must be a backbone's name (got {self.backbone!r}).")
        self._number("style_weight", 0.0, above=True, high=MAX_LOSS_WEIGHT)
        self._number("tv_weight", 0.0, high=MAX_LOSS_WEIGHT)
        self._choice("optimizer", OPTIMIZERS)
        self._whole("iterations", 1, high=MAX_STEPS)
        self._number("learning_rate", 0.0, above=True, high=MAX_STEP_SIZE)
        self._whole("scales", 1)
        if self.scales > 8:
            self._fail("scales", f"must be at most 8 (got {self.scales}).")
        self._whole("tile_size", 64, " 512 is a good start.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            self._fail("seed", f"must be a whole number (got {shown(self.seed)}).")
        self._check_init()

    def _check_init(self) -> None:
        init = self.init
        if isinstance(init, Path):
            init = str(init)
            self._set("init", init)
        if isinstance(init, str) and init not in INITS and not Path(init).is_file():
            why = "is a folder" if Path(init).is_dir() else "does not exist"
            self._fail("init", f"must be palette, content, noise or an image file ('{init}' {why}).")


@dataclass(frozen=True)
class StyleSettings(_GatysSettings):
    """Style transfer (Gatys, Ecker and Bethge): the content image repainted with the styles' Grams."""

    mode: ClassVar[str] = "style"

    styles: tuple = option((), "Style image; repeat for several (see --style-blend, --mask).", flag="--style")
    style_blend: tuple | None = option(None, "Weights of the styles, e.g. 0.7,0.3 (default: equal).")
    masks: tuple = option((), "Region of each style (white = this style): one per --style, in order.", flag="--mask")
    content_layers: tuple = option((), f"Content layer: {_LAYER_WEIGHT_HELP}", flag="--content-layer")
    content_weight: float = option(1.0, "Weight of the content term: higher keeps more of the content's shapes.")
    preserve_colors: bool = option(False, "Transfer the style on luminance only; keep the content's colours.")
    style_scale: float = option(1.0, "Style image's size relative to the output (longer sides).")
    max_side: int | None = option(None, "Shrink the content first so its longer side is at most this many pixels.")

    def __post_init__(self) -> None:
        super().__post_init__()
        self._texts("styles")
        self._texts("masks")
        self._texts("content_layers")
        self._set("content_layers", _layer_texts(self.content_layers))
        if self.style_blend is not None and len(self.styles) == 1:
            parse_blend(self.style_blend)  # a weight that is no number says so first
            raise SettingsError("--style-blend weighs several styles, and there is one --style; give more --style "
                                "pictures, or leave --style-blend out.")
        for name in ("styles", "masks"):
            self._count(name, MAX_PICTURES)
        self._count("content_layers", MAX_LAYERS)
        if self.style_blend is not None:
            self._set("style_blend", tuple(parse_blend(self.style_blend, len(self.styles) or None)))
        if self.masks and self.styles and len(self.masks) != len(self.styles):
            n, k = len(self.masks), len(self.styles)
            raise SettingsError(f"There {'is' if n == 1 else 'are'} {n} --mask for {k} --style; give one --mask "
                                f"per --style, in the same order, or none.")
        self._number("content_weight", 0.0, high=MAX_LOSS_WEIGHT)
        self._set("preserve_colors", bool(self.preserve_colors))
        self._number("style_scale", 0.05, high=8.0, hint=" 1 is a good start.")
        if self.max_side is not None:
            self._whole("max_side", 1)


@dataclass(frozen=True)
class TextureSettings(_GatysSettings):
    """Texture synthesis (Gatys, Ecker and Bethge): a new picture with a sample's Grams, from noise."""

    mode: ClassVar[str] = "texture"

    size: str | None = option(None, "Output size WIDTHxHEIGHT, e.g. 1024x1024 (default: the sample's).")
    init: Any = option("noise", "Start from: noise, or an image FILE.")
    sample_scale: float = option(1.0, "Resize the sample first by this factor (1 keeps its scale).")

    def __post_init__(self) -> None:
        if isinstance(self.init, str) and self.init in ("content", "palette"):
            raise SettingsError("A texture has no content image: use --init noise or --init FILE.")
        super().__post_init__()
        if self.size is not None:
            h, w = parse_size(self.size)
            self._set("size", f"{w}x{h}")
        self._number("sample_scale", 0.05, high=8.0, hint=" 1 is a good start.")

    def _check_init(self) -> None:
        if isinstance(self.init, str) and self.init != "noise" and not Path(self.init).is_file():
            why = "is a folder" if Path(self.init).is_dir() else "does not exist"
            self._fail("init", f"must be noise or an image file ('{self.init}' {why}).")
        super()._check_init()


# ---------------------------------------------------------------------------- motion: zoom and video

FLOW_METHODS = ("dis", "farneback")


def parse_translate(text) -> tuple[float, float]:
    """'DX,DY' (or a pair of numbers) -> (dx, dy) as floats; a SettingsError otherwise."""
    bad = f"Cannot read --translate {text!r}: write DX,DY in pixels per second, e.g. 20,-10."
    parts = text.split(",") if isinstance(text, str) else list(text) if isinstance(text, (tuple, list)) else None
    if parts is None or len(parts) != 2:
        raise SettingsError(bad)
    try:
        dx, dy = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise SettingsError(bad) from None
    if not (math.isfinite(dx) and math.isfinite(dy)):
        raise SettingsError(bad)
    return dx, dy


@dataclass(frozen=True)
class _MotionSettings(Settings):
    """What zoom and video share: the dream every frame gets (every dream option applies), and how
    frames are carried from one to the next. `dream` is a DreamSettings (or a dict of its fields)."""

    dream: DreamSettings = option(DreamSettings(), "The dream every frame gets (every dream option).")
    frame_steps: int = option(3, "Gradient-ascent steps per octave for every frame after the first "
                                 "(the first gets --steps).")
    frame_octaves: int = option(1, "Octaves for every frame after the first (the first gets --octaves).")

    def __post_init__(self) -> None:
        if self.dream is None:
            self._set("dream", DreamSettings())
        elif isinstance(self.dream, dict):
            self._set("dream", DreamSettings.from_dict(self.dream))
        elif not isinstance(self.dream, DreamSettings):
            raise SettingsError(f"The dream settings of a {self.mode} must be DreamSettings (got {self.dream!r}).")
        self._whole("frame_steps", 1, high=MAX_STEPS)
        self._whole("frame_octaves", 1, high=MAX_OCTAVES)

    def lighter(self, dream: DreamSettings) -> DreamSettings:
        """`dream` with the steps and octaves of a frame that starts from the last one's dream."""
        return dream.replace(steps=self.frame_steps, octaves=self.frame_octaves)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["dream"] = self.dream.to_dict()
        return out

    #: Fields that do not change any frame already made (e.g. how many frames): a run may resume
    #: frames made with other values of these.
    resumable: ClassVar[tuple] = ()

    def frames_key(self) -> dict:
        """What the frames on disk depend on: resuming needs the same."""
        return {k: v for k, v in self.to_dict().items() if k not in self.resumable}


@dataclass(frozen=True)
class ZoomSettings(_MotionSettings):
    """An infinite zoom: each frame dreamt, then moved (zoomed into its centre, turned, shifted) to
    start the next. Speeds are per second, so --fps changes smoothness, never the motion's speed."""

    mode: ClassVar[str] = "zoom"
    resumable: ClassVar[tuple] = ("frames",)

    frames: int = option(48, "Number of frames.")
    fps: float = option(12.0, "Frames per second of the movie (the zoom's speed per second stays the same).")
    zoom: float = option(1.3, "Zoom factor per second (1.3: 30 % closer each second; below 1 zooms out).")
    rotate: float = option(0.0, "Rotation in degrees per second (positive: counter-clockwise).")
    translate: tuple = option((0.0, 0.0), "Shift DX,DY in pixels per second (the view moves right and down).")
    def __post_init__(self) -> None:
        super().__post_init__()
        self._whole("frames", 1, high=MAX_FRAMES)
        self._number("fps", 0.0, above=True, high=240.0)
        self._number("zoom", 0.0, above=True, hint=" 1.3 zooms in 30 % a second.")
        self._number("rotate", -3600.0, high=3600.0)
        self._set("translate", parse_translate(self.translate))
        if self.zoom == 1.0 and self.rotate == 0.0 and self.translate == (0.0, 0.0):
            self._fail("zoom", "of 1 with no --rotate or --translate makes no motion; give e.g. --zoom 1.3.")


@dataclass(frozen=True)
class VideoSettings(_MotionSettings):
    """A video dream: every frame starts from the raw frame plus the previous frame's dreamt detail
    carried along the optical flow (times --blend), where the flow is consistent both ways."""

    mode: ClassVar[str] = "video"
    resumable: ClassVar[tuple] = ("end",)

    blend: float = option(0.9, "Share of the previous frame's dreamt detail carried into the next "
                               "(0: none; below 1 it decays, so nothing drifts).")
    flow: str = option("dis", "Optical flow: dis (fast, sharp edges) or farneback.")
    independent: bool = option(False, "Dream every frame on its own (no carried detail; flickers).")
    frame_steps: int = option(4, "Gradient-ascent steps per octave for every frame that starts from carried "
                                 "detail (the first gets --steps).")
    frame_octaves: int = option(2, "Octaves for every frame that starts from carried detail (the first gets "
                                   "--octaves).")
    start: float | None = option(None, "Start at this time, in seconds.")
    end: float | None = option(None, "End at this time, in seconds.")

    def __post_init__(self) -> None:
        super().__post_init__()
        self._number("blend", 0.0, high=1.0, hint=" 0.9 is a good start.")
        self._choice("flow", FLOW_METHODS)
        self._set("independent", bool(self.independent))
        for name in ("start", "end"):
            if getattr(self, name) is not None:
                self._number(name, 0.0)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise SettingsError(f"--start ({self.start:g} s) must come before --end ({self.end:g} s).")
