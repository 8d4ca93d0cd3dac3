"""The Typer app every command registers on, and what running it means: one-line errors with exit
codes, Ctrl-C saying what was kept, default output names. Command modules import this module,
never the package, so the package's registering imports make no cycle."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import typer.core

from .._tf import quiet_tensorflow
from .._version import __version__
from ..errors import DeepDreamError, RenderError


def _plain_argument_help() -> None:
    """Show a required argument as INPUT in the usage line (Typer 0.2x writes {INPUT}) and without
    its Python type (<path>) in the help, as click and Unix tools do. Cosmetic; skipped where this
    Typer has no such methods."""
    argument = getattr(typer.core, "TyperArgument", None)
    if argument is None:
        return
    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = lambda self: (
            (self.display_name_raw + ("..." if self.nargs != 1 else ""))
            if self.required
            else f"[{self.display_name_raw}]"
        )
    if hasattr(argument, "display_type_rich"):
        argument.display_type_rich = lambda self, ctx=None: ""


_plain_argument_help()

app = typer.Typer(
    help="Neural-network art from the terminal: DeepDream, class paintings, guided dreams, style transfer, "
    "zooms and videos, batches, and a web studio.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepdream {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Neural-network art from the terminal: DeepDream, class paintings, guided dreams, style transfer,
    zooms and videos, batches, and a web studio."""


def _quiet_tensorflow() -> None:
    quiet_tensorflow()


def next_free(path: Path, echo: bool = True) -> Path:
    """path, or the first free PATH_2, PATH_3, ... beside it (said on stderr, both named as given), so
    a run without -o never refuses and never replaces an earlier result."""
    free, n = path, 2
    while free.exists():
        free = path.with_name(f"{path.stem}_{n}{path.suffix}")
        n += 1
    if echo and free != path:
        typer.echo(f"deepdream: {path.name} exists; writing {free}", err=True)
    return free


def default_output(input_path: Path, suffix: str, echo: bool = True) -> Path:
    """INPUT_suffix.png in the current folder (where the user is, not where the input lies), or the
    next free name (see `next_free`)."""
    return next_free(Path(f"{input_path.stem}_{suffix}.png"), echo)


#: The longest command-line word taken (the longest path Linux opens is 4096 bytes).
MAX_ARGUMENT = 4096


def _check_lengths(words) -> None:
    """A one-line error for a command-line word too long to be a real option value, before Click
    echoes it whole."""
    from ..errors import SettingsError

    for word in words:
        if len(word) > MAX_ARGUMENT:
            raise SettingsError(
                f"A command-line value of {len(word):,} characters ({word[:20]!r}...) is too long; "
                f"the limit is {MAX_ARGUMENT:,}."
            )


#: What an interrupted command leaves, said on Ctrl-C (a long job sets it once it knows: its frames,
#: its finished pictures).
_interrupted = ["nothing written"]


def on_interrupt(kept: str) -> None:
    """Say this (what is kept, how to go on) if the user stops the command with Ctrl-C."""
    _interrupted[0] = kept


def _bad_value(e, args: list) -> str:
    """One sentence for an option value of the wrong type: `--steps must be a whole number (got 'ten').`"""
    opts = list(getattr(e.param, "opts", None) or [])
    flag = max(opts, key=len) if opts else (e.param_hint if isinstance(e.param_hint, str) else "the value")
    given = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in opts), None)
    given = given or next((a.split("=", 1)[1] for a in args if "=" in a and a.split("=", 1)[0] in opts), None)
    text = e.format_message()
    what = "a whole number" if "valid integer" in text else "a number" if "valid number" in text else None
    got = f" (got {given!r})" if given is not None else ""
    if what is None:
        return f"{' '.join(text.split()).rstrip('.')}{got}."
    return f"{flag} must be {what}{got}."


def run(args=None) -> int:
    """Run the command line `args` (default: sys.argv[1:]) and return its exit code: 0 done, 1 a
    batch with failures or a RenderError, 2 a user's error (a DeepDreamError, or an option typed
    wrong: one line on stderr, no box, no traceback), 130 interrupted (Ctrl-C: one line saying what
    was kept)."""
    try:
        from typer._click import exceptions as click  # Typer 0.2x carries its own click
    except ImportError:
        from click import exceptions as click

    _interrupted[0] = "nothing written"
    try:
        _check_lengths(sys.argv[1:] if args is None else list(args))
        code = app(args=args, prog_name="deepdream", standalone_mode=False)
    except DeepDreamError as e:
        typer.echo(f"deepdream: error: {e}", err=True)
        return 1 if isinstance(e, RenderError) else 2
    except click.NoArgsIsHelpError as e:  # `deepdream` or `deepdream weights` alone: the help
        e.show()
        return e.exit_code
    except click.BadParameter as e:
        typer.echo(f"deepdream: error: {_bad_value(e, sys.argv[1:] if args is None else list(args))}", err=True)
        return 2
    except click.UsageError as e:
        where = f"; see `{e.ctx.command_path} --help`" if e.ctx is not None else ""
        message = " ".join(e.format_message().split()).rstrip(".")
        typer.echo(f"deepdream: error: {message}{where}.", err=True)
        return 2
    except click.ClickException as e:
        typer.echo(f"deepdream: error: {' '.join(e.format_message().split())}", err=True)
        return e.exit_code
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    if code == 130:
        typer.echo(f"deepdream: interrupted; {_interrupted[0]}.", err=True)
    return code if isinstance(code, int) else 0


def main() -> None:
    """Entry point: `run` the command line and exit with its code."""
    sys.exit(run())
