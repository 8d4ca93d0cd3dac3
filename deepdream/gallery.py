"""A gallery: one small dream per layer of a backbone (or per channel of one layer, or per class),
laid out as a labelled contact sheet (PNG) with an HTML page beside it giving, for every cell,
the `deepdream dream` command that makes it at full size.

It is a batch (`deepdream.batch`) with a sweep, so it runs in process or on Ray alike; the cells
are kept in SHEET_cells/ and a cell already there with the same settings is not dreamt again.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .batch import BatchSummary, run
from .commandline import command_line
from .errors import OutputError, SettingsError
from .planning import Item, check_layers, make_folder, plan
from .settings import AtlasSettings, DreamSettings, SheetSettings


@dataclass
class Gallery:
    """A finished gallery: the sheet, its HTML page, the cells (items, in order) and the batch summary."""

    sheet: Path
    html: Path
    cells: list[Item]
    labels: list[str]
    commands: list[str]
    summary: BatchSummary


def gallery_sweep(
    settings: DreamSettings,
    layers: Sequence[str] | None = None,
    channels: int | None = None,
    classes: Sequence | None = None,
) -> tuple[dict, list[str]]:
    """(sweep, cell labels): one cell per class (`classes`), per channel of one layer (the first
    `channels`, default 16), per layer named (several `layers`), or per layer of the backbone."""
    from ._tf import quiet_tensorflow
    from .backbones import load_backbone

    layers = list(layers or [])
    if classes:
        if channels is not None:
            raise SettingsError("--channels shows the channels of one --layer; leave it out with --class.")
        return {"target_class": list(classes)}, [str(c) for c in classes]
    quiet_tensorflow()
    net = load_backbone(settings.backbone, settings.weights)
    if len(layers) == 1 and ":" not in layers[0] and "=" not in layers[0]:
        info = net.layer(layers[0])
        count = min(SheetSettings.of(None, **_given(channels=channels)).channels, info.channels)
        specs = [f"{info.name}:{c}" for c in range(count)]
        return {"layers": specs}, specs
    if channels is not None:
        raise SettingsError("--channels shows the channels of one layer; give exactly one --layer NAME with it.")
    specs = layers or [info.name for info in net.catalog]
    return {"layers": specs}, specs


def _given(**values) -> dict:
    """The layout values a caller gave (None: not given, the settings' default applies)."""
    return {name: value for name, value in values.items() if value is not None}


def dream_command(input: Path, settings: DreamSettings, output: str) -> str:
    """The `deepdream dream` command line that renders `settings` on `input` (options at their
    defaults left out), quoted for a POSIX shell."""
    return command_line(settings, str(input), output)


def _sheet_and_page(image: Path, sheet, overwrite: bool) -> tuple[Path, Path, bool]:
    """The contact sheet (a PNG; default IMAGE_gallery.png in the current folder) and its HTML page,
    checked writable (not the image; not there without `overwrite`, unless deepdream wrote the sheet:
    the same gallery made again), and whether writing them replaces files."""
    from .images import check_output_path

    sheet = Path(sheet) if sheet is not None else Path(f"{image.stem}_gallery.png")
    if sheet.suffix.lower() != ".png":
        raise OutputError(f"The contact sheet '{sheet}' must be a .png file.")
    page = sheet.with_suffix(".html")
    check_output_path(sheet, inputs=[image], overwrite=overwrite, replace_own=True)
    overwrite = overwrite or sheet.exists()
    if page.exists() and not overwrite:
        raise OutputError(f"'{page}' already exists; pass --overwrite to replace it.")
    return sheet, page, overwrite


def _full_size_command(image: Path, full: DreamSettings, item: Item, sweep: dict) -> str:
    """The `deepdream dream` command that makes a cell at the image's own size, with the settings given."""
    changes = {name: getattr(item.settings, name) for name in sweep}
    out = f"{image.stem}_{item.output.stem.split('__', 1)[-1].replace('__', '_')}.png"
    return dream_command(image, full.replace(**changes), out)


def gallery(
    image,
    sheet=None,
    settings: DreamSettings | dict | None = None,
    *,
    layers: Sequence[str] | None = None,
    channels: int | None = None,
    classes: Sequence | None = None,
    cell: int | None = None,
    columns: int | None = None,
    ray: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Callable[[object], None] | None = None,
    dry_run: bool = False,
    pool=None,
    **options,
) -> Gallery:
    """Dream `image` small once per layer of the backbone (or per channel of one of `layers`, the
    first `channels`; or per layer of several `layers`; or per class of `classes`) and lay the
    dreams out in a labelled contact sheet `sheet` (PNG; default IMAGE_gallery.png in the current
    folder; a sheet deepdream wrote is replaced), with SHEET.html beside it and the cells in SHEET_cells/.

    Each cell is dreamt with the settings given (the default look unless told otherwise: as many
    octaves and steps as a full picture, so each cell shows what its layer grows at that strength)
    on the image shrunk to at most `cell` pixels on its longer side. The HTML gives each cell's
    full-size command: the same settings at the image's own size. ray/workers/pool: as `batch` (a
    pool is closed once the cells are made). dry_run: check everything and return the plan (cells to make, summary None)
    without writing anything."""
    from .api import dream_settings
    from .images import load_image, read_metadata, save_image

    try:  # a pool given is ours to close, also when the checks stop the gallery or it is a dry run
        image = Path(image)
        layout = SheetSettings.of(None, **_given(channels=channels, cell=cell, columns=columns))
        cell, columns = layout.cell, layout.columns
        sheet, page, overwrite = _sheet_and_page(image, sheet, overwrite)
        load_image(image)  # one clear line for a broken picture, before any work
        full = dream_settings(settings, **options)
        small = full.replace(max_side=min(cell, full.max_side or cell))
        sweep, labels = gallery_sweep(full, layers, channels, classes)
        cells_dir = sheet.with_name(f"{sheet.stem}_cells")

        def same_settings(item: Item) -> bool:
            return read_metadata(item.output) == item.settings.to_json(input=item.input.name)

        the_plan = plan([image], cells_dir, small, sweep, keep=same_settings)
        check_layers(item.settings for item in the_plan.ordered)
        if dry_run:
            if pool is not None:
                pool.close()
            return Gallery(sheet, page, the_plan.ordered, labels, [], None)
        make_folder(cells_dir)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    summary = run(the_plan, overwrite=True, ray=ray, workers=workers, progress=progress, pool=pool)
    cells = the_plan.ordered
    commands = [_full_size_command(image, full, item, sweep) for item in cells]
    failed = {r.item.output: r.reason for r in summary.failed}
    title = (
        f"{image.name} · {small.backbone} · {small.octaves} octave{'s' * (small.octaves != 1)} x "
        f"{small.steps} step{'s' * (small.steps != 1)}"
    )
    picture = contact_sheet([c.output for c in cells], labels, title, cell, columns, failed)
    save_image(picture, sheet, overwrite=overwrite, metadata=small.to_json(input=image.name, gallery=labels))
    write_html(page, sheet, cells, labels, commands, failed, title, overwrite)
    return Gallery(sheet, page, cells, labels, commands, summary)


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def _fit_text(draw, text: str, font, width: int) -> str:
    """The text, shortened with "…" to fit `width`; a channel's label loses the middle of its layer
    name, never its channel number (block5a_exp…:12)."""
    if draw.textlength(text, font=font) <= width:
        return text
    head, tail = (text.rsplit(":", 1)[0], ":" + text.rsplit(":", 1)[1]) if ":" in text else (text, "")
    while head and draw.textlength(head + "…" + tail, font=font) > width:
        head = head[:-1]
    return head + "…" + tail


def contact_sheet(
    paths: Sequence[Path],
    labels: Sequence[str],
    title: str,
    cell: int,
    columns: int | None = None,
    failed: dict | None = None,
):
    """The sheet: a title line, then the cells in rows (each picture fitted into a box of the
    largest cell's size, at most cell x cell; its label under it); a cell that failed is grey and
    says so. A float32 RGB array."""
    import numpy as np
    from PIL import Image, ImageDraw

    failed = failed or {}
    n = len(paths)
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    pad, label_size, title_size = 8, max(11, cell // 12), max(13, cell // 10)
    label_font, title_font = _font(label_size), _font(title_size)
    sizes = []
    for path in paths:
        if path.exists() and path not in failed:
            with Image.open(path) as img:
                scale = min(1.0, cell / max(img.size))
                sizes.append((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    pic_w, pic_h = (max(w for w, _ in sizes), max(h for _, h in sizes)) if sizes else (cell, cell)
    box_w, box_h = max(pic_w, 2 * label_size), pic_h + label_size + pad
    top = title_size + 2 * pad
    width = pad + columns * (box_w + pad)
    height = top + rows * (box_h + pad)
    sheet = Image.new("RGB", (width, height), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    draw.text((pad, pad), _fit_text(draw, title, title_font, width - 2 * pad), fill=(235, 235, 235), font=title_font)
    for index, (path, label) in enumerate(zip(paths, labels, strict=False)):
        x = pad + (index % columns) * (box_w + pad)
        y = top + (index // columns) * (box_h + pad)
        if path.exists() and path not in failed:
            with Image.open(path) as img:
                img = img.convert("RGB")
                img.thumbnail((pic_w, pic_h), Image.LANCZOS)
                sheet.paste(img, (x + (box_w - img.width) // 2, y + (pic_h - img.height) // 2))
        else:
            draw.rectangle([x, y, x + box_w - 1, y + pic_h - 1], fill=(70, 70, 70))
            draw.text((x + 6, y + 6), "failed", fill=(255, 160, 160), font=label_font)
        draw.text(
            (x, y + pic_h + pad // 2),
            _fit_text(draw, str(label), label_font, box_w),
            fill=(220, 220, 220),
            font=label_font,
        )
    return np.asarray(sheet, np.float32)


def write_html(
    page: Path,
    sheet: Path,
    cells: Sequence[Item],
    labels: Sequence[str],
    commands: Sequence[str],
    failed: dict,
    title: str,
    overwrite: bool,
    caption: str = "the command that makes it at full size",
) -> None:
    """SHEET.html: the title, the sheet, and per cell its picture, label and command (what the
    command does: `caption`)."""
    from .images import atomic_write

    figures = []
    for item, label, command in zip(cells, labels, commands, strict=False):
        src = f"{item.output.parent.name}/{item.output.name}"
        note = f'<p class="failed">failed: {html.escape(failed[item.output])}</p>' if item.output in failed else ""
        figures.append(
            f'<figure><img src="{html.escape(src)}" alt="{html.escape(str(label))}">'
            f"<figcaption>{html.escape(str(label))}</figcaption>{note}"
            f"<code>{html.escape(command)}</code></figure>"
        )
    text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ background: #181818; color: #ddd; font-family: sans-serif; margin: 1.5em; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 1.2em; }}
figure {{ margin: 0; }} img {{ max-width: 100%; image-rendering: auto; }}
figcaption {{ font-weight: bold; margin: .3em 0; }}
code {{ display: block; font-size: .75em; color: #9cf; word-break: break-all; user-select: all; }}
.failed {{ color: #f99; }}
</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Contact sheet: <a href="{html.escape(sheet.name)}">{html.escape(sheet.name)}</a>. Under each cell, {caption}.</p>
<main>
{chr(10).join(figures)}
</main></body></html>
"""
    atomic_write(page, lambda f: f.write(text.encode("utf-8")))


@dataclass(frozen=True)
class _Cell:
    output: Path


def _paint_cells(settings, chunk: list[int], outputs: list[Path], own: list) -> None:
    """Paint the atlas cells of channels `chunk` in one batch and write each to its output with its
    own settings (`own`), and its transparency map where --alpha asks for it."""
    import numpy as np

    from .images import save_image
    from .render.param import prepare_painting
    from .settings import parse_size

    painting = prepare_painting(settings, channels=chunk)
    height, width = parse_size(settings.size)
    # [B, h, w, 3] and the transparency maps [B, h, w] (a batch of one comes unbatched)
    pictures = np.reshape(painting.run(), (len(chunk), height, width, 3))
    alphas = np.reshape(painting.transparency(), (len(chunk), height, width))
    for rgb, alpha, out, mine in zip(pictures, alphas, outputs, own, strict=True):
        channel = alpha if settings.alpha == "channel" else None
        save_image(rgb, out, alpha=channel, overwrite=True, metadata=mine.to_json())
        alpha_file = settings.alpha_file(out)
        if alpha_file is not None:
            save_image(alpha, alpha_file, overwrite=True, metadata=mine.to_json())


def atlas(
    sheet,
    settings,
    *,
    channels: int | None = None,
    cell: int | None = None,
    columns: int | None = None,
    batch: int = 8,
    overwrite: bool = False,
    progress: Callable[[object], None] | None = None,
    dry_run: bool = False,
) -> Gallery | None:
    """A feature atlas: the first `channels` (default 16) channels of the layer `settings.target`
    (a VisualizeSettings) each painted from noise (`deepdream.render.param`), `batch` channels at
    a time in one network pass, as a labelled contact sheet `sheet` (PNG) with SHEET.html beside it
    (each cell's `deepdream visualize` command) and the cells in SHEET_cells/. A cell already
    there with the same settings is not painted again."""
    from .images import check_output_path, read_metadata, save_image
    from .objectives import parse_layer_spec

    sheet = Path(sheet)
    if sheet.suffix.lower() != ".png":
        raise OutputError(f"The contact sheet '{sheet}' must be a .png file.")
    layout = AtlasSettings.of(None, **_given(channels=channels, cell=cell, columns=columns))
    cell, columns = layout.cell, layout.columns
    spec = parse_layer_spec(settings.target)
    if spec.channel is not None:
        raise SettingsError("An atlas paints the channels of one layer: give --layer NAME without a channel.")
    page = sheet.with_suffix(".html")
    check_output_path(sheet, overwrite=overwrite, replace_own=True)
    overwrite = overwrite or sheet.exists()  # deepdream's own sheet: this atlas made again
    if page.exists() and not overwrite:
        raise OutputError(f"'{page}' already exists; pass --overwrite to replace it.")
    settings = settings.replace(size=f"{cell}x{cell}")
    from ._tf import quiet_tensorflow
    from .backbones import load_backbone

    quiet_tensorflow()
    info = load_backbone(settings.backbone, settings.weights).layer(spec.name)
    picks = list(range(min(layout.channels, info.channels)))
    cells_dir = sheet.with_name(f"{sheet.stem}_cells")
    if dry_run:
        print(
            f"would write {sheet} and {page} ({len(picks)} channels of {spec.name} painted from noise, "
            f"{cell}x{cell}, into {cells_dir}/)"
        )
        return None
    outputs = [cells_dir / f"{spec.name}_{c:04d}.png" for c in picks]
    own = {c: settings.replace(target=f"{spec.name}:{c}") for c in picks}
    todo = (
        [c for c, out in zip(picks, outputs, strict=False) if read_metadata(out) != own[c].to_json()]
        if cells_dir.is_dir()
        else list(picks)
    )
    cells_dir.mkdir(exist_ok=True)
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        _paint_cells(settings, chunk, [outputs[picks.index(c)] for c in chunk], [own[c] for c in chunk])
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    labels = [f"{spec.name}:{c}" for c in picks]
    from .web.forms import command_line

    commands = [command_line(own[c], None, f"{spec.name}_{c}.png") for c in picks]
    title = f"{spec.name} · {settings.backbone} · painted from noise, {settings.steps} steps"
    picture = contact_sheet(outputs, labels, title, cell, columns, {})
    save_image(picture, sheet, overwrite=overwrite, metadata=settings.to_json(atlas=labels))
    cells = [_Cell(out) for out in outputs]
    caption = "the command that paints it again (a larger --size paints it larger)"
    write_html(page, sheet, cells, labels, commands, {}, title, overwrite, caption)
    return Gallery(sheet, page, cells, labels, commands, BatchSummary())
