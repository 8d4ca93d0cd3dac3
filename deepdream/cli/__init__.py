"""The `deepdream` command. It parses, builds settings and reports; the engine does the maths.

Each group of commands is a module of this package registering on `app`; options shared by several
commands are declared once in `options`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
import typer.core

from .. import __version__
from .._tf import quiet_tensorflow
from ..errors import DeepDreamError, RenderError

def _plain_argument_help() -> None:
    """Show a required argument as INPUT in the usage line (Typer 0.2x writes {INPUT}) and without
    its Python type (<path>) in the help, as click and Unix tools do. Cosmetic; skipped where this
    Typer has no such methods."""
    argument = getattr(typer.core, "TyperArgument", None)
    if argument is None:
        return
    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = lambda self: self.display_name_raw + ("..." if self.nargs != 1 else "")
    if hasattr(argument, "display_type_rich"):
        argument.display_type_rich = lambda self, ctx=None: ""


_plain_argument_help()

app = typer.Typer(
    help="Neural-network art from the terminal: DeepDream, class paintings, guided dreams, style transfer, zooms and videos, batches, and a web studio.",
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepdream {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                                 help="Print the version and exit.")) -> None:
    """Neural-network art from the terminal: DeepDream, class paintings, guided dreams, style transfer,
    zooms and videos, batches, and a web studio."""


def _quiet_tensorflow() -> None:
    quiet_tensorflow()


def next_free(path: Path, echo: bool = True) -> Path:
    """path, or the first free PATH_2, PATH_3, ... beside it (said on stderr), so a run without -o
    never refuses and never replaces an earlier result."""
    free, n = path, 2
    while free.exists():
        free = path.with_name(f"{path.stem}_{n}{path.suffix}")
        n += 1
    if echo and free != path:
        typer.echo(f"deepdream: {path.name} exists; writing {free}", err=True)
    return free


def default_output(input_path: Path, suffix: str, echo: bool = True) -> Path:
    """INPUT_suffix.png beside the input, or the next free name (see `next_free`)."""
    return next_free(input_path.with_name(f"{input_path.stem}_{suffix}.png"), echo)


#: The longest command-line word taken (the longest path Linux opens is 4096 bytes).
MAX_ARGUMENT = 4096


def _check_lengths(words) -> None:
    """A one-line error for a command-line word too long to be a real option value, before Click
    echoes it whole."""
    from ..errors import SettingsError

    for word in words:
        if len(word) > MAX_ARGUMENT:
            raise SettingsError(f"A command-line value of {len(word):,} characters ({word[:20]!r}...) is too long; "
                                f"the limit is {MAX_ARGUMENT:,}.")


def main() -> None:
    """Entry point: run the app; a DeepDreamError is one line on stderr and exit code 2 (1 for a
    RenderError: the input was fine, the work could not finish)."""
    try:
        _check_lengths(sys.argv[1:])
        app(prog_name="deepdream")
    except DeepDreamError as e:
        typer.echo(f"deepdream: error: {e}", err=True)
        sys.exit(1 if isinstance(e, RenderError) else 2)


from . import batch, classes, dream, models, motion, serve, style  # noqa: E402,F401  (register the commands)
