"""The `deepdream` command. It parses, builds settings and reports; the engine does the maths.

Each group of commands is a module of this package holding plain functions (or, for `weights`, a
sub-app); `build` adds them to the app, grouped as `deepdream --help` lists them. Options shared by
several commands are declared once in `options`.
"""

from __future__ import annotations

import sys

import typer

from . import app as _app
from . import batch, classes, dream, models, motion, serve, style
from .app import MAX_ARGUMENT, Command, default_output, next_free, on_interrupt

#: The commands by group of `deepdream --help`, in the order listed: (group, [(name, function)]).
COMMANDS = (
    (
        "Render",
        [
            ("dream", dream.dream),
            ("class", classes.paint),
            ("visualize", classes.visualize),
            ("style", style.style),
            ("texture", style.texture),
        ],
    ),
    ("Motion", [("zoom", motion.zoom), ("video", motion.video)]),
    ("Many pictures", [("batch", batch.batch), ("gallery", batch.gallery)]),
    (
        "Inspect",
        [
            ("presets", dream.presets),
            ("layers", models.layers),
            ("backbones", models.backbones),
            ("classes", classes.classes),
        ],
    ),
    ("Serve", [("serve", serve.serve)]),
)
#: Sub-apps: (group, name, app).
GROUPS = (("Inspect", "weights", models.weights_app),)


def build() -> typer.Typer:
    """The `deepdream` app with every command added, in its group."""
    made = _app.new_app()
    for group, commands in COMMANDS:
        for name, function in commands:
            made.command(name, cls=Command, rich_help_panel=group)(function)
        for sub_group, name, sub_app in GROUPS:
            if sub_group == group:
                made.add_typer(sub_app, name=name, rich_help_panel=group)
    return made


app = build()


def run(args=None) -> int:
    """Run the command line `args` (default: sys.argv[1:]); its exit code (see `app.run`)."""
    return _app.run(app, args)


def main() -> None:
    """Entry point: `run` the command line and exit with its code."""
    sys.exit(run())


__all__ = ["app", "build", "run", "main", "next_free", "default_output", "on_interrupt", "MAX_ARGUMENT"]
