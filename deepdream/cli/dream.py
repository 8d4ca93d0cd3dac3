"""`deepdream dream`: dream on a picture."""

from __future__ import annotations

import typer

from ..settings import DreamSettings
from .common import (
    check_save_every,
    describe,
    given_settings,
    output_path,
    save_result,
    snapshot_saver,
)
from .common import (
    save_dry_run as say_dry_run,
)
from .options import DryRun, InputImage, Output, Overwrite, Quiet, SaveEvery, SettingsFile, with_settings


@with_settings(DreamSettings)
def dream(
    input: InputImage,
    output: Output = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Dream on an image: amplify what the network sees in it, octave by octave."""
    from ..images import fit_max_side, load_image
    from ..progress import dream_progress
    from ..render.prepare import prepare

    settings = given_settings(DreamSettings, settings_file, dream_options)
    check_save_every(save_every)
    loaded = load_image(input)
    inputs = [input, *settings.files()]
    output, overwrite = output_path(input, output, "dream", inputs, overwrite, quiet)
    if settings.max_side is not None:
        loaded = fit_max_side(loaded, settings.max_side)
    if dry_run:
        from ..render.prepare import check

        check(settings)
        height, width = loaded.rgb.shape[:2]
        say_dry_run(output, f"{width}x{height}, {describe(settings)}", save_every)
        return
    saver = snapshot_saver(output, inputs, settings, input.name) if save_every else None
    with dream_progress(quiet, "dreaming", saver, save_every) as progress:
        dreamer = prepare(settings, like=loaded, progress=progress)
        result = dreamer.run(loaded, progress=progress)
    if settings.auto_layer and not quiet:
        typer.echo(f"deepdream: guided at layer {dreamer.settings.layers[0]} (auto)", err=True)
    save_result(result, output, dreamer.settings.to_json(input=input.name), overwrite, quiet)


def presets() -> None:
    """List the presets `--preset NAME` takes: name, what it is for, the settings it sets."""
    from ..settings import PRESETS

    for preset in PRESETS.values():
        typer.echo(preset.line())
