"""Typer options shared by several commands, declared once (`Annotated` aliases).

An option whose value is a setting defaults to None here ("not given"), so that a command can tell
what the user typed from the settings' defaults (and `--settings FILE` can be overridden by the
options beside it); the default shown in `--help` is the settings field's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..settings import DreamSettings


def setting(cls, name: str, *flags: str, metavar: str | None = None, help: str | None = None, **kwargs):
    """A typer.Option for settings field `name` of `cls`: its help line, its default shown."""
    default = cls.default(name)
    flags = flags or (cls.flag(name),)
    help = help or cls.help(name)
    if default is not None and default is not False and default != () and default != "":  # 0 is a default too
        help = f"{help}  [default: {default}]"
    return typer.Option(*flags, help=help, metavar=metavar, show_default=False, **kwargs)


BACKBONE_NAMES = ("efficientnet-lite2 or vgg16 (embedded, work offline), inceptionv3 or googlenet (these need their "
                  "weights file: see `deepdream weights`)")

InputImage = Annotated[Path, typer.Argument(metavar="INPUT", help="Image to work on (PNG, JPEG, WebP, TIFF, ...).", show_default=False)]
def output_option(mode: str):
    """-o/--output of a command that writes INPUT_<mode>.png by default."""
    return typer.Option(
        "-o", "--output", metavar="FILE", show_default=False,
        help=f"Output file; its extension picks the format (.png .jpg .webp .tif .bmp). Default: INPUT_{mode}.png "
             f"beside the input (INPUT_{mode}_2.png, ... if that exists).")


Output = Annotated[Optional[Path], output_option("dream")]
StyleOutput = Annotated[Optional[Path], output_option("style")]
TextureOutput = Annotated[Optional[Path], output_option("texture")]
Backbone = Annotated[Optional[str], typer.Option("-b", "--backbone", metavar="NAME", help=f"The network: {BACKBONE_NAMES}.")]
Weights = Annotated[Optional[Path], typer.Option("--weights", metavar="FILE", show_default=False,
                                                 help=DreamSettings.help("weights"))]
Seed = Annotated[Optional[int], typer.Option("--seed", metavar="N", show_default=False,
                                             help="Random seed: same seed and options, same output bytes.  [default: 0]")]
MaxSide = Annotated[Optional[int], typer.Option("--max-side", metavar="PIXELS", show_default=False,
                                                help=DreamSettings.help("max_side"))]
TileSize = Annotated[Optional[int], typer.Option("--tile-size", metavar="PIXELS", show_default=False,
                                                 help=DreamSettings.help("tile_size") + "  [default: 512]")]
SaveEvery = Annotated[Optional[int], typer.Option("--save-every", metavar="N", show_default=False,
                                                  help="Also write OUTPUT_0050.png etc. every N steps (iterations).")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace the output file if it exists (never an input).")]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar or messages.")]
SettingsFile = Annotated[Optional[Path], typer.Option(
    "--settings", metavar="FILE", show_default=False,
    help="Take the settings from a picture deepdream wrote (or a JSON file); options given beside it override them.")]
Strings = Optional[List[str]]
Paths = Optional[List[Path]]


# ---------------------------------------------------------------------------- every dream option, declared once

#: Short flags and metavars of dream options; any other field gets its settings flag and a metavar by type.
DREAM_SHORT_FLAGS = {"layers": ("-l",), "backbone": ("-b",)}
DREAM_METAVARS = {"layers": "SPEC", "backbone": "NAME", "weights": "FILE", "mask": "FILE", "guide": "FILE",
                  "guide_size": "PIXELS", "tile_size": "PIXELS", "jitter": "PIXELS", "max_side": "PIXELS",
                  "rotate_jitter": "DEGREES", "normalize": "RULE", "precision": "P", "target_class": "NAME_OR_INDEX",
                  "octave_scale": "S", "scale_jitter": "F", "step_size": "X", "blur": "SIGMA", "preset": "NAME",
                  "target": "LAYER[:CHANNEL]"}


def dream_option_parameters(cls=DreamSettings, *, lists=(), skip=(), helps=None) -> list:
    """One keyword parameter (for Typer) per field of the settings class `cls`, in field order, each
    an option defaulting to None (not given) with the field's flag, help and default shown. Tuple
    fields and those named in `lists` repeat (a list); bools are switches (--X / --no-X). `helps`: help lines to use
    instead of the field's own. Built from the settings themselves, so an option added there (such
    as --class) reaches every command that uses this."""
    import dataclasses
    import inspect
    import typing

    hints = typing.get_type_hints(cls)
    params = []
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        hint = hints[f.name]
        base = [t for t in typing.get_args(hint) if t is not type(None)] if typing.get_args(hint) else [hint]
        kind = base[0] if len(base) == 1 and base[0] in (bool, int, float) else str
        repeat = hint is tuple or f.name in lists
        flags = DREAM_SHORT_FLAGS.get(f.name, ()) + (cls.flag(f.name),)
        help = (helps or {}).get(f.name)
        if kind is bool and not repeat:  # on, off (--no-X: over a --settings file), or not given (None)
            switch = f"{flags[-1]}/--no-{flags[-1].lstrip('-')}"
            annotation = Annotated[Optional[bool], setting(cls, f.name, *flags[:-1], switch, help=help)]
            default = None
        else:
            metavar = DREAM_METAVARS.get(f.name) or {int: "N", float: "X"}.get(kind, "TEXT")
            annotation = Annotated[Optional[List[kind]] if repeat else Optional[kind],
                                   setting(cls, f.name, *flags, metavar=metavar, help=help)]
            default = None
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=annotation))
    return params


def with_dream_options(cls=DreamSettings, *, lists=(), skip=(), helps=None):
    """Decorate a command so it also takes every dream option (see `dream_option_parameters`),
    after its own parameters; the command receives them as one dict, `dream_options` (field name
    -> value as typed, None / [] / False where not given)."""
    import functools
    import inspect

    def wrap(func):
        own = [p for name, p in inspect.signature(func, eval_str=True).parameters.items() if name != "dream_options"]
        extra = dream_option_parameters(cls, lists=lists, skip=skip, helps=helps)
        names = [p.name for p in extra]
        signature = inspect.Signature([p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in own + extra])

        @functools.wraps(func)
        def command(*args, **kwargs):
            options = {name: kwargs.pop(name, None) for name in names}
            return func(*args, **kwargs, dream_options=options)

        command.__signature__ = signature
        command.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        del command.__wrapped__  # Typer must read the new signature, not the function's own
        return command

    return wrap


Ray = Annotated[Optional[str], typer.Option(
    "--ray", metavar="local|ADDRESS", show_default=False,
    help="Run on Ray: `local` starts a local cluster (--workers CPUs), ADDRESS (e.g. ray://head:10001 or "
         "auto) joins one; one actor per worker, a GPU each where the cluster has them. Needs "
         "pip install \"deepdream-studio[ray]\".")]
Workers = Annotated[Optional[int], typer.Option(
    "--workers", metavar="N", show_default=False,
    help="Ray actors (each prepares its network once). Default: the cluster's GPUs, else its CPUs.")]
DryRun = Annotated[bool, typer.Option(
    "--dry-run", help="Read and check every input and setting (files decode, layers and classes exist on the "
                      "backbone, the output can be written), say what would be written, and write nothing.")]
