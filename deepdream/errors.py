"""Errors a user can cause. The message is the sentence the user reads; the CLI prints it on one line."""

from __future__ import annotations

import difflib


class DeepDreamError(Exception):
    """An error caused by the user's input: the message says what was wrong and what to do."""


class InputError(DeepDreamError):
    """An input file is missing, unreadable, not an image, truncated or too large."""


class OutputError(DeepDreamError):
    """The output path cannot be written as asked."""


class SettingsError(DeepDreamError):
    """An option has a value that cannot work (zero steps, an unknown layer, ...)."""


class RenderError(DeepDreamError):
    """A long render could not finish (its workers kept dying); what it made is kept, and running
    the same command again goes on from there. The command exits with 1, not 2: the input was fine."""


class WeightsError(DeepDreamError):
    """A backbone's weights file is missing, of the wrong format, or of another network."""


def nearest(name: str, choices, n: int = 5) -> list[str]:
    """The n choices most like name, closest first (for errors that list a few names, never all)."""
    return difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=0.0)


def suggest(name: str, choices) -> str:
    """' Did you mean X?' for the closest of choices, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""
