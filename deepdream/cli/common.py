"""What the commands share: settings from the options typed (and --settings), the output path,
snapshots for --save-every, and writing the result with its settings."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import default_output


def given_settings(cls, settings_file: Path | None, options: dict):
    """Settings from `--settings FILE` (if given) overridden by the options the user typed (those
    not None and not empty; False is a switch turned off), validated once."""
    from ..classes import class_index
    from ..errors import SettingsError
    from ..settings_file import read_settings_file

    base: dict = {}
    typed = {k: v for k, v in options.items() if v is not None and v != []}
    if settings_file is not None:
        mode, base = read_settings_file(settings_file)
        if mode and mode != cls.mode:
            raise SettingsError(f"'{settings_file}' holds {mode} settings; use them with `deepdream {mode}`.")
        files = files_named(cls, base, typed)
        if files:
            typer.echo(f"deepdream: the settings in '{settings_file}' read {', '.join(files)}", err=True)
    settings = cls.from_dict(base, **typed)
    settings.check_files()  # a folder, a pipe or a device: said before the network loads
    settings.check_names(class_index)
    check_backbones(settings)
    return settings


def check_backbones(settings) -> None:
    """An unknown backbone (of the settings, or of the dream inside a zoom's or video's) is one line
    before anything loads."""
    from ..backbones import check_name

    for part in (settings, getattr(settings, "dream", None)):
        if isinstance(getattr(part, "backbone", None), str):
            check_name(part.backbone)


def files_named(cls, base: dict, typed: dict) -> list[str]:
    """'--guide PATH', ... for each file the settings dict `base` names in a file field of `cls` that
    the options typed do not override (the dream of a zoom or video included): what a --settings run
    will open (a settings file from elsewhere may name any)."""
    from ..settings import file_fields, names_a_file

    out = []
    for name in file_fields(cls):
        value = base.get(name)
        if name in typed or value in (None, "", [], ()):
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and names_a_file(cls, name, item):
                out.append(f"{cls.flag(name)} '{item}'")
    if isinstance(base.get("dream"), dict):
        from ..settings import DreamSettings

        out += files_named(DreamSettings, base["dream"], typed)
    return out


def output_path(input: Path, output: Path | None, mode: str, inputs, overwrite: bool, quiet: bool) -> tuple[Path, bool]:
    """The output and whether writing it replaces a file: -o as given (checked: not an input; an
    existing file only with --overwrite, or where deepdream wrote it), else the next free
    INPUT_MODE[_N].png in the current folder."""
    output = output or default_output(input, mode, echo=not quiet)
    return output, may_replace(output, inputs, overwrite, quiet)


def may_replace(output: Path, inputs, overwrite: bool, quiet: bool) -> bool:
    """Check `output` before any work and say whether writing it replaces a file: with --overwrite any
    file but an input; without it, a picture deepdream wrote (its settings prove it), as a rerun of
    the same command does (said unless quiet); any other file is refused."""
    from ..images import check_output_path

    check_output_path(output, inputs=inputs, overwrite=overwrite, replace_own=True)
    replaces = output.exists()
    if replaces and not overwrite and not quiet:
        typer.echo(f"deepdream: replacing {output} (a picture deepdream wrote)", err=True)
    return replaces


def check_save_every(save_every: int | None) -> None:
    from ..errors import SettingsError

    if save_every is not None and save_every < 1:
        raise SettingsError(f"--save-every must be at least 1 (got {save_every}).")


def snapshot_saver(output: Path, inputs, settings=None, input: Path | None = None):
    """save(n, rgb) writing OUTPUT_0050.png beside the output (atomically, with the settings), for
    --save-every."""
    from ..images import check_output_path, save_image

    def save(count: int, rgb) -> None:
        path = output.with_name(f"{output.stem}_{count:04d}{output.suffix}")
        check_output_path(path, inputs=inputs, overwrite=True)
        metadata = (
            None
            if settings is None
            else settings.to_json(**({"input": str(input)} if input is not None else {}), iteration=count)
        )
        save_image(rgb, path, overwrite=True, metadata=metadata)

    return save


def save_result(result, output: Path, metadata: str, overwrite: bool, quiet: bool) -> None:
    """Write the result (alpha kept where the format has it, said when it cannot be) with its settings."""
    from ..images import ALPHA_FORMATS, OUTPUT_FORMATS, save_image

    fmt = OUTPUT_FORMATS[output.suffix.lower()]
    if result.alpha is not None and fmt not in ALPHA_FORMATS and not quiet:
        typer.echo(
            f"deepdream: note: {fmt} has no transparency; the input's alpha channel is dropped "
            f"(write .png, .webp or .tif to keep it).",
            err=True,
        )
    save_image(result.rgb, output, alpha=result.alpha, overwrite=overwrite, metadata=metadata)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)


def describe(settings) -> str:
    """A dream's settings in a few words, for --dry-run: backbone, objective, octaves and steps."""
    what = (
        f"class {settings.target_class}"
        if settings.target_class is not None
        else f"guided by {len(settings.guide)} picture{'s' * (len(settings.guide) != 1)}"
        if settings.guide
        else ""
    )
    layers = (
        f"layers {', '.join(settings.layers)}"
        if settings.layers
        else ""
        if settings.target_class is not None
        else "its default layers"
    )
    return (
        f"{settings.backbone}, {', '.join(x for x in (what, layers) if x)}, {settings.octaves} octaves x "
        f"{settings.steps} steps"
    )


def save_dry_run(output: Path, what: str, save_every: int | None = None) -> None:
    """What --dry-run says: the file that would be written (and the snapshots beside it)."""
    snapshots = f", and {output.stem}_NNNN{output.suffix} every {save_every} steps" if save_every else ""
    typer.echo(f"would write {output} ({what}){snapshots}")
