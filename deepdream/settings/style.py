"""The settings of Gatys style transfer and texture synthesis."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import SettingsError
from .base import (
    DETAIL,
    GUIDES,
    LOOK,
    MAX_LAYERS,
    MAX_LOSS_WEIGHT,
    MAX_PICTURES,
    MAX_STEP_SIZE,
    MAX_STEPS,
    NETWORK,
    SIZE,
    TILE_SIZE,
    Control,
    Settings,
    not_regular,
    option,
)
from .values import _layer_texts, parse_blend, parse_size

OPTIMIZERS = ("lbfgs", "adam")
#: --init values that name no file.
INITS = ("palette", "content", "noise")
STYLE_BACKBONE_HELP = (
    "Network whose features define content and style: vgg16 (embedded, works offline), "
    "inceptionv3 or googlenet (these need their weights file: see `deepdream weights`)."
)
_LAYER_WEIGHT_HELP = "NAME or NAME=WEIGHT; repeat for several. Default: the backbone's own."


@dataclass(frozen=True)
class _GatysSettings(Settings):
    """What style transfer and texture synthesis share: a picture found by minimising Gram-matrix
    (and content) losses on a backbone's features."""

    backbone: str = option("vgg16", STYLE_BACKBONE_HELP, flag="--backbone", short="-b", group=NETWORK)
    weights: str | None = option(
        None,
        "Weights file for the backbone (default: embedded, weights folder or Keras cache).",
        file=True,
        group=NETWORK,
    )
    style_layers: tuple = option((), f"Style layer: {_LAYER_WEIGHT_HELP}", flag="--style-layer", group=LOOK)
    style_weight: float = option(
        30.0,
        "Weight of the style term: higher paints more style, less content.",
        ui=Control("Style weight"),
        group=LOOK,
    )
    tv_weight: float = option(10.0, "Weight of the total-variation term: higher is smoother.", group=LOOK)
    optimizer: str = option(
        "lbfgs",
        "lbfgs (converges fast; its memory is bounded: 3 to 10 picture-sized "
        "pairs) or adam (steady, least memory; see --learning-rate).",
        group=DETAIL,
    )
    iterations: int = option(
        100, "Optimiser iterations, at each scale.", ui=Control("Iterations", 1, 500, 1), group=LOOK
    )
    learning_rate: float = option(4.0, "Adam's step size, in RGB levels.", group=LOOK)
    init: Any = option(
        "palette",
        "Start from: palette (the content recoloured to the styles' colours), "
        "content (as it is), noise, or an image FILE.",
        file=True,
        words=INITS,
        group=LOOK,
    )
    scales: int = option(1, "Coarse-to-fine levels, each half the size of the next.", group=LOOK)
    tile_size: int = option(
        TILE_SIZE, "Pictures larger than this are computed in tiles: memory is bounded by the tile.", group=SIZE
    )
    seed: int = option(
        0, "Random seed (noise): same seed and options, same output bytes.", ui=Control("Seed"), group=SIZE
    )

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
        self._whole("tile_size", 64, f" {TILE_SIZE} is a good start.")
        self._seed()
        self._check_init()

    def _check_init(self) -> None:
        init = self.init
        if isinstance(init, Path):
            init = str(init)
            self._set("init", init)
        if isinstance(init, str) and init not in INITS and not Path(init).is_file():
            why = f"is not a regular file: it is {not_regular(init)}" if not_regular(init) else "does not exist"
            self._fail("init", f"must be palette, content, noise or an image file ('{init}' {why}).")


@dataclass(frozen=True)
class StyleSettings(_GatysSettings):
    """Style transfer (Gatys, Ecker and Bethge): the content image repainted with the styles' Grams."""

    mode: ClassVar[str] = "style"

    styles: tuple = option(
        (),
        "Style image; repeat for several (see --style-blend, --mask).",
        flag="--style",
        short="-s",
        upload=True,
        group=LOOK,
    )
    style_blend: tuple | None = option(None, "Weights of the styles, e.g. 0.7,0.3 (default: equal).", group=LOOK)
    masks: tuple = option(
        (),
        "Region of each style (white = this style): one per --style, in order.",
        flag="--mask",
        file=True,
        group=GUIDES,
    )
    content_layers: tuple = option((), f"Content layer: {_LAYER_WEIGHT_HELP}", flag="--content-layer", group=LOOK)
    content_weight: float = option(
        1.0, "Weight of the content term: higher keeps more of the content's shapes.", group=LOOK
    )
    preserve_colors: bool = option(
        False,
        "Transfer the style on luminance only; keep the content's colours.",
        ui=Control("Keep the picture's colours", more=True),
        group=DETAIL,
    )
    style_scale: float = option(1.0, "Style image's size relative to the output (longer sides).", group=LOOK)
    max_side: int | None = option(
        None,
        "Shrink the content first so its longer side is at most this many pixels.",
        ui=Control("Shrink input to this longer side (0: keep)", more=True, zero_none=True),
        group=SIZE,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self._texts("styles")
        self._texts("masks")
        self._texts("content_layers")
        self._set("content_layers", _layer_texts(self.content_layers))
        if self.style_blend is not None and len(self.styles) == 1:
            parse_blend(self.style_blend)  # a weight that is no number says so first
            raise SettingsError(
                "--style-blend weighs several styles, and there is one --style; give more --style "
                "pictures, or leave --style-blend out."
            )
        for name in ("styles", "masks"):
            self._count(name, MAX_PICTURES)
        self._count("content_layers", MAX_LAYERS)
        if self.style_blend is not None:
            self._set("style_blend", tuple(parse_blend(self.style_blend, len(self.styles) or None)))
        if self.masks and self.styles and len(self.masks) != len(self.styles):
            n, k = len(self.masks), len(self.styles)
            raise SettingsError(
                f"There {'is' if n == 1 else 'are'} {n} --mask for {k} --style; give one --mask "
                f"per --style, in the same order, or none."
            )
        self._number("content_weight", 0.0, high=MAX_LOSS_WEIGHT)
        self._set("preserve_colors", bool(self.preserve_colors))
        self._number("style_scale", 0.05, high=8.0, hint=" 1 is a good start.")
        if self.max_side is not None:
            self._whole("max_side", 1)


@dataclass(frozen=True)
class TextureSettings(_GatysSettings):
    """Texture synthesis (Gatys, Ecker and Bethge): a new picture with a sample's Grams, from noise."""

    mode: ClassVar[str] = "texture"

    size: str | None = option(None, "Output size WIDTHxHEIGHT, e.g. 1024x1024 (default: the sample's).", group=LOOK)
    init: Any = option("noise", "Start from: noise, or an image FILE.", file=True, words=INITS, group=LOOK)
    sample_scale: float = option(1.0, "Resize the sample first by this factor (1 keeps its scale).", group=LOOK)

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
            why = (
                f"is not a regular file: it is {not_regular(self.init)}" if not_regular(self.init) else "does not exist"
            )
            self._fail("init", f"must be noise or an image file ('{self.init}' {why}).")
        super()._check_init()
