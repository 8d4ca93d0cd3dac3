"""The dream's settings and its presets (named looks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..errors import SettingsError, suggest
from .base import (
    DETAIL,
    GUIDES,
    LOOK,
    MAX_LAYERS,
    MAX_OCTAVE_SCALE,
    MAX_OCTAVES,
    MAX_PICTURES,
    MAX_STEP_SIZE,
    MAX_STEPS,
    NETWORK,
    PRECISIONS,
    SIZE,
    TILE_SIZE,
    Control,
    Settings,
    option,
)
from .moving import Moving
from .schedule import Schedule, is_schedule, named_schedule, preset_keyframes
from .specs import split_region

NORMALIZATIONS = ("laplacian", "mean")
#: The default longest side of a guide: it fits one tile, and a guide larger than this adds
#: positions (subsampled anyway) rather than patterns.
GUIDE_SIZE = TILE_SIZE
#: How a named layer's (or channel's) activations are scored (see DreamSettings.score).
SCORES = ("l2", "mean")


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
            for v in value if isinstance(value, tuple) else (value,):
                words.append(f"{flag} {v:g}" if isinstance(v, float) else f"{flag} {v}")
        return f"{self.name:<8}  {self.purpose}  ({' '.join(words)})"


def preset_name(name) -> str:
    """The preset's name as listed (a schedule of presets as written: "0:subtle, 48:intense"), or a
    SettingsError with the closest names."""
    if is_schedule(name):
        return preset_schedule(name).text()
    text = str(name).strip().lower()
    if text not in PRESETS:
        raise SettingsError(
            f"Unknown preset {name!r}; the presets are {', '.join(PRESETS)} "
            f"(see `deepdream presets`).{suggest(text, PRESETS)}"
        )
    return text


def preset_values(name) -> dict:
    """The settings a preset sets (field name -> value). A schedule of presets sets a schedule of
    every setting the presets differ in, with the same keyframes: numbers move from one preset's
    to the next, choices (step rule, score) switch half way."""
    if not is_schedule(name):
        return dict(PRESETS[preset_name(name)].values)
    return preset_keyframes(preset_schedule(name), PRESETS, DreamSettings)


def preset_schedule(text) -> Schedule:
    """A schedule of presets, each name checked, all of one network and its layers."""
    return named_schedule(text, "--preset", preset_name, PRESETS, DreamSettings)


@dataclass(frozen=True)
class DreamSettings(Moving, Settings):
    """A dream: gradient ascent on what `backbone` sees at `layers`, octave by octave, in tiles."""

    mode: ClassVar[str] = "dream"

    backbone: str = option(
        "efficientnet-lite2",
        "Network to dream with: efficientnet-lite2 (the classic look: eyes, dog faces; fast), vgg16 (edges, "
        "cells, strong colours), inceptionv3 or googlenet (need their weights: see `deepdream weights`).",
        flag="--backbone",
        short="-b",
        group=NETWORK,
    )
    weights: str | None = option(
        None,
        "Weights file for the backbone (default: embedded, weights folder or Keras cache).",
        file=True,
        group=NETWORK,
    )
    layers: tuple = option(
        (),
        "Layer to maximise: NAME, NAME:CHANNEL, NAME=WEIGHT; repeat for several. "
        "NAME@MASK: only where the greyscale picture MASK is white (a region). "
        "Default: the backbone's own (see `deepdream layers`).",
        flag="--layer",
        short="-l",
        group=LOOK,
        schedule=True,
    )
    score: str = option(
        "l2",
        "How each layer (or channel) is scored: l2 (the mean square of its activations, as "
        "in the original DeepDream: the strongest features grow strongest, into distinct eyes, "
        "faces and animals) or mean (the mean activation: a denser, finer texture). --class "
        "and --guide score their own way.",
        ui=Control("Layer score", choices=SCORES, more=True),
        group=LOOK,
        schedule=True,
    )
    octaves: int = option(
        6, "Number of scales, dreamt from the smallest up.", ui=Control("Octaves", 1, 8, 1), group=LOOK, schedule=True
    )
    octave_scale: float = option(
        1.4,
        "Size ratio between octaves (> 1, at most 4).",
        ui=Control("Octave scale", 1.1, 2.0, 0.05, more=True),
        group=LOOK,
    )
    steps: int = option(
        12, "Gradient-ascent steps per octave.", ui=Control("Steps per octave", 1, 400, 1), group=LOOK, schedule=True
    )
    step_size: float = option(
        4.0,
        "Mean change per step, in RGB levels (0-255): higher dreams harder.",
        ui=Control("Strength (step size)", 0.1, 10, 0.1),
        group=LOOK,
        schedule=True,
    )
    keep_subject: float = option(
        0.0,
        "Dream less on the picture's subject, where the network sees it (a pet's face, a cup): 0 alike "
        "everywhere, 1 not at all there. Needs a classifier backbone (efficientnet-lite2).",
        ui=Control("Keep the subject", 0, 1, 0.05, more=True),
        group=LOOK,
        schedule=True,
    )
    tile_size: int = option(TILE_SIZE, "Tile side in pixels: memory is bounded by the tile, not the image.", group=SIZE)
    jitter: int = option(
        32,
        "Random shift of the picture under the network each step, in pixels (0: none).",
        ui=Control("Jitter (pixels)", 0, 64, 1, more=True),
        group=DETAIL,
        schedule=True,
    )
    scale_jitter: float = option(
        0.05,
        "Random zoom of each tile each step, as a fraction (0.05: up to 5 %): "
        "patterns that survive it grow larger and clearer (0: none).",
        ui=Control("Tile zoom (fraction)", 0, 0.5, 0.01, more=True),
        group=DETAIL,
        schedule=True,
    )
    rotate_jitter: float = option(
        5.0,
        "Random rotation of each tile each step, up to this many degrees (0: none).",
        ui=Control("Tile turn (degrees)", 0, 45, 1, more=True),
        group=DETAIL,
        schedule=True,
    )
    blur: float = option(
        0.0,
        "Blur the picture by a Gaussian of this many pixels every 4 steps: a regulariser against noise (0: none).",
        ui=Control("Blur", 0, 2, 0.1, more=True),
        group=DETAIL,
        schedule=True,
    )
    normalize: str = option(
        "mean",
        "Gradient normalisation: mean (the classic step: the network's own "
        "patterns, the photo's colours mostly kept) or laplacian (every scale of the "
        "gradient normalised alike: larger, more even, more colourful patterns).",
        ui=Control("Step rule", choices=NORMALIZATIONS, more=True),
        group=DETAIL,
        schedule=True,
    )
    chroma: float = option(
        0.3,
        "How freely the dream changes colours: 1 freely, 0.5 half as much as "
        "brightness, 0 brightness only (the photo's colours kept, as --preserve-colors).",
        ui=Control("Colour freedom (chroma)", 0, 1, 0.05, more=True),
        group=DETAIL,
        schedule=True,
    )
    preserve_colors: bool = option(
        False,
        "Dream on luminance only: keep the input's colours.",
        ui=Control("Keep the picture's colours", more=True),
        group=DETAIL,
    )
    mask: str | None = option(
        None,
        "Greyscale picture of where to dream and how strongly (white full, black none).",
        upload=True,
        group=GUIDES,
    )
    guide: tuple = option(
        (),
        "Dream toward the patterns of this image instead; repeat to pool several. FILE@MASK: only where MASK is white.",
        upload=True,
        group=GUIDES,
    )
    guide_size: int | None = option(
        None,
        "Longer side, in pixels, the guide is resized to (at most the tile "
        f"size). Default: shrunk to fit {GUIDE_SIZE}, never enlarged.",
        group=GUIDES,
    )
    target_class: str | None = option(
        None,
        "ImageNet class (name or number) to push the picture toward; needs a classifier backbone "
        "(efficientnet-lite2). `deepdream classes WORD` lists them. NAME@MASK: only where MASK is white.",
        flag="--class",
        group=GUIDES,
        schedule=True,
    )
    precision: str = option(
        "auto",
        "What the network computes in: auto, float32, bfloat16 or float16. auto: bfloat16 on CPUs with "
        "native bfloat16 and on recent GPUs, float16 on older GPUs, else float32.",
        group=NETWORK,
    )
    tile_batch: int = option(
        1,
        "Tiles of equal shape sent through the network together: can be faster, "
        "holds that many tiles' activations in memory.",
        group=SIZE,
    )
    seed: int = option(0, "Random seed of the jitter: same seed, same output bytes.", ui=Control("Seed"), group=SIZE)
    max_side: int | None = option(
        None,
        "Shrink the input first so its longer side is at most this many pixels.",
        ui=Control("Shrink input to this longer side (0: keep)", more=True, zero_none=True),
        group=SIZE,
    )
    preset: str | None = option(
        None,
        "A named look: classic (the default) or another of `deepdream presets`; options given beside it "
        "override it. (In Python, DreamSettings.from_dict({}, preset=NAME, ...) applies it; the field records it.)",
        group=LOOK,
        schedule=True,
    )

    def __post_init__(self) -> None:
        if self.preset is not None:  # a record of the preset the values came from; `from_dict` applies one
            self._set("preset", preset_name(self.preset))

        if isinstance(self.layers, (tuple, list)) and len(self.layers) == 1 and is_schedule(self.layers[0]):
            self._set("layers", self.layers[0])
        if is_schedule(self.layers):  # one --layer moving to others: "0:A, 48:B"
            self._scheduled(self._layer, "layers")
        else:
            self._texts("layers")
            self._set("layers", tuple(str(s) for s in self.layers))
        self._texts("guide")
        for name in ("weights", "mask"):
            if isinstance(getattr(self, name), Path):
                self._set(name, str(getattr(self, name)))
        if not isinstance(self.backbone, str):
            self._fail("backbone", f"must be a backbone's name (got {self.backbone!r}).")
        if not isinstance(self.layers, Schedule):
            self._count("layers", MAX_LAYERS)
        self._count("guide", MAX_PICTURES)
        self._scheduled(self._whole, "octaves", 1, high=MAX_OCTAVES)
        self._number("octave_scale", 1.0, above=True, high=MAX_OCTAVE_SCALE, hint=" 1.4 is a good start.")
        self._scheduled(self._whole, "steps", 1, high=MAX_STEPS)
        self._scheduled(self._number, "step_size", 0.0, above=True, high=MAX_STEP_SIZE)
        self._whole("tile_size", 32, f" {TILE_SIZE} is a good start.")
        self._scheduled(self._whole, "jitter", 0)
        self._scheduled(self._number, "scale_jitter", 0.0, high=0.5)
        self._scheduled(self._number, "rotate_jitter", 0.0, high=45.0)
        self._scheduled(self._number, "blur", 0.0, high=5.0)
        self._scheduled(self._choice, "normalize", NORMALIZATIONS)
        self._scheduled(self._choice, "score", SCORES)
        self._scheduled(self._number, "chroma", 0.0, high=1.0)
        self._scheduled(self._number, "keep_subject", 0.0, high=1.0)
        self._set("preserve_colors", bool(self.preserve_colors))
        self._choice("precision", PRECISIONS)
        self._whole("tile_batch", 1, high=MAX_PICTURES)
        self._seed()
        if self.max_side is not None:
            self._whole("max_side", 1)
        if self.target_class is not None:
            self._scheduled(lambda name: self._set(name, str(getattr(self, name)).strip()), "target_class")
        for value in (*self.layer_specs(), *self.class_values(), *self.guide):
            split_region(value)  # WHAT@MASK written right
        if self.guide and any(split_region(s)[1] for s in self.layer_specs()):
            raise SettingsError(
                "In a guided dream --layer names where the guide is matched; give the region to the "
                "guide instead: --guide FILE@MASK."
            )
        auto = [s for s in self.layer_specs() if str(s).strip().lower() == "auto"]
        if auto and not self.guide:
            raise SettingsError("--layer auto picks the layer where a guide image matches best; give one with --guide.")
        if auto and (len(self.layer_specs()) > 1 or isinstance(self.layers, Schedule)):
            raise SettingsError("--layer auto picks one layer by itself; give it alone, or name the layers.")
        if self.target_class is not None and self.guide:
            raise SettingsError("--class and --guide pull the picture two ways; give one of them.")
        if self.guide_size is not None:
            if not self.guide:
                raise SettingsError("--guide-size applies to a guide image; give one with --guide.")
            self._whole("guide_size", 1)

    preset_values = classmethod(lambda cls, name: preset_values(name))
    backbone_look = classmethod(lambda cls, backbone: dict(BACKBONE_LOOKS.get(backbone, {})))
    preset_name = classmethod(lambda cls, name: preset_name(name))

    def check_names(self, class_index) -> None:
        for value in self.class_values():
            class_index(split_region(value)[0])

    def class_values(self) -> tuple:
        """The classes these settings name (each keyframe's, for a class schedule)."""
        if isinstance(self.target_class, Schedule):
            return tuple(self.target_class.values())
        return () if self.target_class is None else (self.target_class,)

    @property
    def class_name(self) -> str | None:
        """The class to push toward, without its region (`--class NAME@MASK`)."""
        return None if self.target_class is None else split_region(self.class_values()[0])[0]

    def region_masks(self) -> dict:
        """{flag: [mask files]} of the objectives given a region (`WHAT@MASK`); empty for none."""
        found: dict = {}
        for flag, values in (
            ("--layer", self.layer_specs()),
            ("--class", self.class_values()),
            ("--guide", self.guide),
        ):
            for value in values:
                mask = split_region(value)[1]
                if mask is not None:
                    found.setdefault(flag, []).append(mask)
        return found

    def files(self) -> list:
        """Every file these settings read (paths as given): each file field's, in field order (a
        guide's picture without its `@MASK`), then the regions' masks."""
        return super().files() + [m for ms in self.region_masks().values() for m in ms]

    def _path_in(self, name: str, value):
        return split_region(value)[0] if name == "guide" else value

    @property
    def auto_layer(self) -> bool:
        return (
            not isinstance(self.layers, Schedule)
            and len(self.layers) == 1
            and str(self.layers[0]).strip().lower() == "auto"
        )


#: The fields a preset sets (and, for a look on another network, its backbone and layers).
LOOK_FIELDS = (
    "score",
    "octaves",
    "octave_scale",
    "steps",
    "step_size",
    "keep_subject",
    "normalize",
    "chroma",
    "scale_jitter",
    "rotate_jitter",
)
#: The presets, in the order `deepdream presets` lists them; `classic` is the default dream: the
#: fields' own defaults.
CLASSIC = {name: DreamSettings.default(name) for name in LOOK_FIELDS}
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "classic",
            "the DeepDream look: dog faces, eyes and snouts over the whole picture; the scene stays "
            "readable, a close-up subject (a pet, a face) turns into dogs too (the default)",
            CLASSIC,
        ),
        Preset(
            "subtle",
            "a lighter touch: fewer, smaller dogs and eyes in the photo's own colours; a portrait's face "
            "mostly kept, a close-up pet still grows dog faces",
            {**CLASSIC, "octaves": 4, "steps": 10, "step_size": 2.0, "chroma": 0.4},
        ),
        Preset(
            "portrait",
            "classic dogs around a close-up subject (a pet, a cup, a motorcycle) that stays recognisable: "
            "the network's own map of the subject is dreamt on lightly (faces of people are not an "
            "ImageNet class: a portrait keeps the clothes and what the person holds more than the face)",
            {**CLASSIC, "keep_subject": 1.0},
        ),
        Preset(
            "intense",
            "dogs, birds and eyes everywhere, larger and denser: the photo only just shows through",
            {**CLASSIC, "octaves": 7, "steps": 16, "step_size": 5.0, "chroma": 0.8},
        ),
        Preset(
            "swirls",
            "a shallow layer: swirls and scales over everything, the photo's shapes kept",
            {
                "backbone": "efficientnet-lite2",
                "layers": ("block3a_expand",),
                **CLASSIC,
                "octaves": 4,
                "steps": 10,
                "chroma": 0.6,
            },
        ),
        Preset(
            "edges",
            "vgg16: edges, cells and strong colour, an ornamental look",
            {
                "backbone": "vgg16",
                "layers": ("block3_conv3",),
                **CLASSIC,
                "score": "mean",
                "octaves": 4,
                "steps": 10,
                "step_size": 1.5,
                "normalize": "laplacian",
                "chroma": 0.8,
                "scale_jitter": 0.0,
                "rotate_jitter": 0.0,
            },
        ),
    )
}
#: The look each network dreams with where it differs from the fields' defaults (chosen, as the
#: default was, by looking at dreams of several photos side by side): the embedded VGG16, fine-tuned
#: for edges, covers a photo in neon dots and cells at the default step; at 1.5 levels a step, its
#: layer scored by the mean, the subject stays readable under an ornament of cells.
BACKBONE_LOOKS = {"vgg16": {"step_size": 1.5, "score": "mean"}}
