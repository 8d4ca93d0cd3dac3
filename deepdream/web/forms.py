"""From web forms to settings, and from settings to the `deepdream ...` command that makes the same picture.

Needs none of the web packages: the HTTP API and the studio both parse through here, and the tests
use it directly.

A form field is named by its CLI option without the dashes (`steps`, `step-size`, `layer`, `class`)
or by the settings field (`step_size`, `layers`, `target_class`); repeated fields are lists (several
`layer`s). Each value, a string, is converted by the field's type and the settings dataclass
validates the whole, so a bad value gets the same sentence as on the command line. Fields that name
files on the server (`weights`, a `guide` or `mask` given as text, `--init FILE`) are refused:
nothing a client sends is used as a path; pictures come as uploaded files.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from pathlib import Path

from ..commandline import command_line
from ..errors import SettingsError, shown, suggest
from ..settings import ClassSettings, DreamSettings, StyleSettings, names_a_file

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def aliases(cls) -> dict[str, str]:
    """Every name a form may give a field of `cls` -> the field: `step-size`, `step_size`,
    `layer` (the flag), `layers` (the field), `class`, `target_class`, ..."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        flag = cls.flag(f.name).lstrip("-")
        for name in (f.name, f.name.replace("_", "-"), flag, flag.replace("-", "_")):
            out.setdefault(name, f.name)
    return out


def _kind(cls, name: str):
    """(base type, repeated) of a field: int, float, bool or str; tuples repeat."""
    hint = typing.get_type_hints(cls)[name]
    if hint is tuple:
        return str, True
    args = [t for t in typing.get_args(hint) if t is not type(None)]
    base = args[0] if len(args) == 1 else hint
    if base is tuple:  # `tuple | None`, e.g. style_blend: one text the settings parse
        return str, False
    return (base if base in (bool, int, float) else str), False


def convert(cls, name: str, text: str):
    """One form value (a string) as the field's type; a SettingsError in the settings' own words."""
    kind, _ = _kind(cls, name)
    flag = cls.flag(name)
    value = str(text).strip()
    if kind is bool:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise SettingsError(f"{flag} is on or off: give true or false (got {shown(text)}).")
    if kind is int:
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                raise SettingsError(f"{flag} must be a whole number (got {shown(text)}).") from None
            if number.is_integer():
                return int(number)
            raise SettingsError(f"{flag} must be a whole number (got {shown(text)}).") from None
    if kind is float:
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{flag} must be a finite number (got {shown(text)}).") from None
        if not math.isfinite(number):
            raise SettingsError(f"{flag} must be a finite number (got {shown(text)}).")
        return number
    return value


def settings_from_form(cls, fields: dict[str, list[str]], *, files: dict | None = None, ignore=(), regions=(), **fixed):
    """Settings of `cls` from form fields (name -> the values given, in order).

    files: field name -> in-memory pictures uploaded for it (e.g. {"guide": [...]}) , the only way a
    path-like field is set. ignore: names that are not settings (the upload's own field, `image`).
    fixed: field values set by the caller (e.g. the mode's own). regions: the names of the masks
    uploaded for `WHAT@NAME` objectives; a region naming anything else (a path on the server) is
    refused. Unknown names and path-like fields sent as text are SettingsErrors; empty values count
    as not given."""
    names = aliases(cls)
    values: dict = {}
    for given, texts in fields.items():
        if given in ignore:
            continue
        name = names.get(given)
        if name is None:
            known = sorted(n for n in names if "_" not in n)
            raise SettingsError(f"Unknown {cls.mode} option {shown(given)}.{suggest(given, known)}")
        texts = [t for t in texts if str(t).strip() != ""]
        if not texts:
            continue
        if any(names_a_file(cls, name, t) for t in texts):
            raise SettingsError(
                f"{cls.flag(name)} names a file on the server, which the web API does not take; "
                f"upload pictures as files instead."
            )
        _, repeated = _kind(cls, name)
        if repeated:
            values[name] = tuple(convert(cls, name, t) for t in texts)
        else:
            if len(texts) > 1:
                raise SettingsError(f"{cls.flag(name)} was given {len(texts)} times; give it once.")
            values[name] = convert(cls, name, texts[0])
    for name, pictures in (files or {}).items():
        if pictures:
            values[names.get(name, name)] = tuple(pictures) if _kind(cls, names.get(name, name))[1] else pictures[0]
    values.update(fixed)
    from ..classes import class_index

    settings = cls.from_dict({}, **values)  # a preset's values under the fields given
    settings.check_names(class_index)
    for flag, masks in (settings.region_masks() if hasattr(settings, "region_masks") else {}).items():
        for mask in masks:
            if mask not in regions:
                raise SettingsError(
                    f"{flag} ...@{shown(mask, 40)[1:-1]} names a mask the web API has not been sent: "
                    f"upload it as a file in the `region` field, named {shown(mask, 40)}."
                )
    return settings


# ----------------------------------------------------------------------------- the command line


def safe_name(name: str | None, default: str = "upload.png") -> str:
    """A client's file name reduced to a harmless base name (letters, digits, `._-`), for messages,
    metadata and the command line; never used to open anything outside a folder of our own."""
    import re

    base = Path(str(name or "")).name if name else ""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[:100]
    return base or default


__all__ = [
    "aliases",
    "convert",
    "settings_from_form",
    "command_line",
    "safe_name",
    "DreamSettings",
    "ClassSettings",
    "StyleSettings",
]
