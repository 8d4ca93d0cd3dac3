"""Schedules: a setting that changes over a clip, written as Deforum writes them, without the
brackets: ``"0:0.5, 48:6"`` (frames count from 0, the first frame of the clip) or ``"0s:0.5, 4s:6"``
(seconds from the first frame, so the schedule survives a change of --fps).

Between two keyframes a number moves linearly (a whole-number setting is rounded); before the first
keyframe the first value holds, after the last the last. A value that is not a number (a preset's
step rule, say) switches half way between its keyframes. A layer schedule (`--layer "0:A, 48:B"`)
moves the objective's weight from one layer to the other: see `DreamSettings.at`.

Nothing here imports anything of deepdream's but `errors`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import SettingsError, shown

#: A keyframe's key and its colon: `48:` or `2.5s:` (seconds may have a fraction).
_KEY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(s?)\s*:")
#: The commas that end a keyframe (a value may hold commas itself: --translate "0:10,0, 24:0,10").
_SPLIT = re.compile(r",(?=\s*(?:\d+(?:\.\d*)?|\.\d+)\s*s?\s*:)")
#: Keyframes a schedule may have (a typo of a million keyframes is refused, not interpolated).
MAX_KEYFRAMES = 10_000
HOW = 'write FRAME:VALUE, FRAME:VALUE (frames from 0), e.g. "0:0.5, 48:6", or SECONDSs:VALUE, e.g. "0s:0.5, 4s:6"'


def is_schedule(value) -> bool:
    """Whether `value` is a schedule or a schedule's text (it starts with a keyframe's `KEY:`)."""
    return isinstance(value, Schedule) or (isinstance(value, str) and _KEY.match(value) is not None)


@dataclass(frozen=True)
class Schedule:
    """Keyframes of one setting: `keys` ((position, value), ...) in order, positions in frames
    (whole numbers from 0) or, with `seconds`, in seconds from the first frame."""

    keys: tuple
    seconds: bool = False

    @classmethod
    def parse(cls, text: str, flag: str) -> Schedule:
        """The schedule `text` holds (values as written, as text); a SettingsError naming the keyframe
        that is written wrong or out of order."""
        items = _SPLIT.split(str(text))
        if len(items) > MAX_KEYFRAMES:
            raise SettingsError(f"{flag} has {len(items):,} keyframes; the limit is {MAX_KEYFRAMES:,}.")
        keys, units = [], set()
        for item in items:
            match = _KEY.match(item)
            value = item[match.end() :].strip() if match else ""
            if match is None or not value:
                raise SettingsError(f"Cannot read {flag} keyframe {shown(item.strip(), 40)}: {HOW}.")
            number, unit = match.groups()
            if not unit and not float(number).is_integer():
                raise SettingsError(
                    f"{flag} keyframe {shown(item.strip(), 40)} names frame {number}: frames are whole "
                    f"numbers (write {number}s:{value} for seconds)."
                )
            position = float(number) if unit else int(float(number))
            if keys and position <= keys[-1][0]:
                raise SettingsError(
                    f"{flag} keyframe {number}{unit}:{value} comes after keyframe "
                    f"{_key_text(keys[-1][0], bool(unit))}; give the keyframes in order, each once."
                )
            keys.append((position, value))
            if position != 0:  # 0 is the first frame in either unit
                units.add(bool(unit))
        if len(units) > 1:
            raise SettingsError(
                f"{flag} mixes frames and seconds; write every keyframe in frames or every one in seconds."
            )
        seconds = units.pop() if units else bool(_KEY.match(items[0]).group(2))
        return cls(tuple((float(p) if seconds else p, v) for p, v in keys), seconds)

    @property
    def constant(self) -> bool:
        """One value held throughout (then the schedule is that value, as far as any frame knows)."""
        return all(v == self.keys[0][1] for _, v in self.keys)

    def values(self) -> list:
        return [v for _, v in self.keys]

    def key_text(self, position) -> str:
        return _key_text(position, self.seconds)

    def frame_of(self, position, fps: float | None) -> float:
        """Where keyframe `position` falls, in frames from 0."""
        if not self.seconds:
            return position
        if fps is None:
            raise SettingsError("A schedule in seconds needs the frame rate.")
        return position * fps

    def around(self, frame: float, fps: float | None = None) -> tuple:
        """(value before, value after, fraction of the way from one to the other) at `frame`: the
        same value twice, fraction 0, before the first keyframe and after the last."""
        first, last = self.keys[0], self.keys[-1]
        if frame <= self.frame_of(first[0], fps):
            return first[1], first[1], 0.0
        for (p0, v0), (p1, v1) in zip(self.keys, self.keys[1:], strict=False):
            f0, f1 = self.frame_of(p0, fps), self.frame_of(p1, fps)
            if frame < f1:
                return v0, v1, (frame - f0) / (f1 - f0)
        return last[1], last[1], 0.0

    def at(self, frame: float, fps: float | None = None):
        """The value at `frame` (from 0): numbers (and pairs of numbers) linearly between keyframes,
        whole numbers rounded half up; other values switch half way."""
        a, b, t = self.around(frame, fps)
        return blend(a, b, t)

    def text(self) -> str:
        """The schedule as it is written: `0:0.5, 48:6`."""
        return ", ".join(f"{self.key_text(p)}:{_value_text(v)}" for p, v in self.keys)

    def check_clip(self, flag: str, frames: int, fps: float | None) -> None:
        """A SettingsError naming the first keyframe past a clip of `frames` frames (0 to frames - 1)."""
        for position, value in self.keys:
            at = self.frame_of(position, fps)
            if at > frames - 1 + 1e-9:
                where = f" (frame {at:g} at {fps:g} fps)" if self.seconds else ""
                raise SettingsError(
                    f"{flag} keyframe {self.key_text(position)}:{_value_text(value)}{where} is past the clip, "
                    f"whose {frames} frames are 0 to {frames - 1}; move it, or make more frames."
                )

    def __str__(self) -> str:
        return self.text()


def blend(a, b, t: float):
    """`a` moved the fraction `t` of the way to `b` (see `Schedule.at`)."""
    if t == 0.0 or a == b:
        return a
    if isinstance(a, tuple):
        return tuple(blend(x, y, t) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        return a if t < 0.5 else b
    value = a + (b - a) * t
    if isinstance(a, int) and isinstance(b, int):
        return int(math.floor(value + 0.5))
    return float(value)


def _key_text(position, seconds: bool) -> str:
    return f"{position:g}s" if seconds else str(position)


def _value_text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    if isinstance(value, tuple):
        return ",".join(_value_text(v) for v in value)
    return str(value)


def named_schedule(text, flag: str, check_name, looks: dict, cls) -> Schedule:
    """A schedule of named looks (presets: `looks` name -> a preset with `.values`), each name
    checked by `check_name`; all of one network and its layers, which cannot change over a clip."""
    schedule = text if isinstance(text, Schedule) else Schedule.parse(text, flag)
    keys = []
    for position, name in schedule.keys:
        try:
            keys.append((position, check_name(name)))
        except SettingsError as e:
            raise SettingsError(f"{flag} keyframe {schedule.key_text(position)}:{name}: {e}") from None
    out = Schedule(tuple(keys), schedule.seconds)
    for key in ("backbone", "layers"):
        if len({looks[n].values.get(key) for n in out.values()}) > 1:
            raise SettingsError(_fixed(flag, out, cls.flag(key)))
    return out


def preset_keyframes(schedule: Schedule, looks: dict, cls) -> dict:
    """The settings a schedule of named looks sets: those all its looks agree on as they are, the
    others as schedules with its keyframes (numbers move from one look's to the next, choices such
    as the step rule switch half way)."""
    values_of = [looks[n].values for n in schedule.values()]
    out = {}
    for key in dict.fromkeys(k for values in values_of for k in values):
        values = [v.get(key) for v in values_of]
        if all(v == values[0] for v in values):
            out[key] = values[0]
        elif key not in cls.schedulable():
            raise SettingsError(_fixed("--preset", schedule, cls.flag(key)))
        else:
            out[key] = Schedule(
                tuple((p, v) for (p, _), v in zip(schedule.keys, values, strict=True)), schedule.seconds
            )
    return out


def _fixed(flag: str, schedule: Schedule, other: str) -> str:
    return (
        f"{flag} {schedule.text()} moves between looks with other {other} values, which cannot change over a "
        f"clip; schedule presets of one network (classic, subtle, intense)."
    )
