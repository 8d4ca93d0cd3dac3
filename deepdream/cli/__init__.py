"""The `deepdream` command. It parses, builds settings and reports; the engine does the maths.

Each group of commands is a module of this package registering on `app`; options shared by several
commands are declared once in `options`.
"""

from . import batch, classes, dream, models, motion, serve, style  # noqa: F401  (register the commands)
from .app import MAX_ARGUMENT, app, default_output, main, next_free, on_interrupt, run

__all__ = ["app", "run", "main", "next_free", "default_output", "on_interrupt", "MAX_ARGUMENT"]
