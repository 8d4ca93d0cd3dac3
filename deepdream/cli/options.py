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
    if default not in (None, (), False, ""):
        help = f"{help}  [default: {default}]"
    return typer.Option(*flags, help=help, metavar=metavar, show_default=False, **kwargs)


BACKBONE_NAMES = "vgg16 (embedded, works offline), inceptionv3 or googlenet (these need their weights file: see `deepdream weights`)"

InputImage = Annotated[Path, typer.Argument(metavar="INPUT", help="Image to work on (PNG, JPEG, WebP, TIFF, ...).", show_default=False)]
Output = Annotated[Optional[Path], typer.Option(
    "-o", "--output", metavar="FILE", show_default=False,
    help="Output file; its extension picks the format (.png .jpg .webp .tif .bmp). Default: INPUT_MODE.png "
         "beside the input (INPUT_MODE_2.png, ... if that exists).")]
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
