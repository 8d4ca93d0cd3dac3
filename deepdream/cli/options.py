"""Typer options shared by several commands, declared once (`Annotated` aliases).

An option whose value is a setting defaults to None here ("not given"), so that a command can tell
what the user typed from the settings' defaults (and `--settings FILE` can be overridden by the
options beside it); the default shown in `--help` is the settings field's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import DreamSettings
from .app import INPUT_AND_OUTPUT


def shown_default(value) -> str:
    """A default as the user would type it: 0,0 for a pair, 1.4 for 1.4."""
    if isinstance(value, (tuple, list)):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting(
    cls, name: str, *flags: str, metavar: str | None = None, help: str | None = None, group: str | None = None, **kwargs
):
    """A typer.Option for settings field `name` of `cls`: its help line, its default shown, in its
    group of `--help` (the field's own, else `group`)."""
    default = cls.default(name)
    flags = flags or (cls.flag(name),)
    help = help or cls.help(name)
    if default is not None and default is not False and default != () and default != "":  # 0 is a default too
        help = f"{help}  [default: {shown_default(default)}]"
    panel = cls.group(name) or group
    return typer.Option(*flags, help=help, metavar=metavar, show_default=False, rich_help_panel=panel, **kwargs)


InputImage = Annotated[
    Path, typer.Argument(metavar="INPUT", help="Image to work on (PNG, JPEG, WebP, TIFF, ...).", show_default=False)
]
#: `--help`'s group of a command's own options (input, output, what is written), after the settings'.
IO = INPUT_AND_OUTPUT
#: `--help`'s group of the options that spread work over Ray.
RAY = "Workers (Ray)"
#: `--help`'s group of a gallery's sheet (cells, columns).
SHEET = "The sheet"


def output_option(mode: str, named: str | None = None):
    """-o/--output of a command writing one picture: INPUT_<mode>.png in the current folder by
    default, or the file `named` says (e.g. "the class's name, e.g. golden_retriever")."""
    if named:
        stem = named.rsplit(" ", 1)[-1]
        default = f"{named}.png ({stem}_2.png, ... if that exists)"
    else:
        default = f"INPUT_{mode}.png in the current folder (INPUT_{mode}_2.png, ... if that exists)"
    return typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        show_default=False,
        rich_help_panel=IO,
        help=f"Output file; its extension picks the format (.png .jpg .webp .tif .bmp). Default: {default}. An "
        "existing FILE is replaced only where deepdream wrote it (its settings prove it), or with --overwrite.",
    )


Output = Annotated[Path | None, output_option("dream")]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace the output file if it exists (never an input).", rich_help_panel=IO)
]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar or messages.", rich_help_panel=IO)]
SaveEvery = Annotated[
    int | None,
    typer.Option(
        "--save-every",
        metavar="N",
        show_default=False,
        rich_help_panel=IO,
        help="Also write OUTPUT_0050.png etc. every N steps (iterations).",
    ),
]
SettingsFile = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        metavar="FILE",
        show_default=False,
        rich_help_panel=IO,
        help="Take the settings from a picture deepdream wrote (or a JSON file); options given beside it override "
        "them.",
    ),
]


# ---------------------------------------------------------------------------- every setting, as an option


#: What `--help` adds to an option that takes a schedule (in zoom and video).
SCHEDULE_HELP = ' Takes a schedule, e.g. "0:1, 48:2" (frames from 0) or "0s:1, 4s:2" (seconds).'


def settings_parameters(cls, *, lists=(), skip=(), helps=None, schedules: bool = False, group=None) -> list:
    """One keyword parameter (for Typer) per field of the settings class `cls`, in field order, each
    an option defaulting to None (not given) with the field's flags, metavar, help and default shown
    (all from the field: `settings.option`). Tuple fields and those named in `lists` repeat (a
    list), unless the field is typed as one text (DX,DY); bools are switches (--X / --no-X).
    `helps`: help lines to use instead of the fields' own (a sweep's --layer). `schedules`: the
    fields that may change over a clip take text (a number or a schedule) and say so. `group`: the
    group of `--help` for fields that declare none. A field holding other settings (a movie's dream)
    is left to its own decorator."""
    import dataclasses
    import inspect
    import typing

    from ..settings import Settings
    from ..settings.base import metavar_of

    hints = typing.get_type_hints(cls)
    params = []
    # a preset sets the look's other fields, so it leads them in --help
    for f in sorted(dataclasses.fields(cls), key=lambda f: f.name != "preset"):
        hint = hints[f.name]
        if f.name in skip or not f.init or (isinstance(hint, type) and issubclass(hint, Settings)):
            continue
        base = [t for t in typing.get_args(hint) if t is not type(None)] if typing.get_args(hint) else [hint]
        kind = base[0] if len(base) == 1 and base[0] in (bool, int, float) else str
        scheduled = schedules and f.metadata.get("schedule")
        if scheduled:
            kind = str  # a number, or a schedule of numbers
        repeat = (hint is tuple or f.name in lists) and not f.metadata.get("text")
        flags = (
            ((f.metadata.get("short"),) if f.metadata.get("short") else ())
            + (cls.flag(f.name),)
            + tuple(f.metadata.get("aliases", ()))
        )
        help = (helps or {}).get(f.name)
        if scheduled:
            help = (help or cls.help(f.name)) + SCHEDULE_HELP
        if kind is bool and not repeat:  # on, off (--no-X: over a --settings file), or not given (None)
            switch = f"{cls.flag(f.name)}/--no-{cls.flag(f.name).lstrip('-')}"
            short = (f.metadata["short"],) if f.metadata.get("short") else ()
            annotation = Annotated[bool | None, setting(cls, f.name, *short, switch, help=help, group=group)]
        else:
            metavar = metavar_of(cls, f.name, base[0] if scheduled and base[0] in (int, float) else kind)
            annotation = Annotated[
                list[kind] | None if repeat else kind | None,
                setting(cls, f.name, *flags, metavar=metavar, help=help, group=group),
            ]
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    return params


def with_settings(
    cls=DreamSettings, *, into: str = "dream_options", lists=(), skip=(), helps=None, schedules=False, group=None
):
    """Decorate a command so it also takes every option of the settings class `cls` (see
    `settings_parameters`), after its own parameters; the command receives them as one dict in
    its parameter `into` (field name -> value as typed, None / [] where not given). Stack two for
    a movie: its own settings and its frames' dream.

    The command Typer reads is a new function whose signature (`__signature__`, the protocol
    `inspect.signature` honours; Typer builds options from a function's signature and has no other
    way to add them) is the command's own parameters and the settings' options."""
    import inspect

    def wrap(func):
        own = [p for name, p in inspect.signature(func, eval_str=True).parameters.items() if name != into]
        extra = settings_parameters(cls, lists=lists, skip=skip, helps=helps, schedules=schedules, group=group)
        names = [p.name for p in extra]
        signature = inspect.Signature([p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in own + extra])

        def command(*args, **kwargs):
            options = {name: kwargs.pop(name, None) for name in names}
            return func(*args, **kwargs, **{into: options})

        command.__name__, command.__qualname__ = func.__name__, func.__qualname__
        command.__module__, command.__doc__ = func.__module__, func.__doc__
        command.__signature__ = signature
        command.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        return command

    return wrap


Ray = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="local|ADDRESS",
        show_default=False,
        rich_help_panel=RAY,
        help="Run on Ray: `local` starts a local cluster (--workers CPUs), ADDRESS (e.g. ray://head:10001 or "
        "auto) joins one; one actor per worker, a GPU each where the cluster has them. Needs "
        'pip install "deepdream-studio[ray]".',
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
        show_default=False,
        rich_help_panel=RAY,
        help="Ray actors (each prepares its network once). Default: the cluster's GPUs, else its CPUs.",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        rich_help_panel=IO,
        help="Read and check every input and setting (files decode, layers and classes exist on the "
        "backbone, the output can be written), say what would be written, and write nothing.",
    ),
]
