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

from .errors import SettingsError, suggest

#: The key of a PNG text chunk (and the prefix of other formats' description) holding the settings.
from .images import METADATA_KEY  # noqa: E402 (re-exported for settings users)


def option(default: Any, help: str, *, flag: str | None = None):
    """A settings field with its default, the help line the CLI shows and the CLI flag it has."""
    return field(default=default, metadata={"help": help, "flag": flag})


def rng(seed: int):
    """The run's one seeded generator. Any integer is a seed: negative ones map to their own streams."""
    import numpy as np

    return np.random.default_rng(seed if seed >= 0 else [1, -seed])


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
    def _whole(self, name: str, low: int, hint: str = "") -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
                self._set(name, value)
            else:
                self._fail(name, f"must be a whole number (got {value!r}).")
        if value < low:
            self._fail(name, f"must be at least {low} (got {value}).{hint}")

    def _number(self, name: str, low: float | None = None, *, above: bool = False, high: float | None = None,
                hint: str = "") -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self._fail(name, f"must be a finite number (got {value!r}).")
        self._set(name, float(value))
        if low is not None and (value <= low if above else value < low):
            self._fail(name, f"must be {'greater than' if above else 'at least'} {low:g} (got {value:g}).{hint}")
        if high is not None and value > high:
            self._fail(name, f"must be at most {high:g} (got {value:g}).{hint}")

    def _choice(self, name: str, choices) -> None:
        value = getattr(self, name)
        if value not in choices:
            self._fail(name, f"must be one of {', '.join(choices)} (got {value!r}).{suggest(str(value), choices)}")

    def _texts(self, name: str) -> None:
        """A list of strings (or paths) as a tuple of str; a single string as a 1-tuple."""
        value = getattr(self, name)
        if value is None:
            value = ()
        elif isinstance(value, (str, Path)):
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
        from . import __version__

        return json.dumps({"mode": self.mode, "version": __version__, "settings": self.to_dict(), **extra},
                          sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, **overrides):
        """Settings from a dict (as `to_dict` made, maybe from another version), with overrides.

        Unknown names are a SettingsError naming the closest known one."""
        known = {f.name for f in fields(cls)}
        values = {**data, **overrides}
        for name in values:
            if name not in known:
                raise SettingsError(f"Unknown {cls.mode} setting {name!r}.{suggest(name, known)}")
        return cls(**values)

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
        text = path.read_text(encoding="utf-8", errors="replace")
    else:
        from .images import read_metadata

        text = read_metadata(path)
        if text is None:
            raise InputError(f"'{path}' holds no deepdream settings; give a picture written by deepdream or a JSON file.")
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"Settings file '{path}' is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings", {}), dict):
        raise InputError(f"Settings file '{path}' does not hold deepdream settings.")
    settings = data.get("settings", data)
    settings = {k: v for k, v in settings.items() if k not in ("mode", "version")}
    return str(data.get("mode", "")), settings


# ---------------------------------------------------------------------------- dream

NORMALIZATIONS = ("laplacian", "mean")


@dataclass(frozen=True)
class DreamSettings(Settings):
    """A dream: gradient ascent on what `backbone` sees at `layers`, octave by octave, in tiles."""

    mode: ClassVar[str] = "dream"

    backbone: str = option("vgg16", "Network to dream with (see `deepdream backbones`).", flag="--backbone")
    weights: str | None = option(None, "Weights file for the backbone (default: embedded, weights folder or Keras cache).")
    layers: tuple = option((), "Layer to maximise: NAME, NAME:CHANNEL, NAME=WEIGHT; repeat for several. "
                               "Default: the backbone's own (see `deepdream layers`).", flag="--layer")
    octaves: int = option(4, "Number of scales, dreamt from the smallest up.")
    octave_scale: float = option(1.4, "Size ratio between octaves (> 1).")
    steps: int = option(10, "Gradient-ascent steps per octave.")
    step_size: float = option(1.5, "Mean change per step, in RGB levels (0-255): higher dreams harder.")
    tile_size: int = option(512, "Tile side in pixels: memory is bounded by the tile, not the image.")
    jitter: int = option(32, "Random shift of the picture under the network each step, in pixels (0: none).")
    scale_jitter: float = option(0.0, "Random zoom of each tile each step, as a fraction (0.05: up to 5 %).")
    rotate_jitter: float = option(0.0, "Random rotation of each tile each step, up to this many degrees.")
    normalize: str = option("laplacian", "Gradient normalisation: laplacian (each scale of the gradient "
                                         "alike: finer, more even detail) or mean (the classic step).")
    preserve_colors: bool = option(False, "Dream on luminance only: keep the input's colours.")
    mask: str | None = option(None, "Greyscale picture of where to dream and how strongly (white full, black none).")
    guide: tuple = option((), "Dream toward the patterns of this image instead; repeat to pool several.")
    guide_size: int | None = option(None, "Longer side, in pixels, the guide is resized to (at most the tile "
                                          "size). Default: shrunk to fit 512, never enlarged.")
    precision: str = option("auto", "What the network computes in: auto, float32, bfloat16 or float16. auto: "
                                    "bfloat16 on CPUs with native bfloat16 and on recent GPUs, float16 on "
                                    "older GPUs, else float32.")
    tile_batch: int = option(1, "Tiles of equal shape sent through the network together: can be faster, "
                                "holds that many tiles' activations in memory.")
    seed: int = option(0, "Random seed of the jitter: same seed, same output bytes.")
    max_side: int | None = option(None, "Shrink the input first so its longer side is at most this many pixels.")

    def __post_init__(self) -> None:
        from .backbones.base import PRECISIONS

        self._texts("layers")
        self._set("layers", tuple(str(s) for s in self.layers))
        self._texts("guide")
        for name in ("weights", "mask"):
            if isinstance(getattr(self, name), Path):
                self._set(name, str(getattr(self, name)))
        if not isinstance(self.backbone, str):
            self._fail("backbone", f"must be a backbone's name (got {self.backbone!r}).")
        self._whole("octaves", 1)
        self._number("octave_scale", 1.0, above=True, hint=" 1.4 is a good start.")
        self._whole("steps", 1)
        self._number("step_size", 0.0, above=True)
        self._whole("tile_size", 32, " 512 is a good start.")
        self._whole("jitter", 0)
        self._number("scale_jitter", 0.0, high=0.5)
        self._number("rotate_jitter", 0.0, high=45.0)
        self._choice("normalize", NORMALIZATIONS)
        self._set("preserve_colors", bool(self.preserve_colors))
        self._choice("precision", PRECISIONS)
        self._whole("tile_batch", 1)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            self._fail("seed", f"must be a whole number (got {self.seed!r}).")
        if self.max_side is not None:
            self._whole("max_side", 1)
        auto = [s for s in self.layers if str(s).strip().lower() == "auto"]
        if auto and not self.guide:
            raise SettingsError("--layer auto picks the layer where a guide image matches best; give one with --guide.")
        if auto and len(self.layers) > 1:
            raise SettingsError("--layer auto picks one layer by itself; give it alone, or name the layers.")
        if self.guide_size is not None:
            if not self.guide:
                raise SettingsError("--guide-size applies to a guide image; give one with --guide.")
            self._whole("guide_size", 1)

    @property
    def auto_layer(self) -> bool:
        return len(self.layers) == 1 and str(self.layers[0]).strip().lower() == "auto"
