"""`deepdream style` and `deepdream texture`: Gatys style transfer and texture synthesis.

Each command builds its settings once from the options the user typed (None: not given, so the
settings' default applies), reads and checks every input before loading a network, and passes the
settings down; the picture it writes carries them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..settings import StyleSettings, TextureSettings
from . import _quiet_tensorflow, app
from .common import check_save_every, given_settings, output_path, save_dry_run, save_result, snapshot_saver
from .options import DryRun, InputImage, MaxSide, Overwrite, Quiet, SaveEvery, Seed, SettingsFile, StyleOutput, \
    TextureOutput, TileSize, Weights, setting

S, T = StyleSettings, TextureSettings
Strings = Optional[List[str]]


@app.command()
def style(
    input: InputImage,
    style_image: Annotated[Optional[List[Path]], setting(S, "styles", "-s", "--style", metavar="FILE")] = None,
    output: StyleOutput = None,
    style_blend: Annotated[Optional[str], setting(S, "style_blend", metavar="W,W")] = None,
    mask: Annotated[Optional[List[Path]], setting(S, "masks", metavar="FILE")] = None,
    backbone: Annotated[Optional[str], setting(S, "backbone", "-b", "--backbone", metavar="NAME")] = None,
    weights: Weights = None,
    content_layer: Annotated[Strings, setting(S, "content_layers", metavar="SPEC")] = None,
    style_layer: Annotated[Strings, setting(S, "style_layers", metavar="SPEC")] = None,
    content_weight: Annotated[Optional[float], setting(S, "content_weight", metavar="W")] = None,
    style_weight: Annotated[Optional[float], setting(S, "style_weight", metavar="W")] = None,
    tv_weight: Annotated[Optional[float], setting(S, "tv_weight", metavar="W")] = None,
    optimizer: Annotated[Optional[str], setting(S, "optimizer", metavar="NAME")] = None,
    iterations: Annotated[Optional[int], setting(S, "iterations", metavar="N")] = None,
    learning_rate: Annotated[Optional[float], setting(S, "learning_rate", metavar="LR")] = None,
    init: Annotated[Optional[str], setting(S, "init", metavar="FROM")] = None,
    preserve_colors: Annotated[Optional[bool], setting(S, "preserve_colors",
                                                       "--preserve-colors/--no-preserve-colors")] = None,
    style_scale: Annotated[Optional[float], setting(S, "style_scale", metavar="S")] = None,
    scales: Annotated[Optional[int], setting(S, "scales", metavar="N")] = None,
    tile_size: TileSize = None,
    max_side: MaxSide = None,
    seed: Seed = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    """Style transfer (Gatys et al.): repaint INPUT in the style of one or more --style images."""
    from .. import images
    from ..errors import SettingsError
    from ..progress import style_progress
    from ..style import prepare_style, run_style

    settings = given_settings(StyleSettings, settings_file, dict(
        styles=style_image, style_blend=style_blend, masks=mask, backbone=backbone, weights=weights,
        content_layers=content_layer, style_layers=style_layer, content_weight=content_weight,
        style_weight=style_weight, tv_weight=tv_weight, optimizer=optimizer, iterations=iterations,
        learning_rate=learning_rate, init=init, preserve_colors=preserve_colors, style_scale=style_scale,
        scales=scales, tile_size=tile_size, max_side=max_side, seed=seed))
    if not settings.styles:
        raise SettingsError("Give a style picture with -s/--style FILE (or --settings FILE: a picture deepdream styled).")
    check_save_every(save_every)
    inputs = prepare_style(input, settings)
    paths = [Path(p) for p in (input, *settings.styles, *settings.masks) if isinstance(p, (str, Path))]
    output = output_path(input, output, "style", paths, overwrite, quiet)
    for note in inputs.notes:
        typer.echo(f"deepdream: note: {note}", err=True)
    _quiet_tensorflow()
    if dry_run:
        from ..style.transfer import check_layers

        check_layers(inputs, settings)
        save_dry_run(output, f"{inputs.size[1]}x{inputs.size[0]}, {settings.backbone}, {len(settings.styles)} "
                             f"style{'s' * (len(settings.styles) != 1)}, {settings.iterations} {settings.optimizer} "
                             f"iterations", save_every)
        return
    saver = snapshot_saver(output, paths, settings, input) if save_every else None
    with style_progress(quiet, "styling", saver, save_every) as progress:
        rgb = run_style(inputs, settings, progress)
    save_result(images.LoadedImage(rgb, inputs.content.alpha, "RGB"), output, settings.to_json(input=str(input)),
                overwrite, quiet)


@app.command()
def texture(
    input: Annotated[Path, typer.Argument(metavar="INPUT", help="Texture sample to grow a new texture from.",
                                          show_default=False)],
    size: Annotated[Optional[str], setting(T, "size", metavar="WxH")] = None,
    output: TextureOutput = None,
    backbone: Annotated[Optional[str], setting(T, "backbone", "-b", "--backbone", metavar="NAME")] = None,
    weights: Weights = None,
    style_layer: Annotated[Strings, setting(T, "style_layers", metavar="SPEC")] = None,
    style_weight: Annotated[Optional[float], setting(T, "style_weight", metavar="W", help="Weight of the style (texture) term.")] = None,
    tv_weight: Annotated[Optional[float], setting(T, "tv_weight", metavar="W")] = None,
    optimizer: Annotated[Optional[str], setting(T, "optimizer", metavar="NAME")] = None,
    iterations: Annotated[Optional[int], setting(T, "iterations", metavar="N")] = None,
    learning_rate: Annotated[Optional[float], setting(T, "learning_rate", metavar="LR")] = None,
    init: Annotated[Optional[str], setting(T, "init", metavar="FROM")] = None,
    sample_scale: Annotated[Optional[float], setting(T, "sample_scale", metavar="S")] = None,
    scales: Annotated[Optional[int], setting(T, "scales", metavar="N")] = None,
    tile_size: TileSize = None,
    seed: Seed = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
) -> None:
    """Texture synthesis (Gatys et al.): grow a new texture of any size from a sample."""
    from .. import images
    from ..progress import style_progress
    from ..style import prepare_texture, run_texture

    settings = given_settings(TextureSettings, settings_file, dict(
        size=size, backbone=backbone, weights=weights, style_layers=style_layer, style_weight=style_weight,
        tv_weight=tv_weight, optimizer=optimizer, iterations=iterations, learning_rate=learning_rate, init=init,
        sample_scale=sample_scale, scales=scales, tile_size=tile_size, seed=seed))
    check_save_every(save_every)
    inputs = prepare_texture(input, settings)
    paths = [input] + ([Path(settings.init)] if settings.init != "noise" else [])
    output = output_path(input, output, "texture", paths, overwrite, quiet)
    _quiet_tensorflow()
    if dry_run:
        from ..style.transfer import check_layers

        check_layers(inputs, settings)
        save_dry_run(output, f"{inputs.size[1]}x{inputs.size[0]}, {settings.backbone}, {settings.iterations} "
                             f"{settings.optimizer} iterations", save_every)
        return
    saver = snapshot_saver(output, paths, settings, input) if save_every else None
    with style_progress(quiet, "texture", saver, save_every) as progress:
        rgb = run_texture(inputs, settings, progress)
    save_result(images.LoadedImage(rgb, None, "RGB"), output, settings.to_json(input=str(input)), overwrite, quiet)
