"""The ground floor of the settings: bounds, the `option` field, the `Settings` base (checks shared by
the modes, JSON round trips) and the parsers of option texts (sizes, blends, shifts).

Nothing here imports anything of deepdream's but `errors`: every other module may build on it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InputError, SettingsError, shown, suggest
from .schedule import Schedule, is_schedule
from .values import _jsonable, _number_text

#: Every mode a settings file (or a picture's metadata) may name.
MODES = ("dream", "class", "visualize", "style", "texture", "zoom", "video")
#: What a network may compute in (see `backbones.base.resolve_precision`).
PRECISIONS = ("auto", "float32", "bfloat16", "float16")

#: Upper bounds on counts (a typo of 10**400 steps or 3000 layers is refused, not run for ever).
MAX_STEPS = 10_000  # steps per octave, optimiser iterations, steps of later frames
MAX_OCTAVES = 32
#: The largest octave scale: each octave a quarter of the next's side at most (1e10 over 32 octaves overflows).
MAX_OCTAVE_SCALE = 4.0
MAX_LAYERS = 64  # layer specs given (dream, style, content layers)
MAX_PICTURES = 32  # guides, styles, masks
MAX_FRAMES = 1_000_000
MAX_STEP_SIZE = 255.0  # a step of more than the whole RGB range only saturates
MAX_LOSS_WEIGHT = 1e9  # style, content and smoothness weights (1e300 overflows to infinity)
#: The default tile side of every mode that tiles (dream, style, texture): memory is bounded by it.
TILE_SIZE = 512


#: The groups of options in `--help`, in the order shown: the look first.
LOOK, MOTION, GUIDES, DETAIL = "The look", "Motion", "Guides and regions", "Detail"
NETWORK, SIZE = "Network", "Size, speed and seed"
GROUPS = (LOOK, MOTION, GUIDES, DETAIL, NETWORK, SIZE)


def option(
    default: Any,
    help: str,
    *,
    flag: str | None = None,
    short: str | None = None,
    metavar: str | None = None,
    aliases: tuple = (),
    text: bool = False,
    ui: Any = None,
    schedule: bool = False,
    file: bool = False,
    words: tuple = (),
    upload: bool = False,
    group: str | None = None,
):
    """A settings field: its default, the help line every front end shows, and how it is typed.

    Every front end is made from these (the CLI's options, the studio's controls, the HTTP API's
    form fields, the "same from a terminal" command line), so a new setting is one field.
    `flag`: the CLI option (default --NAME); `short`: its one-letter form (-l); `metavar`: the
    value's name in --help (default by type: N, X, TEXT); `aliases`: more flags taking it (--decay);
    `text`: typed as one text although the field holds a tuple (DX,DY); `ui`: the studio's control,
    (low, high, step) for a slider (fields without one are not on the page); `schedule`: in a zoom or
    a video the field may change over the clip (`schedule.Schedule`: "0:0.5, 48:6"); `file`: its values
    name files to read (the web API never takes them as text; `--settings` runs say which they open),
    except the `words` it also takes (init's `noise`); `upload`: a picture the HTTP API takes as an
    uploaded file in the form field named as its flag (a file field); `group`: the group `--help`
    lists it in (one of GROUPS; none: "Options")."""
    return field(
        default=default,
        metadata={
            "help": help,
            "flag": flag,
            "short": short,
            "metavar": metavar,
            "aliases": tuple(aliases),
            "text": text,
            "ui": ui,
            "schedule": schedule,
            "file": file or upload,
            "words": tuple(words),
            "upload": upload,
            "group": group,
        },
    )


@dataclass(frozen=True)
class Control:
    """How the studio shows a field (`option(..., ui=Control(...))`): its label; a slider from `low`
    to `high` in `step`s for a number (a number box without them); a radio of `choices` for a text;
    a checkbox for a switch. `more`: under "More options". `zero_none`: 0 on the page means "not
    set" (None)."""

    label: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()
    more: bool = False
    zero_none: bool = False


#: The name a value has in `--help` (`--tile-size PIXELS`), by field name, where the field says none;
#: others go by type (N, X, TEXT).
METAVARS = {
    "layers": "SPEC",
    "backbone": "NAME",
    "guide_size": "PIXELS",
    "tile_size": "PIXELS",
    "jitter": "PIXELS",
    "max_side": "PIXELS",
    "rotate_jitter": "DEGREES",
    "normalize": "RULE",
    "score": "SCORE",
    "precision": "P",
    "target_class": "NAME_OR_INDEX",
    "octave_scale": "S",
    "scale_jitter": "F",
    "step_size": "X",
    "blur": "SIGMA",
    "preset": "NAME",
    "target": "LAYER[:CHANNEL]",
    "size": "WxH",
    "style_blend": "W,W",
    "content_layers": "SPEC",
    "style_layers": "SPEC",
    "content_weight": "W",
    "style_weight": "W",
    "tv_weight": "W",
    "optimizer": "NAME",
    "learning_rate": "LR",
    "init": "FROM",
    "style_scale": "S",
    "sample_scale": "S",
    "fps": "FPS",
    "zoom": "FACTOR",
    "rotate": "DEGREES",
    "translate": "DX,DY",
    "blend": "F",
    "flow": "METHOD",
    "start": "SECONDS",
    "end": "SECONDS",
    "decay": "D",
}


def metavar_of(cls, name: str, kind: type = str) -> str:
    """The value's name in `--help`: the field's own, the usual one for its name, FILE for a file
    field, else by type."""
    metadata = _field(cls, name).metadata
    own = metadata.get("metavar") or METAVARS.get(name) or ("FILE" if metadata.get("file") else None)
    return own or {int: "N", float: "X"}.get(kind, "TEXT")


def file_fields(cls) -> tuple[str, ...]:
    """The fields of `cls` whose values name files to read (declared `option(..., file=True)`)."""
    return tuple(f.name for f in fields(cls) if f.metadata.get("file"))


def upload_fields(cls) -> tuple[str, ...]:
    """The fields of `cls` the HTTP API takes as uploaded pictures (`option(..., upload=True)`)."""
    return tuple(f.name for f in fields(cls) if f.metadata.get("upload"))


def names_a_file(cls, name: str, value) -> bool:
    """Whether `value`, given for field `name` of `cls`, names a file: a non-empty path of a file
    field that is not one of the field's words."""
    metadata = _field(cls, name).metadata
    return (
        bool(metadata.get("file"))
        and isinstance(value, (str, Path))
        and str(value) != ""
        and value not in metadata.get("words", ())
    )


def rng(seed: int | None):
    """The run's one seeded generator. Any integer is a seed: negative ones map to their own streams."""
    import numpy as np

    return np.random.default_rng(seed if seed is None or seed >= 0 else [1, -seed])


#: Fields whose values may carry a region's mask file (WHAT@MASK).
REGION_FIELDS = ("layers", "target_class", "guide")


def not_regular(path) -> str | None:
    """Why an existing `path` cannot be read as a file ('a folder'; 'a pipe, socket or device': a
    FIFO blocks its reader for ever, /dev/zero never ends); None for a regular file or no file at
    all (whoever reads it says it does not exist)."""
    p = Path(path)
    try:
        if not p.exists() or p.is_file():
            return None
        return "a folder" if p.is_dir() else "a pipe, socket or device"
    except (OSError, ValueError):  # a name too long, a NUL byte: the reader says what is wrong
        return None


class Settings:
    """What every settings dataclass shares: help and defaults by field name, JSON round trips."""

    def check_files(self) -> None:
        """An InputError, before anything is loaded, for the first file these settings name (and
        those of settings inside them) that exists but is not a regular file."""
        from .specs import split_region

        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Settings):
                value.check_files()
                continue
            if not f.metadata.get("file") and f.name not in REGION_FIELDS:
                continue
            for item in value if isinstance(value, tuple) else (value,):
                if not isinstance(item, (str, Path)) or not str(item) or item in f.metadata.get("words", ()):
                    continue
                paths = [str(item)]
                if f.name in REGION_FIELDS:
                    what, mask = split_region(str(item))
                    paths = ([what] if f.name == "guide" else []) + ([mask] if mask else [])
                for path in paths:
                    why = not_regular(path)
                    if why:
                        flag = self.flag(f.name)
                        raise InputError(f"{flag} '{path}' is not a regular file ({why}); give the path of a file.")

    #: The mode's name, as in the metadata ("dream", "style", "texture").
    mode: ClassVar[str] = ""

    @classmethod
    def help(cls, name: str) -> str:
        return _field(cls, name).metadata["help"]

    @classmethod
    def flag(cls, name: str) -> str:
        return _field(cls, name).metadata.get("flag") or "--" + name.replace("_", "-")

    @classmethod
    def group(cls, name: str) -> str | None:
        """The group of `--help` the field is listed in (None: the command's default)."""
        return _field(cls, name).metadata.get("group")

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

    def _seed(self) -> None:
        """--seed: a whole number, as given (not a bool, a float or a numeral's text)."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            self._fail("seed", f"must be a whole number (got {shown(self.seed)}).")

    def _scheduled(self, check, name: str, *args, **kwargs) -> None:
        """`check(name, *args, **kwargs)` (`_number`, `_whole`, ...) on a field that may hold a
        schedule: its text parsed, each keyframe's value checked as a plain value would be (an
        error names the keyframe), values typed as text (a number given where a schedule may be)
        read as numbers."""
        value = getattr(self, name)
        flag = type(self).flag(name)
        if isinstance(value, str) and is_schedule(value):
            value = Schedule.parse(value, flag)
        if not isinstance(value, Schedule):
            self._set(name, _number_text(value))
            check(name, *args, **kwargs)
            return
        checked = []
        for position, item in value.keys:
            self._set(name, _number_text(item))
            try:
                check(name, *args, **kwargs)
            except SettingsError as e:
                why = str(e).removeprefix(flag + " ")
                raise SettingsError(f"{flag} keyframe {value.key_text(position)}:{item} {why}") from None
            checked.append((position, getattr(self, name)))
        self._set(name, Schedule(tuple(checked), value.seconds))

    @classmethod
    def schedulable(cls) -> tuple:
        """The fields that may change over a clip (their `option` says `schedule=True`)."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("schedule"))

    def schedules(self) -> dict:
        """{field name: Schedule} of the fields that change over the clip (held values left out)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), Schedule) and not getattr(self, f.name).constant
        }

    def _count(self, name: str, high: int) -> None:
        """At most `high` items in a repeated field."""
        if len(getattr(self, name)) > high:
            self._fail(name, f"was given {len(getattr(self, name)):,} times; the limit is {high}.")

    def _number(
        self, name: str, low: float | None = None, *, above: bool = False, high: float | None = None, hint: str = ""
    ) -> None:
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
        from .._version import __version__

        return json.dumps(
            {"mode": self.mode, "version": __version__, "settings": self.to_dict(), **extra}, sort_keys=True
        )

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
            chosen = cls.preset_values(preset)
            if "backbone" in overrides and overrides["backbone"] != chosen.get("backbone", overrides["backbone"]):
                chosen.pop("backbone")  # another network: the preset's layers are not its own
                chosen.pop("layers", None)
            values = {**data, **chosen, **overrides}
            made = cls(**{**values, "preset": None})
            object.__setattr__(made, "preset", cls.preset_name(preset))
            return made
        look = cls.backbone_look(overrides.get("backbone", data.get("backbone")))
        return cls(**{**look, **data, **overrides})

    @classmethod
    def backbone_look(cls, backbone) -> dict:
        """The look a network dreams with unless told otherwise (modes with such looks say which)."""
        return {}

    @classmethod
    def preset_values(cls, name) -> dict:
        """The values of the named look (modes with presets say which)."""
        raise SettingsError(f"{cls.mode} takes no --preset.")

    @classmethod
    def preset_name(cls, name) -> str:
        raise SettingsError(f"{cls.mode} takes no --preset.")

    @classmethod
    def of(cls, value=None, **overrides):
        """These settings from what a caller has: settings of this class (`overrides` replaced in
        them), a dict of fields (as `to_dict` makes; a preset among them applied) or nothing (the
        defaults): the one way every entry point of the Python API takes settings."""
        if value is None:
            return cls.from_dict({}, **overrides)
        if isinstance(value, cls):
            return value.replace(**overrides) if overrides else value
        if isinstance(value, dict):
            return cls.from_dict(value, **overrides)
        raise SettingsError(f"Expected {cls.__name__}, a dict of its fields or nothing (got {type(value).__name__}).")

    def check_names(self, class_index) -> None:
        """Check the class these settings name with `class_index`, the vocabulary passed in
        (`deepdream.classes.class_index`: a name or number to its index, or a SettingsError with the
        closest names); the settings import no vocabulary of their own, and layers are checked on
        the loaded network. A mode that names nothing has nothing to check."""

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def files(self) -> list:
        """Every file these settings read (paths as given), each file field's in field order: what
        an output must not overwrite."""
        cls, named = type(self), []
        for name in file_fields(cls):
            value = getattr(self, name)
            for item in value if isinstance(value, tuple) else (value,):
                item = self._path_in(name, item)
                if names_a_file(cls, name, item):
                    named.append(item)
        return named

    def _path_in(self, name: str, value):
        """The path a file field's value names (a mode whose values carry more says how to read them)."""
        return value


def _field(cls, name: str):
    for f in fields(cls):
        if f.name == name:
            return f
    raise KeyError(name)
