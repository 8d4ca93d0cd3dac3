"""`deepdream layers`, `backbones` and `weights`: what networks there are and where their weights are."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import DreamSettings
from .app import Command, Group, _quiet_tensorflow
from .options import setting

D = DreamSettings


def layers(
    backbone: Annotated[str, setting(D, "backbone", "-b", "--backbone", metavar="NAME")] = D.default("backbone"),
    weights: Annotated[Path | None, setting(D, "weights", metavar="FILE")] = None,
) -> None:
    """List a backbone's layers: name, channels, and scale (input pixels per feature position)."""
    from ..backbones import load_backbone

    _quiet_tensorflow()
    net = load_backbone(backbone, weights)
    defaults = {name for name, _ in net.default_layers}
    width = max([16] + [len(info.name) for info in net.catalog])
    typer.echo(f"{'layer':<{width}} {'channels':>8} {'scale':>6}")
    for info in net.catalog:
        mark = "  (default)" if info.name in defaults else ""
        typer.echo(f"{info.name:<{width}} {info.channels:>8} {info.stride:>6}{mark}")


def backbones() -> None:
    """List the backbones and whether their weights are available now."""
    from .. import backbones as registry

    width = max(len(name) for name in registry.names())
    for name in registry.names():
        module = registry.module(name)
        status = registry.weights_status(name)
        state = "ready" if status.available else "weights missing"
        typer.echo(f"{name:<{width}}  {state:<16} {module.DESCRIPTION}")
        typer.echo(f"{'':<{width}}  {status.where}")


weights_app = typer.Typer(
    cls=Group,
    help="The backbones' weights files: list what each needs and where it is, or add a file.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def _print_weights() -> None:
    from ..backbones import names
    from ..backbones.weights import describe, user_weights_dir

    typer.echo(f"weights folder: {user_weights_dir()} (set DEEPDREAM_WEIGHTS_DIR to change it)")
    for name in names():
        r = describe(name)
        state = "embedded" if r.embedded and r.available else "ready" if r.available else "missing"
        typer.echo(f"\n{name:<18} {state:<9} {r.filename}")
        if r.available:
            typer.echo(f"  found:      {r.path}")
            typer.echo(f"  size:       {r.size:,} bytes, sha256 {r.sha256}")
        else:
            typer.echo(f"  looked in:  {', '.join(str(f) for f in r.looked_in) or '-'}")
        if not r.embedded:
            known = [f"{r.expected_size:,} bytes" if r.expected_size else "size unknown"]
            if r.expected_hash:
                known.append(f"{'md5' if len(r.expected_hash) == 32 else 'sha256'} {r.expected_hash}")
            typer.echo(f"  published:  {', '.join(known)}")
        typer.echo(f"  get it:     {r.how}")


@weights_app.callback()
def weights_main(ctx: typer.Context) -> None:
    """List every backbone's weights file: where it was found (size, SHA-256), or where it is looked for and how
    to get it."""
    if ctx.invoked_subcommand is None:
        _print_weights()


@weights_app.command("list", cls=Command)
def weights_list() -> None:
    """List every backbone's weights file (the same as `deepdream weights`)."""
    _print_weights()


@weights_app.command("add", cls=Command)
def weights_add(
    file: Annotated[
        Path,
        typer.Argument(
            help="The weights file, e.g. tensorflow_inception_graph.pb from inception5h.zip.", show_default=False
        ),
    ],
    backbone: Annotated[
        str | None,
        typer.Option(
            "-b", "--backbone", help="The backbone it is for (default: told by the file's content).", show_default=False
        ),
    ] = None,
) -> None:
    """Check a weights file (by loading it) and copy it into the weights folder, where every later run finds it,
    offline too."""
    from ..backbones.weights import add, check_adding

    check_adding(file, backbone)  # before the slow TensorFlow import
    _quiet_tensorflow()
    added = add(file, backbone)
    for warning in added.warnings:
        typer.echo(f"deepdream: warning: {warning}", err=True)
    what = {"added": "added", "replaced": "replaced", "unchanged": "already had"}[added.action]
    typer.echo(f"{added.backbone}: {what} {added.path} ({added.size:,} bytes, sha256 {added.sha256})")
