"""`deepdream dream`: dream on a picture."""

from __future__ import annotations

from pathlib import Path

import typer

from ..settings import DreamSettings
from . import app, default_output
from .options import InputImage, Output, Overwrite, Quiet, SaveEvery, SettingsFile, with_dream_options


def given_settings(cls, settings_file: Path | None, options: dict) -> "DreamSettings":
    """Settings from `--settings FILE` (if given) overridden by the options the user typed (those
    not None and not empty), validated once."""
    from ..errors import SettingsError
    from ..settings import read_settings_file

    base: dict = {}
    if settings_file is not None:
        mode, base = read_settings_file(settings_file)
        if mode and mode != cls.mode:
            raise SettingsError(f"'{settings_file}' holds {mode} settings; use them with `deepdream {mode}`.")
    typed = {k: v for k, v in options.items() if v is not None and v != [] and v is not False}
    return cls.from_dict(base, **typed)


def output_path(input: Path, output: Path | None, mode: str, inputs, overwrite: bool, quiet: bool) -> Path:
    """The output: -o as given (checked: not an input, not existing without --overwrite), else the
    next free INPUT_MODE[_N].png beside the input."""
    from .. import images

    output = output or default_output(input, mode, echo=not quiet)
    images.check_output_path(output, inputs=inputs, overwrite=overwrite)
    return output


def snapshot_saver(output: Path, inputs):
    """save(n, rgb) writing OUTPUT_0050.png beside the output (atomically), for --save-every."""
    from .. import images

    def save(count: int, rgb) -> None:
        path = output.with_name(f"{output.stem}_{count:04d}{output.suffix}")
        images.check_output_path(path, inputs=inputs, overwrite=True)
        images.save_image(rgb, path, overwrite=True)

    return save


def save_result(result, output: Path, metadata: str, overwrite: bool, quiet: bool) -> None:
    """Write the result (alpha kept where the format has it, said when it cannot be) with its settings."""
    from .. import images

    fmt = images.OUTPUT_FORMATS[output.suffix.lower()]
    if result.alpha is not None and fmt not in images.ALPHA_FORMATS and not quiet:
        typer.echo(f"deepdream: note: {fmt} has no transparency; the input's alpha channel is dropped "
                   f"(write .png, .webp or .tif to keep it).", err=True)
    images.save_image(result.rgb, output, alpha=result.alpha, overwrite=overwrite, metadata=metadata)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)


@app.command()
@with_dream_options(DreamSettings)
def dream(
    input: InputImage,
    output: Output = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Dream on an image: amplify what the network sees in it, octave by octave."""
    from .. import images
    from ..errors import SettingsError
    from ..progress import dream_progress
    from ..render.dreamer import prepare

    settings = given_settings(DreamSettings, settings_file, dream_options)
    if save_every is not None and save_every < 1:
        raise SettingsError(f"--save-every must be at least 1 (got {save_every}).")
    loaded = images.load_image(input)
    inputs = [input, *settings.guide, *([settings.mask] if settings.mask else [])]
    output = output_path(input, output, "dream", inputs, overwrite, quiet)
    if settings.max_side is not None:
        loaded = images.fit_max_side(loaded, settings.max_side)
    saver = snapshot_saver(output, inputs) if save_every else None
    with dream_progress(quiet, "dreaming", saver, save_every) as progress:
        dreamer = prepare(settings, like=loaded, progress=progress)
        result = dreamer.run(loaded, progress=progress)
    if settings.auto_layer and not quiet:
        typer.echo(f"deepdream: guided at layer {dreamer.settings.layers[0]} (auto)", err=True)
    save_result(result, output, dreamer.settings.to_json(input=input.name), overwrite, quiet)
