"""`deepdream class` (paint an ImageNet class from noise) and `deepdream classes` (list them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import ClassSettings, VisualizeSettings
from .app import next_free
from .common import check_save_every, given_settings, may_replace, save_dry_run, save_result, snapshot_saver
from .options import DryRun, Overwrite, Quiet, SaveEvery, SettingsFile, output_option, setting, with_settings


def _paint(
    settings, output: Path | None, stem: str, save_every, overwrite: bool, quiet: bool, dry_run: bool, what: str
) -> None:
    """Paint from noise with a progress bar (--save-every snapshots) and write the picture (to
    STEM.png, or the next free name, without -o); with --dry-run, check everything and say what
    would be written."""
    from ..images import LoadedImage, save_image
    from ..progress import dream_progress
    from ..render.param import check_painting, prepare_painting

    if output is None:
        output = Path(f"{stem}.png") if overwrite else next_free(Path(f"{stem}.png"), echo=False)
    check_save_every(save_every)
    alpha_file = settings.alpha_file(output)
    if alpha_file is not None:
        may_replace(alpha_file, [], overwrite, quiet)
    overwrite = may_replace(output, [], overwrite, quiet)
    if dry_run:
        check_painting(settings)
        what = f"{settings.size}, {settings.backbone}, {what}, painted from noise in {settings.steps} steps"
        save_dry_run(output, what + (f"; its transparency map in {alpha_file}" if alpha_file else ""), save_every)
        return
    saver = snapshot_saver(output, [], settings) if save_every else None
    with dream_progress(quiet, "painting", saver, save_every) as progress:
        painting = prepare_painting(settings, progress=progress)
        rgb = painting.run(progress=progress)
    alpha = painting.transparency() if settings.alpha != "none" else None
    channel = alpha if settings.alpha == "channel" else None
    picture = LoadedImage(rgb, channel, "RGB" if channel is None else "RGBA")
    save_result(picture, output, settings.to_json(), overwrite, quiet)
    if alpha_file is not None:
        save_image(alpha, alpha_file, overwrite=True, metadata=settings.to_json())
        if not quiet:
            typer.echo(f"wrote {alpha_file}", err=True)


@with_settings(ClassSettings, skip=("target_class", "size"))
def paint(
    target_class: Annotated[
        str,
        typer.Argument(
            metavar="NAME_OR_INDEX",
            show_default=False,
            help='ImageNet class: a name ("golden retriever") or a number (0-999).',
        ),
    ],
    output: Annotated[Path | None, output_option("class", "the class's name, e.g. golden_retriever")] = None,
    size: Annotated[str | None, setting(ClassSettings, "size", metavar="WxH")] = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Paint an ImageNet class from noise (class visualisation), e.g. deepdream class "golden retriever"."""
    settings = given_settings(
        ClassSettings, settings_file, {**dream_options, "target_class": target_class, "size": size}
    )
    from ..classes import class_index, described, imagenet_classes

    index = class_index(settings.target_class)
    stem = imagenet_classes()[index].replace(" ", "_").replace("/", "_")
    _paint(settings, output, stem, save_every, overwrite, quiet, dry_run, f"class {described(index)}")


@with_settings(VisualizeSettings, skip=("target", "size"))
def visualize(
    target: Annotated[
        str,
        typer.Argument(
            metavar="LAYER[:CHANNEL]",
            show_default=False,
            help="The layer (its mean activation) or one channel of it to paint, "
            "e.g. block4a_expand:12 (see `deepdream layers`).",
        ),
    ],
    output: Annotated[Path | None, output_option("visualize", "the layer and channel, e.g. block4a_expand_12")] = None,
    size: Annotated[str | None, setting(VisualizeSettings, "size", metavar="WxH")] = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Paint what a layer, or one channel of it, responds to most, from noise (feature visualisation)."""
    settings = given_settings(VisualizeSettings, settings_file, {**dream_options, "target": target, "size": size})
    _paint(
        settings,
        output,
        settings.target.replace(":", "_"),
        save_every,
        overwrite,
        quiet,
        dry_run,
        f"layer {settings.target}",
    )


def classes(
    word: Annotated[
        str | None,
        typer.Argument(metavar="WORD", show_default=False, help="Show only the classes whose name contains this."),
    ] = None,
) -> None:
    """List the 1000 ImageNet classes (number and name) that `--class` and `deepdream class` take."""
    from ..classes import search

    found = search(word or "")
    if not found:
        from ..errors import SettingsError

        raise SettingsError(f"No ImageNet class name contains {word!r}; try a shorter word.")
    from ..classes import SAME_NAME

    for index, name in found:
        typer.echo(f"{index:>4}  {name}" + (f" ({SAME_NAME[index]})" if index in SAME_NAME else ""))
