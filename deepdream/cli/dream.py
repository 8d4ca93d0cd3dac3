"""`deepdream dream`: dream on a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..settings import DreamSettings
from . import app, default_output
from .options import (Backbone, InputImage, MaxSide, Output, Overwrite, Paths, Quiet, SaveEvery, Seed, SettingsFile,
                      Strings, TileSize, Weights, setting)

S = DreamSettings


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
def dream(
    input: InputImage,
    output: Output = None,
    layer: Annotated[Strings, setting(S, "layers", "-l", "--layer", metavar="SPEC")] = None,
    backbone: Annotated[Optional[str], setting(S, "backbone", "-b", "--backbone", metavar="NAME")] = None,
    weights: Weights = None,
    octaves: Annotated[Optional[int], setting(S, "octaves", metavar="N")] = None,
    octave_scale: Annotated[Optional[float], setting(S, "octave_scale", metavar="S")] = None,
    steps: Annotated[Optional[int], setting(S, "steps", metavar="N")] = None,
    step_size: Annotated[Optional[float], setting(S, "step_size", metavar="X")] = None,
    normalize: Annotated[Optional[str], setting(S, "normalize", metavar="RULE")] = None,
    jitter: Annotated[Optional[int], setting(S, "jitter", metavar="PIXELS")] = None,
    scale_jitter: Annotated[Optional[float], setting(S, "scale_jitter", metavar="F")] = None,
    rotate_jitter: Annotated[Optional[float], setting(S, "rotate_jitter", metavar="DEGREES")] = None,
    preserve_colors: Annotated[bool, setting(S, "preserve_colors")] = False,
    mask: Annotated[Optional[Path], setting(S, "mask", metavar="FILE")] = None,
    guide: Annotated[Paths, setting(S, "guide", metavar="FILE")] = None,
    guide_size: Annotated[Optional[int], setting(S, "guide_size", metavar="PIXELS")] = None,
    target_class: Annotated[Optional[str], setting(S, "target_class", metavar="NAME_OR_INDEX")] = None,
    tile_size: TileSize = None,
    precision: Annotated[Optional[str], setting(S, "precision", metavar="P")] = None,
    tile_batch: Annotated[Optional[int], setting(S, "tile_batch", metavar="N")] = None,
    seed: Seed = None,
    max_side: MaxSide = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Dream on an image: amplify what the network sees in it, octave by octave."""
    from .. import images
    from ..errors import SettingsError
    from ..progress import dream_progress
    from ..render.dreamer import prepare

    settings = given_settings(DreamSettings, settings_file, dict(
        layers=layer, backbone=backbone, weights=weights, octaves=octaves, octave_scale=octave_scale,
        steps=steps, step_size=step_size, normalize=normalize, jitter=jitter, scale_jitter=scale_jitter,
        rotate_jitter=rotate_jitter, preserve_colors=preserve_colors, mask=mask, guide=guide,
        guide_size=guide_size, target_class=target_class, tile_size=tile_size, precision=precision, tile_batch=tile_batch, seed=seed,
        max_side=max_side))
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
