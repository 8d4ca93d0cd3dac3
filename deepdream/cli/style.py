"""`deepdream style` and `deepdream texture`: Gatys style transfer and texture synthesis.

Each command builds its settings once from the options the user typed (None: not given, so the
settings' default applies), reads and checks every input before loading a network, and passes the
settings down; the picture it writes carries them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import StyleSettings, TextureSettings
from .app import _quiet_tensorflow
from .common import check_save_every, given_settings, output_path, save_dry_run, save_result, snapshot_saver
from .options import DryRun, InputImage, Overwrite, Quiet, SaveEvery, SettingsFile, output_option, with_settings


@with_settings(StyleSettings, into="options")
def style(
    input: InputImage,
    output: Annotated[Path | None, output_option("style")] = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    options: dict = None,
) -> None:
    """Style transfer (Gatys et al.): repaint INPUT in the style of one or more --style images."""
    from ..errors import SettingsError
    from ..images import LoadedImage
    from ..progress import style_progress
    from ..style import prepare_style, run_style

    settings = given_settings(StyleSettings, settings_file, options)
    if not settings.styles:
        raise SettingsError(
            "Give a style picture with -s/--style FILE (or --settings FILE: a picture deepdream styled)."
        )
    check_save_every(save_every)
    inputs = prepare_style(input, settings)
    paths = [Path(p) for p in (input, *settings.files())]
    output, overwrite = output_path(input, output, "style", paths, overwrite, quiet)
    for note in inputs.notes:
        typer.echo(f"deepdream: note: {note}", err=True)
    _quiet_tensorflow()
    if dry_run:
        from ..style.transfer import check_layers

        check_layers(inputs, settings)
        save_dry_run(
            output,
            f"{inputs.size[1]}x{inputs.size[0]}, {settings.backbone}, {len(settings.styles)} "
            f"style{'s' * (len(settings.styles) != 1)}, {settings.iterations} {settings.optimizer} "
            f"iterations",
            save_every,
        )
        return
    saver = snapshot_saver(output, paths, settings, input) if save_every else None
    with style_progress(quiet, "styling", saver, save_every) as progress:
        rgb = run_style(inputs, settings, progress)
    save_result(
        LoadedImage(rgb, inputs.content.alpha, "RGB"), output, settings.to_json(input=str(input)), overwrite, quiet
    )


@with_settings(TextureSettings, into="options", helps={"style_weight": "Weight of the style (texture) term."})
def texture(
    input: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Texture sample to grow a new texture from.", show_default=False)
    ],
    output: Annotated[Path | None, output_option("texture")] = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    options: dict = None,
) -> None:
    """Texture synthesis (Gatys et al.): grow a new texture of any size from a sample."""
    from ..images import LoadedImage
    from ..progress import style_progress
    from ..style import prepare_texture, run_texture

    settings = given_settings(TextureSettings, settings_file, options)
    check_save_every(save_every)
    inputs = prepare_texture(input, settings)
    paths = [Path(p) for p in (input, *settings.files())]
    output, overwrite = output_path(input, output, "texture", paths, overwrite, quiet)
    _quiet_tensorflow()
    if dry_run:
        from ..style.transfer import check_layers

        check_layers(inputs, settings)
        save_dry_run(
            output,
            f"{inputs.size[1]}x{inputs.size[0]}, {settings.backbone}, {settings.iterations} "
            f"{settings.optimizer} iterations",
            save_every,
        )
        return
    saver = snapshot_saver(output, paths, settings, input) if save_every else None
    with style_progress(quiet, "texture", saver, save_every) as progress:
        rgb = run_texture(inputs, settings, progress)
    save_result(LoadedImage(rgb, None, "RGB"), output, settings.to_json(input=str(input)), overwrite, quiet)
