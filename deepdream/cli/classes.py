"""`deepdream class` (paint an ImageNet class from noise) and `deepdream classes` (list them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..settings import ClassSettings
from . import app, next_free
from .common import check_save_every, describe, given_settings, save_dry_run, save_result, snapshot_saver
from .options import DryRun, Overwrite, Quiet, SaveEvery, SettingsFile, setting, with_dream_options


@app.command("class")
@with_dream_options(ClassSettings, skip=("target_class", "size", *ClassSettings.unused))
def paint(
    target_class: Annotated[str, typer.Argument(metavar="NAME_OR_INDEX", show_default=False,
                                                help="ImageNet class: a name (\"golden retriever\") or a number (0-999).")],
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", show_default=False,
        help="Output file; its extension picks the format (.png .jpg .webp .tif .bmp). Default: the class's name, "
             "e.g. golden_retriever.png (golden_retriever_2.png, ... if that exists).")] = None,
    size: Annotated[Optional[str], setting(ClassSettings, "size", metavar="WxH")] = None,
    settings_file: SettingsFile = None,
    save_every: SaveEvery = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Paint an ImageNet class from noise (class visualisation), e.g. deepdream class "golden retriever"."""
    from .. import images
    from ..progress import dream_progress
    from ..render.dreamer import paint_class, prepare

    settings = given_settings(ClassSettings, settings_file, {**dream_options, "target_class": target_class,
                                                             "size": size})
    check_save_every(save_every)
    if output is None:
        from ..classes import class_index, imagenet_classes

        name = imagenet_classes()[class_index(settings.target_class)].replace(" ", "_").replace("/", "_")
        output = Path(f"{name}.png") if overwrite else next_free(Path(f"{name}.png"), echo=False)
    images.check_output_path(output, overwrite=overwrite)
    if dry_run:
        from ..classes import described, class_index
        from ..render.dreamer import check

        check(settings)
        size = settings.size if isinstance(settings.size, str) else "x".join(map(str, settings.size))
        save_dry_run(output, f"{size}, {describe(settings)}".replace(
            f"class {settings.target_class}", f"class {described(class_index(settings.target_class))}"), save_every)
        return
    saver = snapshot_saver(output, [], settings) if save_every else None
    with dream_progress(quiet, "painting", saver, save_every) as progress:
        dreamer = prepare(settings, progress=progress)
        rgb = paint_class(dreamer, progress=progress)
    save_result(images.LoadedImage(rgb, None, "RGB"), output, settings.to_json(), overwrite, quiet)


@app.command("classes")
def classes(word: Annotated[Optional[str], typer.Argument(metavar="WORD", show_default=False,
                                                          help="Show only the classes whose name contains this.")] = None) -> None:
    """List the 1000 ImageNet classes (number and name) that `--class` and `deepdream class` take."""
    from ..classes import search

    found = search(word or "")
    if not found:
        from ..errors import SettingsError

        raise SettingsError(f"No ImageNet class name contains {word!r}; try a shorter word.")
    from ..classes import SAME_NAME

    for index, name in found:
        typer.echo(f"{index:>4}  {name}" + (f" ({SAME_NAME[index]})" if index in SAME_NAME else ""))
