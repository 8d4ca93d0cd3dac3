"""The one way settings become a command line: "the same from a terminal" in the studio, the HTTP
API's answers and the gallery's cells all come from `command_line`, so they agree with the CLI (whose
options are made from the same fields: `cli.options.settings_parameters`)."""

from __future__ import annotations

import dataclasses
import shlex

from .settings import Settings

#: Command of each mode, and the fields it takes as positional arguments (before the input).
COMMANDS = {
    "dream": ("dream", ()),
    "class": ("class", ("target_class",)),
    "visualize": ("visualize", ("target",)),
    "style": ("style", ()),
    "texture": ("texture", ()),
    "zoom": ("zoom", ()),
    "video": ("video", ()),
}


def _quote(value) -> str:
    return shlex.quote(str(value))


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(_text(v) for v in value)
    return str(value)


def option_words(settings: Settings, files: dict[str, list[str]] | None = None, skip=()) -> list[str]:
    """`--flag value` for every field of `settings` that differs from its default (with a preset,
    from the preset's value; else from its network's own look, `backbone_look`), quoted: a repeated
    flag for lists, the flag alone for a switch that is on (--no-FLAG for one turned off). files:
    field -> names of pictures given in memory (uploads), written as files of those names. A field
    holding settings (a movie's dream) adds its own words after the others'."""
    cls = type(settings)
    if getattr(settings, "preset", None):
        baseline = cls.preset_values(settings.preset)
    else:
        baseline = cls.backbone_look(getattr(settings, "backbone", None))
    words, nested = [], []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        value = getattr(settings, f.name)
        if isinstance(value, Settings):
            nested += option_words(value, files)
            continue
        flag = cls.flag(f.name)
        if files and f.name in files:
            for name in files[f.name]:
                words += [flag, _quote(name)]
            continue
        default = baseline.get(f.name, f.default)
        as_text = f.metadata.get("text") or f.name == "style_blend"
        if isinstance(value, tuple) and not as_text:
            value = tuple(v for v in value if isinstance(v, (str, int, float)))  # in-memory pictures: no words
        if value == default or value is None or value == ():
            continue
        if isinstance(value, bool):
            words.append(flag if value else f"--no-{flag.lstrip('-')}")
        elif isinstance(value, tuple) and not as_text:
            for v in value:
                words += [flag, _quote(_text(v))]
        else:
            words += [flag, _quote(_text(value))]
    return words + nested


def command_line(
    settings: Settings,
    input_name: str | None = None,
    output: str | None = None,
    files: dict[str, list[str]] | None = None,
) -> str:
    """The `deepdream ...` command that makes the same picture (or movie): the mode's command, its
    positional arguments, the input, `-o OUTPUT`, then `option_words`."""
    command, positional = COMMANDS[type(settings).mode]
    words = ["deepdream", command] + [_quote(getattr(settings, name)) for name in positional]
    if input_name is not None:
        words.append(_quote(input_name))
    if output is not None:
        words += ["-o", _quote(output)]
    return " ".join(words + option_words(settings, files, skip=positional))
