"""The program's version, alone: the one place it is written (pyproject.toml reads it from here), so
that settings, motion and the web server need not import the package root for it."""

__version__ = "0.2.0"
