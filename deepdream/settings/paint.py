"""The settings of paintings from noise: class paintings and feature visualisations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..errors import SettingsError
from .base import DETAIL, LOOK, MAX_STEPS, NETWORK, PRECISIONS, SIZE, Control, Settings, option
from .specs import parse_layer_spec
from .values import parse_size

#: What a painting's picture is made of (`render.param`): every Fourier coefficient, or (MACO,
#: `render.maco`) only their phases, at photos' average magnitudes.
PARAMS = ("fourier", "maco")
#: Where the transparency map goes: nowhere, NAME_alpha.png beside the picture, or its alpha channel.
ALPHAS = ("none", "file", "channel")


@dataclass(frozen=True)
class PaintSettings(Settings):
    """A painting from noise (lucid's way, `render.param`): the picture is Fourier coefficients in a
    decorrelated colour space, and each step the network sees several randomly moved, scaled,
    turned and blurred views of it."""

    mode: ClassVar[str] = "paint"

    backbone: str = option("efficientnet-lite2", "Network to paint with.", flag="--backbone", short="-b", group=NETWORK)
    weights: str | None = option(
        None,
        "Weights file for the backbone (default: embedded, weights folder or Keras cache).",
        file=True,
        group=NETWORK,
    )
    size: str = option("256x256", "Size of the painting, WIDTHxHEIGHT.", ui=Control("Size WxH"), group=LOOK)
    steps: int = option(200, "Optimiser (Adam) steps.", ui=Control("Painting steps", 1, 400, 1), group=LOOK)
    param: str = option(
        "fourier",
        "What is optimised: fourier (every Fourier coefficient, scaled by --decay) or maco (only their "
        "phases, at photos' average magnitudes: more photographic objects, in plainer surroundings).",
        ui=Control("Painted as", choices=PARAMS, more=True),
        group=LOOK,
    )
    learning_rate: float = option(
        0.01,
        "Adam's step size on the Fourier coefficients (x10 on MACO's phases): higher paints faster and "
        "bolder, and saturates sooner.",
        group=LOOK,
    )
    decay: float = option(
        1.5,
        "Coarse over fine: coefficients are scaled by 1/frequency^DECAY (1: the spectrum of "
        "photos; higher: smoother, larger shapes).",
        group=LOOK,
    )
    views: int = option(
        4, "Randomly moved, scaled and turned copies of the picture the network sees each step.", group=DETAIL
    )
    blurred_views: int = option(
        2, "Of those, how many are blurred (so the subject reads in coarse shapes too).", group=DETAIL
    )
    rotate_jitter: float = option(10.0, "Random rotation of each view, up to this many degrees.", group=DETAIL)
    precision: str = option("auto", "What the network computes in: auto, float32, bfloat16 or float16.", group=NETWORK)
    alpha: str = option(
        "none",
        "The transparency map (how much each pixel moved the network, summed over the steps): none, "
        "file (NAME_alpha.png beside the picture) or channel (the PNG's alpha channel; the Python API "
        "returns an RGBA picture for either).",
        ui=Control("Transparency map", choices=ALPHAS, more=True),
        group=LOOK,
    )
    seed: int = option(0, "Random seed: same seed and options, same output bytes.", ui=Control("Seed"), group=SIZE)

    def __post_init__(self) -> None:
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
        self._choice("param", PARAMS)
        self._choice("alpha", ALPHAS)
        self._seed()

    def alpha_file(self, output: Path) -> Path | None:
        """Where --alpha file writes the transparency map of the picture at `output`: NAME_alpha.png
        beside it (None for --alpha none or channel)."""
        return output.with_name(f"{output.stem}_alpha.png") if self.alpha == "file" else None


@dataclass(frozen=True)
class ClassSettings(PaintSettings):
    """A class painting: an ImageNet class painted from noise."""

    mode: ClassVar[str] = "class"

    backbone: str = option(
        "efficientnet-lite2",
        "Network with an ImageNet classifier to paint with.",
        flag="--backbone",
        short="-b",
        group=NETWORK,
    )
    target_class: str | None = option(
        None,
        "ImageNet class (name or number) to paint; `deepdream classes WORD` lists them.",
        flag="--class",
        group=LOOK,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target_class is None:
            raise SettingsError("Name the class to paint: a name or number (see `deepdream classes WORD`).")
        self._set("target_class", str(self.target_class).strip())

    def check_names(self, class_index) -> None:
        class_index(self.target_class)


@dataclass(frozen=True)
class VisualizeSettings(PaintSettings):
    """A feature visualisation: what one channel (or a whole layer) of a network responds to most,
    painted from noise."""

    mode: ClassVar[str] = "visualize"

    target: str | None = option(
        None, "LAYER or LAYER:CHANNEL to paint (see `deepdream layers`).", flag="--layer", group=LOOK
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.target:
            raise SettingsError("Name the layer to paint: LAYER or LAYER:CHANNEL (see `deepdream layers`).")
        spec = parse_layer_spec(self.target)
        if spec.weight != 1.0 or spec.mask is not None:
            raise SettingsError(f"Paint one layer or channel, without a weight or a mask (got {self.target!r}).")
        self._set("target", str(spec))
