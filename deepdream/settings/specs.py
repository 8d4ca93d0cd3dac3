"""The objectives' texts, read: `--layer NAME:CHANNEL=WEIGHT@MASK`, and the `@MASK` region any
objective (class, guide) may carry. Pure parsing, for the settings to check what they are given;
the objectives themselves (`deepdream.objectives`) are built on these."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SettingsError, shown


def split_region(text) -> tuple:
    """(what, mask file or None) of an objective written `WHAT@MASK` (`-l block2b_expand@ground.png`,
    `--class "golden retriever@sky.png"`, `--guide brick.png@wall.png`): the mask is a greyscale
    picture, white where the objective acts. The first `@` splits (the mask's path may hold
    more); anything that is not text (a guide in memory) has no region."""
    if not isinstance(text, str) or "@" not in text:
        return text, None
    what, mask = (part.strip() for part in text.split("@", 1))
    if not mask:
        raise SettingsError(
            f"{shown(text)} ends in @: write WHAT@MASK, the mask a greyscale picture, white where "
            f"it acts (e.g. block2b_expand@ground.png)."
        )
    if not what:
        raise SettingsError(f"{shown(text)} names a mask but nothing to dream there: write WHAT@MASK.")
    return what, mask


@dataclass(frozen=True)
class LayerSpec:
    """One `--layer` value: `name`, `name:channel`, `name=weight` or `name:channel=weight`, each
    maybe with `@MASK`: the region (a greyscale picture, white where it acts) it acts in."""

    name: str
    channel: int | None = None
    weight: float = 1.0
    mask: str | None = None

    def __str__(self) -> str:
        text = self.name if self.channel is None else f"{self.name}:{self.channel}"
        text = text if self.weight == 1.0 else f"{text}={self.weight:g}"
        return text if self.mask is None else f"{text}@{self.mask}"


_SPEC = re.compile(r"^\s*([A-Za-z_][\w./-]*)\s*(?::\s*(-?\d+)\s*)?(?:=\s*([^:=\s]+)\s*)?$")


#: The largest layer weight taken (a weight of 1e300 only overflows to infinity).
MAX_WEIGHT = 1e6


def parse_layer_spec(text: str) -> LayerSpec:
    """Parse `block4_conv3`, `mixed4:97`, `block5_conv1=0.5` or `mixed4:97=2`, each maybe with
    `@MASK` (no backbone check)."""
    text, mask = split_region(str(text))
    match = _SPEC.match(text)
    if not match:
        raise SettingsError(
            f"Cannot read layer {shown(text)}: write LAYER, LAYER:CHANNEL, LAYER=WEIGHT or "
            f"LAYER:CHANNEL=WEIGHT (e.g. block4_conv3:12=0.5)."
        )
    name, chan, weight = match.groups()
    try:
        value = 1.0 if weight is None else float(weight)
    except ValueError:
        raise SettingsError(
            f"Cannot read the weight in layer {shown(text)}: {shown(weight)} is not a number."
        ) from None
    if value != value or value in (float("inf"), float("-inf")) or abs(value) > MAX_WEIGHT:
        raise SettingsError(
            f"The weight in layer {shown(text)} must be a finite number between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}."
        )
    return LayerSpec(name, None if chan is None else int(chan), value, mask)


def layer_mix(a: str, b: str, t: float) -> tuple:
    """The layers of a frame the fraction `t` of the way from keyframe layer `a` to `b` (a layer
    schedule): both, the weight moving from one to the other (`a` alone at t = 0)."""
    if t == 0.0 or a == b:
        return (a,)
    first, second = parse_layer_spec(a), parse_layer_spec(b)
    first = LayerSpec(first.name, first.channel, first.weight * (1.0 - t), first.mask)
    second = LayerSpec(second.name, second.channel, second.weight * t, second.mask)
    return (str(first), str(second))
