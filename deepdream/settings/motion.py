"""The settings of movies: zooms and video dreams (each frame's dream is a DreamSettings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import SettingsError
from .base import MAX_FRAMES, MAX_OCTAVES, MAX_STEPS, Control, Settings, option
from .dream import DreamSettings
from .schedule import Schedule
from .values import parse_translate

FLOW_METHODS = ("dis", "farneback")


@dataclass(frozen=True)
class _MotionSettings(Settings):
    """What zoom and video share: the dream every frame gets (every dream option applies), and how
    frames are carried from one to the next. `dream` is a DreamSettings (or a dict of its fields)."""

    dream: DreamSettings = option(DreamSettings(), "The dream every frame gets (every dream option).")
    frame_steps: int = option(
        3,
        "Gradient-ascent steps per octave for every frame after the first (the first gets --steps).",
        ui=Control("Steps per later frame", 1, 40, 1, more=True),
        schedule=True,
    )
    frame_octaves: int = option(
        1,
        "Octaves for every frame after the first (the first gets --octaves).",
        ui=Control("Octaves per later frame", 1, 4, 1, more=True),
        schedule=True,
    )

    def __post_init__(self) -> None:
        if self.dream is None:
            self._set("dream", DreamSettings())
        elif isinstance(self.dream, dict):
            self._set("dream", DreamSettings.from_dict(self.dream))
        elif not isinstance(self.dream, DreamSettings):
            raise SettingsError(f"The dream settings of a {self.mode} must be DreamSettings (got {self.dream!r}).")
        self._scheduled(self._whole, "frame_steps", 1, high=MAX_STEPS)
        self._scheduled(self._whole, "frame_octaves", 1, high=MAX_OCTAVES)

    def at(self, index: int, fps: float | None = None):
        """The settings of frame `index` (1-based, as the frames' files are numbered; keyframes
        count from 0, so frame 1 is keyframe 0) with every schedule's value there, the dream's
        too. fps: the clip's frame rate (a zoom's own by default), for schedules in seconds."""
        import copy

        fps = getattr(self, "fps", None) if fps is None else fps
        out = copy.copy(self)
        for name in self.schedulable():
            value = getattr(self, name)
            if isinstance(value, Schedule):
                out._set(name, value.at(index - 1, fps))
        out._set("dream", self.dream.at(index - 1, fps))
        return out

    def timeline(self) -> dict:
        """{flag: Schedule} of every setting given a schedule, the dream's included."""
        out = {}
        for owner in (self, self.dream):
            for name in owner.schedulable():
                if isinstance(getattr(owner, name), Schedule):
                    out[type(owner).flag(name)] = getattr(owner, name)
        return out

    def check_clip(self, frames: int | None, fps: float | None) -> None:
        """A SettingsError naming the first keyframe past a clip of `frames` frames (0 to frames - 1)
        at `fps`; nothing where the count is not known."""
        if frames is None:
            return
        for flag, schedule in self.timeline().items():
            schedule.check_clip(flag, frames, fps)

    def frame_key(self, index: int, fps: float | None = None) -> dict:
        """What frame `index`'s pixels depend on, besides the frames before it: its own settings
        (the preset's name left out: a record of where its values came from)."""
        key = self.at(index, fps).frames_key()
        key["dream"] = {k: v for k, v in key["dream"].items() if k != "preset"}
        return key

    def first_change(self, saved: dict, indices, fps: float | None = None) -> int | None:
        """The first of the frames `indices` (in order) that frames made with the settings `saved`
        (a `frames_key`) do not share, once only schedules changed: every later frame follows it.
        None where anything else changed (other frames entirely); past the last index where none
        changes."""
        try:
            other = type(self).from_dict(saved)
        except (SettingsError, TypeError, ValueError):
            return None
        timeline = set(self.schedulable()) | {"dream"}
        if {k: v for k, v in other.frames_key().items() if k not in timeline} != {
            k: v for k, v in self.frames_key().items() if k not in timeline
        }:
            return None
        plain = set(DreamSettings.schedulable())
        if {k: v for k, v in other.dream.to_dict().items() if k not in plain} != {
            k: v for k, v in self.dream.to_dict().items() if k not in plain
        }:
            return None
        last = 0
        for index in indices:
            if other.frame_key(index, fps) != self.frame_key(index, fps):
                return None if index == 1 else index  # nothing kept: other settings
            last = index
        return last + 1

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


def _held(value):
    """A schedule that holds one value as that value; anything else as it is."""
    return value.keys[0][1] if isinstance(value, Schedule) and value.constant else value


@dataclass(frozen=True)
class ZoomSettings(_MotionSettings):
    """An infinite zoom: each frame dreamt, then moved (zoomed into its centre, turned, shifted) to
    start the next. Speeds are per second, so --fps changes smoothness, never the motion's speed."""

    mode: ClassVar[str] = "zoom"
    resumable: ClassVar[tuple] = ("frames",)

    frames: int = option(48, "Number of frames.", ui=Control("Frames", 1, 120, 1))
    fps: float = option(
        12.0,
        "Frames per second of the movie (the zoom's speed per second stays the same).",
        ui=Control("Frames per second", 1, 30, 1),
    )
    zoom: float = option(
        1.3,
        "Zoom factor per second (1.3: 30 % closer each second; below 1 zooms out).",
        ui=Control("Zoom per second (1.3: 30 % closer)", 0.5, 3, 0.05),
        schedule=True,
    )
    rotate: float = option(
        0.0,
        "Rotation in degrees per second (positive: counter-clockwise).",
        ui=Control("Turn per second (degrees)", -90, 90, 1, more=True),
        schedule=True,
    )
    translate: tuple = option(
        (0.0, 0.0), "Shift DX,DY in pixels per second (the view moves right and down).", text=True, schedule=True
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self._whole("frames", 1, high=MAX_FRAMES)
        self._number("fps", 0.0, above=True, high=240.0)
        self._scheduled(self._number, "zoom", 0.0, above=True, hint=" 1.3 zooms in 30 % a second.")
        self._scheduled(self._number, "rotate", -3600.0, high=3600.0)
        self._scheduled(lambda name: self._set(name, parse_translate(getattr(self, name))), "translate")
        if _held(self.zoom) == 1.0 and _held(self.rotate) == 0.0 and _held(self.translate) == (0.0, 0.0):
            self._fail("zoom", "of 1 with no --rotate or --translate makes no motion; give e.g. --zoom 1.3.")
        self.check_clip(self.frames, self.fps)


@dataclass(frozen=True)
class VideoSettings(_MotionSettings):
    """A video dream: every frame starts from the raw frame plus the previous frame's dreamt detail
    carried along the optical flow (times --blend), where the flow is consistent both ways."""

    mode: ClassVar[str] = "video"
    resumable: ClassVar[tuple] = ("end",)

    blend: float = option(
        0.95,
        "Share of the previous frame's dreamt detail carried into the next "
        "(0: none; below 1 it decays, so nothing drifts).",
        aliases=("--decay",),
        schedule=True,
    )
    flow: str = option("dis", "Optical flow: dis (fast, sharp edges) or farneback.")
    independent: bool = option(False, "Dream every frame on its own (no carried detail; flickers).")
    frame_steps: int = option(
        4, "Gradient-ascent steps per octave for every frame that starts from carried detail (the first gets --steps)."
    )
    frame_octaves: int = option(
        2, "Octaves for every frame that starts from carried detail (the first gets --octaves)."
    )
    spread_octaves: bool = option(
        False,
        "Frames that start from carried detail dream one of the --frame-octaves octaves each, in turn, "
        "the smallest first, with more steps the smaller it is (about the work of --frame-steps at "
        "full size): the large patterns of many octaves grow over a few frames at one frame's cost.",
    )
    start: float | None = option(None, "Start at this time, in seconds.")
    end: float | None = option(None, "End at this time, in seconds.")

    def __post_init__(self) -> None:
        super().__post_init__()
        self._scheduled(self._number, "blend", 0.0, high=1.0, hint=" 0.95 is a good start.")
        self._choice("flow", FLOW_METHODS)
        self._set("independent", bool(self.independent))
        self._set("spread_octaves", bool(self.spread_octaves))
        for name in ("start", "end"):
            if getattr(self, name) is not None:
                self._number(name, 0.0)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise SettingsError(f"--start ({self.start:g} s) must come before --end ({self.end:g} s).")
