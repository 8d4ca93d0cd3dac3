"""The name deepdream is installed by from the package index (the import package and the command are
`deepdream`; the index's `deepdream` is an unrelated project), and the install lines that name it."""

from __future__ import annotations

#: The distribution's name on the package index (pyproject.toml's [project] name).
DISTRIBUTION = "deepdream-studio"


def extra_hint(extra: str) -> str:
    """How to install an optional extra: from the index, and from a clone."""
    return f'pip install "{DISTRIBUTION}[{extra}]" (or pip install ".[{extra}]" from a clone)'
