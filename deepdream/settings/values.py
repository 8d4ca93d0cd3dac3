"""Settings values written as text: a size ("1024x768"), style blend weights ("0.7,0.3"), a
translation ("20,-10"), layer specs; each read into numbers or refused with a SettingsError."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import SettingsError
from .schedule import Schedule

#: Pillow's hard decompression-bomb limit (2 x its default ``Image.MAX_IMAGE_PIXELS``).
#: ``images.load_image`` is stricter: it refuses anything over ``Image.MAX_IMAGE_PIXELS``, the
#: point where Pillow starts to warn, so the effective default limit is half of this.
MAX_PIXELS = 178_956_970


def parse_size(text) -> tuple[int, int]:
    """'1024x768' (width x height) or (width, height) -> (height, width); a SettingsError otherwise."""
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
            f"{'is' if count == 1 else 'are'} {count} style{'s' * (count != 1)}; give one weight per --style."
        )
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


def _number_text(value):
    """A number typed as text ("4", "0.5") as that number; anything else as it is."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return value
            return number if math.isfinite(number) else value
    return value


def _jsonable(value):
    if isinstance(value, Schedule):  # one value held is that value: the same record as without a schedule
        return _jsonable(value.keys[0][1]) if value.constant else value.text()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return None  # an in-memory image (array, PIL image): not reproducible from metadata
