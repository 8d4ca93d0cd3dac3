"""`deepdream batch` and `deepdream gallery`: many renders, in this process or on Ray."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from ..settings import DreamSettings, SheetSettings, VisualizeSettings
from .app import on_interrupt
from .common import given_settings
from .options import IO, SHEET, DryRun, Overwrite, Quiet, Ray, SettingsFile, Workers, with_settings

SWEEP_HELPS = {
    "layers": "Layer to maximise: NAME, NAME:CHANNEL or NAME=WEIGHT. Repeat to sweep: one render per layer "
    "(not their sum, as in `dream`; put a sum in a --settings file). Default: the backbone's own.",
    "seed": "Random seed; repeat to sweep: one render per seed.",
    "target_class": "ImageNet class (name or number) to push the picture toward; repeat to sweep: one render "
    "per class.",
}
GALLERY_HELPS = {
    "layers": "One layer: a cell per channel of it (see --channels). Several: a cell per layer. "
    "Default: a cell per layer of the backbone.",
    "target_class": "ImageNet class (name or number): a cell per --class given.",
}


@contextlib.contextmanager
def batch_progress(quiet: bool, label: str):
    """A callback for a batch's progress: one Rich bar counting renders (with a time estimate),
    stages shown before the first render is done."""
    from ..batch import Planned, Result
    from ..progress import _Bar

    if quiet:
        yield lambda event: None
        return
    bar = _Bar(label)
    total = 1
    done = {"written": 0, "skipped": 0, "failed": 0}

    def update(event) -> None:
        nonlocal total
        if isinstance(event, Planned):
            total = max(1, event.total)
        elif isinstance(event, Result):
            done[event.status] += 1
            failed = f" · {done['failed']} failed" if done["failed"] else ""
            skipped = f" · {done['skipped']} already there" if done["skipped"] else ""
            bar.advance(total, 1, f"{label} · {sum(done.values())}/{total}{skipped}{failed} · {event.item.label}")
        else:
            bar.stage(event.text)

    try:
        yield update
    finally:
        bar.stop()


def report(summary, quiet: bool) -> None:
    """The summary on stderr (only the failures when quiet); exit code 1 if anything failed."""
    for line in summary.lines() if not quiet else summary.lines()[1:]:
        typer.echo(line, err=True)
    if not summary.ok:
        raise typer.Exit(code=1)


def say_plan(inputs, out: Path, settings, sweep: dict, ray, workers, overwrite: bool, format: str) -> None:
    """--dry-run: the batch's plan, every input read and every setting checked, nothing written
    (not even the folder). A broken input is listed as the run would report it (exit code 1)."""
    from ..errors import InputError
    from ..images import load_image
    from ..planning import batch_plan
    from ..workers import check_workers, import_ray

    if ray:
        import_ray()
    check_workers(workers)
    the_plan = batch_plan(inputs, out, settings, sweep=sweep, overwrite=overwrite, format=format)
    broken = {}
    for path in the_plan.inputs:
        try:
            load_image(path)
        except InputError as e:
            broken[path] = str(e)
    todo = [item for item in the_plan.items if item.input not in broken]
    folder = "" if out.is_dir() else f" (the folder {out}/ made first)"
    where = f" on Ray ({ray})" if ray else ""
    typer.echo(
        f"would write {len(todo)} picture{'s' * (len(todo) != 1)} in {out}/{folder}{where}: "
        f"{settings.backbone}, {settings.octaves} octaves x {settings.steps} steps"
    )
    skipped = set(the_plan.skipped)
    for item in the_plan.ordered:
        state = (
            f"  (cannot: {broken[item.input]})"
            if item.input in broken
            else "  (already there: skipped)"
            if item in skipped
            else ""
        )
        typer.echo(f"  {item.label} -> {item.output}{state}")
    if broken:
        raise typer.Exit(code=1)


@with_settings(DreamSettings, lists=("seed", "target_class"), helps=SWEEP_HELPS)
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUTS",
            show_default=False,
            help="Image files, folders (their image files) or glob patterns such as 'photos/**/*.jpg'.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            metavar="DIR",
            show_default=False,
            help="Output folder (made if missing): DIR/STEM.png per input, "
            "DIR/STEM__layer-NAME__seed-N.png when sweeping.",
            rich_help_panel=IO,
        ),
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FMT",
            help="Output format: png, jpg, webp or tif.",
            rich_help_panel=IO,
        ),
    ] = "png",
    ray: Ray = None,
    workers: Workers = None,
    settings_file: SettingsFile = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Render again outputs already in DIR (default: skip them, so a stopped batch resumes).",
            rich_help_panel=IO,
        ),
    ] = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Dream on many images: one output per input, and per value of a repeated --layer, --class or --seed.

    A broken input is reported and skipped (exit code 1 at the end); outputs already there are
    skipped, so running the same command again resumes."""
    from ..batch import batch as run_batch

    options = dict(dream_options)
    sweep = {name: options.pop(name) for name in ("layers", "target_class", "seed") if options.get(name)}
    settings = given_settings(DreamSettings, settings_file, options)
    if dry_run:
        say_plan(inputs, out, settings, sweep, ray, workers, overwrite, format)
        return
    on_interrupt(f"the pictures finished so far are kept in {out}/, and the same command goes on from them")
    with batch_progress(quiet, "batch") as progress:
        summary = run_batch(
            inputs,
            out,
            settings,
            sweep=sweep,
            ray=ray,
            workers=workers,
            overwrite=overwrite,
            format=format,
            progress=progress,
        )
    report(summary, quiet)


#: The options of a painting from noise that a dream has not, which `gallery --from-noise` takes too.
NOISE_ONLY = ("param", "alpha")
VISUALIZE_FIELDS = VisualizeSettings.__dataclass_fields__


@with_settings(DreamSettings, lists=("target_class",), helps=GALLERY_HELPS)
@with_settings(SheetSettings, into="sheet_options", group=SHEET)
@with_settings(VisualizeSettings, into="paint_options", skip=tuple(sorted(set(VISUALIZE_FIELDS) - set(NOISE_ONLY))))
def gallery(
    input: Annotated[
        Path | None,
        typer.Argument(metavar="INPUT", show_default=False, help="Image to dream on (none with --from-noise)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="SHEET.png",
            show_default=False,
            help="Contact sheet to write (PNG), with SHEET.html and SHEET_cells/ beside it. "
            "Default: INPUT_gallery.png in the current folder (atlas_LAYER.png with --from-noise).",
            rich_help_panel=IO,
        ),
    ] = None,
    from_noise: Annotated[
        bool,
        typer.Option(
            "--from-noise",
            help="A feature atlas: paint each channel of --layer from noise (as `deepdream visualize`) "
            "instead of dreaming on a picture (INPUT is not needed).",
            rich_help_panel=IO,
        ),
    ] = False,
    ray: Ray = None,
    workers: Workers = None,
    settings_file: SettingsFile = None,
    overwrite: Overwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
    sheet_options: dict = None,
    paint_options: dict = None,
) -> None:
    """A contact sheet of small dreams: one per layer of the backbone, per channel of --layer, or per --class.

    Each cell is a small picture dreamt at the full look (the default octaves and steps), so it
    shows what its layer grows; the HTML page beside the sheet gives each cell's full-size
    `deepdream dream` command."""
    from ..errors import SettingsError
    from ..gallery import gallery as make_gallery

    channels, cell, columns = (sheet_options[name] for name in ("channels", "cell", "columns"))
    painting = {k: v for k, v in paint_options.items() if v is not None}
    if from_noise:
        dream_options = {**dream_options, **painting}
        return _atlas(output, channels, cell, columns, ray, dream_options, overwrite, quiet, dry_run)
    if painting:
        raise SettingsError(f"{VisualizeSettings.flag(sorted(painting)[0])} applies to --from-noise only.")
    if input is None:
        raise SettingsError(
            "Give a picture to dream on (deepdream gallery INPUT), or --from-noise for a feature atlas."
        )
    options = dict(dream_options)
    layers = options.pop("layers") or None
    classes = options.pop("target_class", None) or None
    settings = given_settings(DreamSettings, settings_file, options)
    sheet = dict(layers=layers, channels=channels, classes=classes, cell=cell, columns=columns, overwrite=overwrite)
    if dry_run:
        from ..workers import check_workers, import_ray

        if ray:
            import_ray()
        check_workers(workers)
        _say_planned(make_gallery(input, output, settings, **sheet, dry_run=True))
        return
    on_interrupt("the cells finished so far are kept, and the same command goes on from them")
    with batch_progress(quiet, "gallery") as progress:
        result = make_gallery(input, output, settings, **sheet, ray=ray, workers=workers, progress=progress)
    if not quiet:
        typer.echo(
            f"wrote {result.sheet} and {result.html} ({len(result.cells)} cells in {result.sheet.stem}_cells/)",
            err=True,
        )
    report(result.summary, quiet)


def _say_planned(result) -> None:
    """What `gallery --dry-run` says: the sheet, its page, and each cell's file (those already there
    counted)."""
    there = sum(1 for item in result.cells if item.output.exists())
    typer.echo(
        f"would write {result.sheet} and {result.html}: {len(result.cells)} cells in "
        f"{result.sheet.stem}_cells/" + (f" ({there} already there)" if there else "")
    )
    for item, label in zip(result.cells, result.labels, strict=False):
        typer.echo(f"  {label} -> {item.output}")


def _atlas(
    output,
    channels,
    cell,
    columns,
    ray,
    dream_options: dict,
    overwrite: bool,
    quiet: bool,
    dry_run: bool = False,
) -> None:
    """`gallery --from-noise`: the channels of one --layer painted from noise (`gallery.atlas`);
    `dream_options` holds the dream options given and the painting's own (`NOISE_ONLY`)."""
    from ..errors import SettingsError
    from ..gallery import atlas
    from ..settings import VisualizeSettings

    layers = dream_options.get("layers") or []
    if len(layers) != 1:
        raise SettingsError("--from-noise paints the channels of one layer: give exactly one --layer NAME.")
    given = {k: v for k, v in dream_options.items() if v not in (None, [], False) and k != "layers"}
    usable = {f for f in VisualizeSettings.__dataclass_fields__ if not f.startswith("_")}
    refused = sorted(k for k in given if k not in usable or k in ("size", "target"))
    if refused:
        raise SettingsError(
            f"--from-noise paints from noise: {DreamSettings.flag(refused[0])} does not apply to it "
            f"(it takes --backbone, --steps, --seed, --precision, --param, --alpha)."
        )
    if ray:
        raise SettingsError(
            "--from-noise paints in this process (a batch of channels per network pass); leave out --ray."
        )
    settings = VisualizeSettings.from_dict({}, target=layers[0], **given)
    sheet = output or Path(f"atlas_{layers[0].replace(':', '_')}.png")
    result = atlas(sheet, settings, channels=channels, cell=cell, columns=columns, overwrite=overwrite, dry_run=dry_run)
    if dry_run:
        return
    if not quiet:
        typer.echo(
            f"wrote {result.sheet} and {result.html} ({len(result.cells)} channels painted from noise, in "
            f"{result.sheet.stem}_cells/)",
            err=True,
        )
