"""A batch's plan: inputs expanded (files, folders, globs), one `Item` per input and sweep value,
outputs named, everything checked before any work (layers and classes on their backbone, the
output folder writable, no two items writing one file), and outputs already there skipped, so a
stopped batch resumes. `deepdream batch --dry-run` prints it; `batch.run` renders it.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, OutputError, SettingsError
from .settings import DreamSettings

#: What an input folder contributes: its files with these extensions (not its subfolders).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"})
#: Output formats a batch writes: --format NAME -> extension.
FORMATS = {"png": ".png", "jpg": ".jpg", "webp": ".webp", "tif": ".tif"}
#: How a swept setting is named in output file names (other settings: their flag without dashes).
SWEEP_LABELS = {"layers": "layer", "target_class": "class", "seed": "seed"}


def natural_key(path) -> list:
    """Sort key that orders img2 before img10 (digits compared as numbers)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def expand_inputs(inputs: Iterable) -> list[Path]:
    """Files, folders (their image files, not subfolders) and globs (`*`, `?`, `[...]`, `**`) as one
    list of files in natural order, each once. A name that is neither an existing path nor a
    pattern that matches is an InputError (so a typo fails before any work)."""
    found: list[Path] = []
    for given in inputs:
        text = str(given)
        path = Path(text)
        if path.is_dir():
            found += sorted(
                (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key
            )
        elif path.exists():
            found.append(path)
        elif glob.has_magic(text):
            matches = sorted((Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()), key=natural_key)
            if not matches:
                raise InputError(f"No file matches '{text}'.")
            found += matches
        else:
            raise InputError(f"Input '{text}' does not exist.")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise InputError(
            "No input images found (folders contribute their " + ", ".join(sorted(IMAGE_SUFFIXES)) + " files)."
        )
    return unique


def name_part(value) -> str:
    """A setting's value as it appears in a file name: characters other than letters, digits, `_`
    and `.` become `-` (block4_conv3:12 -> block4_conv3-12, golden retriever -> golden-retriever)."""
    if isinstance(value, (list, tuple)):
        value = "+".join(str(v) for v in value)
    return re.sub(r"[^A-Za-z0-9_.+]+", "-", str(value)).strip("-") or "-"


def sweep_label(name: str) -> str:
    return SWEEP_LABELS.get(name) or DreamSettings.flag(name).lstrip("-")


@dataclass(frozen=True)
class Item:
    """One render: `input` dreamt with `settings`, written to `output`."""

    input: Path
    output: Path
    settings: DreamSettings
    values: tuple = ()  # ((setting, value), ...) of the swept settings, as named in `output`

    @property
    def label(self) -> str:
        return " ".join([self.input.name] + [f"{sweep_label(k)}={name_part(v)}" for k, v in self.values])


@dataclass
class Plan:
    """What a batch will do: the items to render, and the outputs already there (skipped)."""

    items: list[Item]
    skipped: list[Item]
    inputs: list[Path]
    ordered: list[Item] = field(default_factory=list)  # every item, rendered or skipped, in plan order


def sweep_settings(settings: DreamSettings, sweep: Mapping[str, Sequence] | None) -> list[tuple[DreamSettings, tuple]]:
    """(settings, swept values) for every combination of the sweep's values, in order (the last
    setting varies fastest). A "layers" value is one spec or a list of them (a sum). Settings with
    one value are applied but not named."""
    from .classes import class_index

    sweep = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in (sweep or {}).items()}
    for name, values in sweep.items():
        if not values:
            raise SettingsError(f"The sweep over {DreamSettings.flag(name)} has no values.")
        if name not in {f.name for f in dataclasses.fields(DreamSettings)}:
            raise SettingsError(f"Cannot sweep {name!r}: it is not a dream setting.")
    out = []
    for combo in itertools.product(*sweep.values()):
        changes = dict(zip(sweep, combo, strict=False))
        if "layers" in changes and isinstance(changes["layers"], str):
            changes["layers"] = (changes["layers"],)
        named = tuple((k, v) for k, v in zip(sweep, combo, strict=False) if len(sweep[k]) > 1)
        made = settings.replace(**changes) if changes else settings
        made.check_names(class_index)  # a swept class name is checked before anything renders
        out.append((made, named))
    return out


def output_name(input: Path, values: tuple, suffix: str) -> str:
    """<stem>.png, or <stem>__layer-block5_conv1__seed-3.png when sweeping."""
    return input.stem + "".join(f"__{sweep_label(k)}-{name_part(v)}" for k, v in values) + suffix


def plan(
    inputs: Iterable,
    out_dir,
    settings: DreamSettings,
    sweep: Mapping[str, Sequence] | None = None,
    *,
    format: str = "png",
    overwrite: bool = False,
    keep: Callable[[Item], bool] | None = None,
) -> Plan:
    """The batch's items, checked before any work: inputs expanded, outputs named in `out_dir`
    (created if missing), no two items writing the same file, no output replacing an input.
    An output already there is skipped unless `overwrite`; `keep(item)`, where given, decides
    instead whether an existing output may stay (e.g. only if made with the same settings)."""
    from .images import check_output_path

    if format not in FORMATS:
        raise SettingsError(f"--format must be one of {', '.join(FORMATS)} (got {format!r}).")
    files = expand_inputs(inputs)
    combos = sweep_settings(settings, sweep)
    out_dir = Path(out_dir)
    check_folder(out_dir)
    items, skipped, ordered, taken = [], [], [], {}
    for path in files:
        for item_settings, values in combos:
            output = out_dir / output_name(path, values, FORMATS[format])
            if output in taken:
                raise SettingsError(
                    f"Inputs '{taken[output]}' and '{path}' would both be written to '{output}'; "
                    f"rename one or run them in separate batches."
                )
            taken[output] = path
            item = Item(path, output, item_settings, values)
            if out_dir.is_dir():  # else check_folder said it can be made, and nothing in it is an input
                check_output_path(output, inputs=files, overwrite=True)
            ordered.append(item)
            if output.exists() and not overwrite and (keep is None or keep(item)):
                skipped.append(item)
            else:
                items.append(item)
    return Plan(items, skipped, files, ordered)


def check_folder(out_dir: Path) -> None:
    """The output folder is a folder, or can be made (its nearest existing parent is a writable
    folder): an OutputError before any work otherwise. Makes nothing."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"Output folder '{out_dir}' is a file; give a folder for --out.")
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise OutputError(
                f"Output folder '{out_dir}' is not writable; choose another folder or fix its permissions."
            )
        return
    parent = out_dir.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"Cannot create output folder '{out_dir}': '{parent}' is not a writable folder.")


def make_folder(out_dir: Path) -> None:
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"Cannot create output folder '{out_dir}' ({e.strerror}).") from None


def check_layers(settings_list: Iterable[DreamSettings]) -> None:
    """Every layer named exists in its backbone (its channel in range), every class too, and the
    guides and masks decode: a SettingsError before any work otherwise. Loads each backbone named
    (once per process); each distinct objective is checked once."""
    from .render.prepare import check

    def name(value):
        return value if value is None or isinstance(value, (str, int)) else id(value)  # an in-memory image

    seen = set()
    for s in settings_list:
        key = (s.backbone, s.weights, s.layers, s.target_class, tuple(map(name, s.guide)), name(s.mask))
        if key not in seen:
            seen.add(key)
            check(s)


def batch_plan(
    inputs,
    out_dir,
    settings: DreamSettings | dict | None = None,
    *,
    sweep: Mapping[str, Sequence] | None = None,
    overwrite: bool = False,
    format: str = "png",
    **options,
) -> Plan:
    """What `batch` would do, checked (inputs found, outputs named, every layer and class on its
    backbone), with nothing written and no folder made: `deepdream batch --dry-run`."""
    from .api import dream_settings

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    settings = dream_settings(settings, **options)
    the_plan = plan(inputs, out_dir, settings, sweep, format=format, overwrite=overwrite)
    check_layers(item.settings for item in the_plan.ordered)
    return the_plan
