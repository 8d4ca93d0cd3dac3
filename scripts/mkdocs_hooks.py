"""MkDocs hooks (mkdocs.yml `hooks:`): the command-line reference page is generated from the command
line itself, which is generated from the settings, so the settings are the only source of every
option's name, default and help. A page holding the line `<!-- deepdream:cli-reference -->` gets,
in its place, one section per command: its summary, its usage and a table of its options (grouped
as `--help` groups them). `<!-- deepdream:python-reference -->` becomes the API reference of every
name the package exports (mkdocstrings reads their docstrings).

`python scripts/mkdocs_hooks.py` prints the generated Markdown.
"""

from __future__ import annotations

import re

MARKER = "<!-- deepdream:cli-reference -->"
#: Where the Python reference goes: one mkdocstrings block per name the package exports.
PYTHON_MARKER = "<!-- deepdream:python-reference -->"
#: Typer appends the default to the help text it shows; the table gives it a column of its own.
_DEFAULT = re.compile(r"\s*\[default: (.*?)\]\s*$", re.S)


def _is_argument(param) -> bool:
    return param.param_type_name == "argument"


def _context(command, path: str):
    """A click context for `command` (of the click that built it)."""
    return type(command).context_class(command, info_name=path)


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _names(param) -> str:
    """`-o, --output FILE`, `--preserve-colors / --no-preserve-colors`, or an argument's metavar."""
    if _is_argument(param):
        return f"`{param.metavar or param.name.upper()}`"
    names = ", ".join(param.opts)
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    if param.metavar and not param.is_flag:
        names += f" {param.metavar}"
    return f"`{names}`"


def _default(param) -> tuple[str, str]:
    """(help without its default, the default shown) for one parameter."""
    text = getattr(param, "help", None) or ""
    found = _DEFAULT.search(text)
    if found:
        return text[: found.start()], f"`{found.group(1)}`"
    if _is_argument(param):
        return text, "required" if param.required else "optional"
    if getattr(param, "is_flag", False) and not param.secondary_opts:
        return text, "off"
    return text, "" if param.default in (None, (), []) else f"`{param.default}`"


def _rows(command) -> list[tuple[str, list[str]]]:
    """The command's parameters as table rows, grouped by their help panel (in order of first use)."""
    groups: dict[str, list[str]] = {}
    for param in command.params:
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        panel = getattr(param, "rich_help_panel", None)
        panel = panel or ("Arguments" if _is_argument(param) else "Options")
        text, default = _default(param)
        groups.setdefault(panel, []).append(f"| {_names(param)} | {_cell(default)} | {_cell(text)} |")
    return list(groups.items())


def _section(path: str, command) -> list[str]:
    """One command's section: heading, summary, usage, option tables."""
    ctx = _context(command, path)
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [f"## `{path}`", "", _cell(command.help or command.short_help or ""), "", "```", f"{path} {usage}", "```"]
    for panel, rows in _rows(command):
        lines += ["", f"**{panel}**", "", "| option | default | what it does |", "| --- | --- | --- |", *rows]
    return [*lines, ""]


def cli_reference() -> str:
    """The Markdown of every `deepdream` command, subcommands included, in the order `--help` lists them."""
    import typer

    from deepdream.cli import app

    root = typer.main.get_command(app)
    out: list[str] = []

    def visit(path: str, command) -> None:
        if hasattr(command, "list_commands"):  # a group (Typer may carry a click of its own: no isinstance)
            ctx = _context(command, path)
            if path != "deepdream" and command.callback is not None:
                out.extend(_section(path, command))
            for name in command.list_commands(ctx):
                visit(f"{path} {name}", command.get_command(ctx, name))
        else:
            out.extend(_section(path, command))

    visit("deepdream", root)
    return "\n".join(out)


def python_reference() -> str:
    """A mkdocstrings block (`::: deepdream.NAME`) for each name of `deepdream.__all__`, in its order."""
    import deepdream

    return "\n\n".join(f"::: deepdream.{name}" for name in deepdream.__all__ if not name.startswith("_"))


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    """MkDocs hook: put the generated references where a page asks for them."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, cli_reference())
    if PYTHON_MARKER in markdown:
        markdown = markdown.replace(PYTHON_MARKER, python_reference())
    return markdown


if __name__ == "__main__":
    print(cli_reference())
