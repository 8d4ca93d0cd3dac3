"""What running the `deepdream` command means: its app (grouped help, the version), one-line
errors with exit codes, Ctrl-C saying what was kept, default output names. Command modules import
this module, never the package; the package builds the app from them (`deepdream.cli`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
import typer.core

from .._tf import quiet_tensorflow
from .._version import __version__
from ..errors import DeepDreamError, RenderError

#: The help's groups of options, in the order `--help` shows them: the settings' own groups (see
#: `settings.base.GROUPS`), then the command's own input and output, then the rest.
INPUT_AND_OUTPUT = "Input and output"


def summary(command) -> str:
    """A command's line in `deepdream --help`: its short help, else the first sentence of its help,
    whole (a sentence ends at a full stop before a capital letter or at the paragraph's end)."""
    if command.short_help:
        return command.short_help
    paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    return re.split(r"(?<=\.) (?=[A-Z])", paragraph, maxsplit=1)[0]


def _ranked(panels: dict, order) -> list:
    """The panels' (name, rows) in `order`, then the others as they came."""
    known = [name for name in order if name in panels]
    return [(name, panels[name]) for name in known + [n for n in panels if n not in known]]


class Group(typer.core.TyperGroup):
    """The app's (and `weights`') help: commands listed in their groups (`rich_help_panel`), each
    with its whole summary."""

    def format_commands(self, ctx, formatter) -> None:
        panels: dict[str, list] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                panels.setdefault(command.rich_help_panel or "Commands", []).append((name, summary(command)))
        for panel, rows in panels.items():
            with formatter.section(panel):
                formatter.write_dl(rows)


def _name(argument) -> str:
    """An argument as the help names it: its metavar (INPUT), else its name in capitals."""
    return argument.metavar or argument.name.upper()


class Command(typer.core.TyperCommand):
    """A command's help: its arguments by name (INPUT, no Python type), then its options in their
    groups (`rich_help_panel`: the settings' groups first, in `panel_order`)."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _name(param) + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        from ..settings.base import GROUPS

        arguments, panels = [], {}
        for param in self.get_params(ctx):
            if param.param_type_name == "argument" and not param.hidden:
                required = "  [required]" if param.required else ""
                arguments.append((_name(param), f"{param.help or ''}{required}".strip()))
            elif param.param_type_name == "option":
                record = param.get_help_record(ctx)
                if record is not None:
                    panels.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        for panel, rows in _ranked(panels, (*GROUPS, INPUT_AND_OUTPUT)):
            with formatter.section(panel):
                formatter.write_dl(rows)


HELP = (
    "Neural-network art from the terminal: DeepDream, class paintings, guided dreams, style transfer, "
    "zooms and videos, batches, and a web studio."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepdream {__version__}")
        raise typer.Exit()


def _main(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    pass


def new_app() -> typer.Typer:
    """The `deepdream` app with no command yet (`deepdream.cli` adds them): plain help, -h, --version."""
    app = typer.Typer(
        cls=Group,
        help=HELP,
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_main)
    return app


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


def run(app: typer.Typer, args=None) -> int:
    """Run `app` on the command line `args` (default: sys.argv[1:]) and return its exit code: 0
    done, 1 a batch with failures or a RenderError, 2 a user's error (a DeepDreamError, or an option
    typed wrong: one line on stderr, no box, no traceback), 130 interrupted (Ctrl-C: one line saying
    what was kept)."""
    words = sys.argv[1:] if args is None else list(args)
    _interrupted[0] = "nothing written"
    try:
        _check_lengths(words)
        code = app(args=args, prog_name="deepdream", standalone_mode=False)
    except DeepDreamError as e:
        typer.echo(f"deepdream: error: {e}", err=True)
        return 1 if isinstance(e, RenderError) else 2
    except typer.BadParameter as e:
        typer.echo(f"deepdream: error: {_bad_value(e, words)}", err=True)
        return 2
    except typer.TyperException as e:  # Typer's usage errors and the help of a group given no command
        return _usage(e)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    if code == 130:
        typer.echo(f"deepdream: interrupted; {_interrupted[0]}.", err=True)
    return code if isinstance(code, int) else 0


def _usage(e) -> int:
    """Say a usage error in one line (`...; see `deepdream dream --help`.`), or show the help that a
    group given no command answers with; another error of Typer's is said as it is."""
    exit_code = getattr(e, "exit_code", 1)
    if not hasattr(e, "ctx"):
        typer.echo(f"deepdream: error: {' '.join(e.format_message().split())}", err=True)
        return exit_code
    if e.ctx is not None and e.format_message() == e.ctx.get_help():
        typer.echo(e.ctx.get_help(), err=True)
        return exit_code
    where = f"; see `{e.ctx.command_path} --help`" if e.ctx is not None else ""
    message = " ".join(e.format_message().split()).rstrip(".")
    typer.echo(f"deepdream: error: {message}{where}.", err=True)
    return exit_code
