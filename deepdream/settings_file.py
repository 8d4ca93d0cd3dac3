"""Reading settings back: from a JSON file or from the metadata of a picture deepdream wrote."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError, shown
from .settings import MODES
from .settings.base import not_regular


def read_settings_file(path) -> tuple[str, dict]:
    """(mode, settings dict) from a JSON file or a picture deepdream wrote (its metadata)."""
    path = Path(path)
    why = not_regular(path)
    if why:
        raise InputError(f"Settings file '{path}' is not a regular file (it is {why}); give a PNG or JSON file.")
    if not path.is_file():
        raise InputError(f"Settings file '{path}' does not exist; give a PNG written by deepdream or a JSON file.")
    text = None
    if path.suffix.lower() == ".json":
        text = path.read_text(encoding="utf-8-sig", errors="replace")  # a BOM (Notepad) is no error
    else:
        from .saving import read_metadata

        text = read_metadata(path)
        if text is None:
            raise InputError(
                f"'{path}' holds no deepdream settings; give a picture written by deepdream or a JSON file."
            )
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
        raise InputError(
            f"Settings file '{path}' names no deepdream mode (its \"mode\" is {shown(mode, 40)}; "
            f"one of {', '.join(MODES)})."
        )
    settings = data.get("settings", data)
    written = "version" in data  # by deepdream (a picture's settings, or JSON it wrote)
    settings = {k: v for k, v in settings.items() if k not in ("mode", "version")}
    return mode, (predating_score(mode, settings) if written else settings)


def predating_score(mode: str, settings: dict) -> dict:
    """Settings deepdream wrote before dreams had a `score` were made scoring layers by their mean:
    say so, so that `--settings OLD_PICTURE` makes that picture again (hand-written settings take
    the default)."""
    if mode == "dream":
        return settings if "score" in settings else {**settings, "score": "mean"}
    if isinstance(settings.get("dream"), dict):  # a zoom's or a video's dream
        return {**settings, "dream": predating_score("dream", settings["dream"])}
    return settings


def read_keyframes_file(path, motion_cls) -> tuple[dict, dict]:
    """(the motion's settings, the dream's settings) that a timeline file sets: every schedule of a
    clip in one TOML or JSON file, each setting named as its option (`step-size`, `zoom`, `layer`)
    or its field, its value a number, a schedule's text ("0:0.5, 48:6") or a table of keyframes
    ({"0": 0.5, "48": 6}, "2s" for seconds). Only settings that may change over a clip are taken."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Keyframes file '{path}' does not exist; give a TOML or JSON file of schedules.")
    return read_keyframes_text(path.read_text(encoding="utf-8-sig", errors="replace"), path, motion_cls)


def read_keyframes_text(text: str, path, motion_cls) -> tuple[dict, dict]:
    """`read_keyframes_file` of a timeline's text, read as the file `path` would be (JSON where its
    name ends .json, else TOML; messages name it): the studio's timeline box reads through here."""
    import tomllib

    from .settings import DreamSettings
    from .settings.schedule import HOW

    path = Path(path)
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, RecursionError) as e:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        where = str(e).splitlines()[0] if str(e) else ""
        raise InputError(f"Keyframes file '{path}' is not valid {kind} ({where}).") from None
    if not isinstance(data, dict):
        raise InputError(f"Keyframes file '{path}' must map settings to schedules, e.g. step-size = \"0:0.5, 48:6\".")
    names = {}
    for cls in (motion_cls, DreamSettings):
        for name in cls.schedulable():
            for alias in (name, name.replace("_", "-"), cls.flag(name).lstrip("-")):
                names.setdefault(alias, (cls, name))
    motion, dream = {}, {}
    for given, value in data.items():
        if given not in names:
            from .errors import SettingsError, suggest

            raise SettingsError(
                f"Keyframes file '{path}' names {shown(given, 40)}, which cannot change over a clip; the settings "
                f"that can are {', '.join(sorted(n for n in names if '_' not in n))}.{suggest(given, names)}"
            )
        cls, name = names[given]
        if isinstance(value, dict):
            value = ", ".join(f"{key}:{_keyframe_value(v, path, given, key)}" for key, v in value.items())
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            from .errors import SettingsError

            raise SettingsError(f"Keyframes file '{path}': {given} must be a number or a schedule; {HOW}.")
        (dream if cls is DreamSettings else motion)[name] = (value,) if name == "layers" else value
    return motion, dream


def _keyframe_value(value, path, given: str, key) -> str:
    """One keyframe's value as a schedule writes it (a pair as DX,DY); a table or a list of
    anything but numbers is refused (nothing a schedule can hold)."""
    plain = (str, int, float)
    if isinstance(value, (list, tuple)) and all(isinstance(v, plain) and not isinstance(v, bool) for v in value):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, plain):
        from .errors import SettingsError
        from .settings.schedule import HOW

        raise SettingsError(
            f"Keyframes file '{path}': {given} keyframe {shown(str(key), 20)} must be a number, a text or a "
            f"pair of numbers (got a {type(value).__name__}); {HOW}."
        )
    return str(value)
