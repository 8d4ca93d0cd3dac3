"""The studio: a Gradio page to dream, guide, paint a class or transfer a style, with live progress
(the picture after each octave), the result as a PNG carrying its settings, and the `deepdream ...`
command that makes it again.

The page only gathers values and builds settings (validated by the settings themselves); renders go
through the same `Service` queue as the HTTP API.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # never phone home

import gradio as gr
import numpy as np

from ..errors import DeepDreamError
from ..render.events import DreamProgress, Stage
from ..settings import PRESETS, ClassSettings, DreamSettings, StyleSettings, preset_values
from .forms import command_line, safe_name
from .regions import editor as region_editor
from .regions import region_values
from .service import Service, TimedOut, read_upload, redact

MODES = ("dream", "guided dream", "class painting", "style transfer")
#: Longer side studio inputs are shrunk to unless the page says otherwise (a CPU dreams 512 px in seconds).
STUDIO_MAX_SIDE = 512
#: Studio outputs older than this are removed when a new one is written.
KEEP_SECONDS = 3600

#: The Live tab: the page `/live` (web/live.html), which streams the camera, a shared screen or a video
#: file to `/api/live` frame by frame and shows the dreamt frames beside it.
LIVE_FRAME = (
    '<iframe src="/live" title="deepdream live" allow="camera; display-capture; autoplay" '
    'style="width: 100%; height: 760px; border: 0"></iframe>'
)

CSS = """
#command textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
#status { min-height: 2em; }
"""


def _theme():
    system = ["ui-sans-serif", "system-ui", "sans-serif"]  # no web fonts: the studio works offline
    mono = ["ui-monospace", "SFMono-Regular", "monospace"]
    return gr.themes.Soft(font=system, font_mono=mono, primary_hue="violet")


def _class_choices() -> list[tuple[str, str]]:
    """(label, value) of every ImageNet class: the name where it is unique, else its number."""
    from ..classes import search

    found = search("")
    counts: dict[str, int] = {}
    for _, name in found:
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    return [(f"{i} {name}", name if counts[name.lower()] == 1 else str(i)) for i, name in found]


def _defaults(mode: str):
    return {
        "dream": DreamSettings,
        "guided dream": DreamSettings,
        "class painting": ClassSettings,
        "style transfer": StyleSettings,
    }[mode]


def _upload(path, what: str, uploads: Path, max_pixels: int | None = None, scratch: Path | None = None):
    """The picture Gradio stored for an upload: read only from the uploads folder (`uploads`), so a
    path sent by a client naming any other file is never opened."""
    if not path:
        raise DeepDreamError(f"Drop a {what} on the page first.")
    real = os.path.realpath(path)
    if not (real.startswith(os.path.realpath(uploads) + os.sep) and os.path.isfile(real)):
        raise DeepDreamError(f"The {what} was not uploaded through this page; drop it on the page again.")
    return read_upload(Path(real).read_bytes(), Path(path).name, f"{what}.png", max_pixels, scratch)


def _tidy(folder: Path) -> None:
    now = time.time()
    for item in folder.glob("*/*"):
        try:
            if now - item.stat().st_mtime > KEEP_SECONDS:
                item.unlink()
                item.parent.rmdir()
        except OSError:
            pass


def controls() -> dict:
    """field name -> (its Control, the settings classes showing it): every control the page has
    besides the pictures, mode, preset, backbone, layers and class, made from the settings' fields
    (`option(..., ui=Control(...))`), in field order (dream's first): a setting given a control in
    the settings is on the page, with no change here."""
    out: dict = {}
    for cls in dict.fromkeys(_defaults(m) for m in MODES):
        for f in dataclasses.fields(cls):
            ui = f.metadata.get("ui")
            if ui is not None:
                out.setdefault(f.name, [ui, []])[1].append(cls)
    return {name: (ui, tuple(classes)) for name, (ui, classes) in out.items()}


#: The render's inputs, in order: the page's own, then one per control (`controls`).
PAGE_INPUTS = (
    "mode",
    "picture",
    "guide_picture",
    "style_picture",
    "preset",
    "backbone",
    "layers",
    "target_class",
    "regions",
    "region_1",
    "region_2",
    "region_3",
)


def render_inputs() -> tuple:
    return PAGE_INPUTS + tuple(controls())


def settings_for(mode, values: dict, guide=None, style=None, painted: dict | None = None):
    """The settings of a render from the page's values (by name: `render_inputs`): the controls the
    mode's settings show, then what the mode adds (its pictures, the class, the preset, the regions
    `painted`: `region_values`' changes); the settings check every value."""
    cls = _defaults(mode)
    given = {}
    for name, (ui, classes) in controls().items():
        value = values.get(name)
        if cls not in classes or value is None or (ui.zero_none and not value):
            continue
        if isinstance(value, float) and cls.default(name) is not None and isinstance(cls.default(name), int):
            value = int(value) if value.is_integer() else value  # a number box gives floats
        given[name] = value
    given["backbone"] = values.get("backbone") or cls.default("backbone")
    if mode == "style transfer":
        return cls.from_dict({}, styles=(style.image,), **given)
    if mode == "class painting":
        return cls.from_dict({}, target_class=values.get("target_class") or None, **given)
    # the controls hold the preset's values (on_preset) unless moved; layers left empty are the preset's
    painted = painted or {}
    if values.get("layers") or painted.get("layers"):
        given["layers"] = tuple(values.get("layers") or ()) + painted.get("layers", ())
    target_class = values.get("target_class") or None
    if "target_class" in painted:
        if target_class is not None:
            raise DeepDreamError("One class at a time: leave the class menu empty when a region paints a class.")
        target_class = painted["target_class"]
    preset = values.get("preset")
    if preset and preset != "classic":  # classic is the defaults
        given["preset"] = preset
    if mode == "guided dream":
        return cls.from_dict({}, guide=(guide.image,), **given)
    return cls.from_dict({}, target_class=target_class, **given)


def make_render(service: Service, outputs: Path, uploads: Path):
    """The studio's render: a generator taking the page's values (in `render_inputs` order) and
    yielding (picture, status, download, command) as the render goes: the picture after each
    octave (each style scale's last iteration, every 10th), then the result. Pictures are read only
    from `uploads` (where Gradio keeps what was uploaded); renders over the service's limits are
    refused before they queue."""
    names = render_inputs()

    def render(*page):
        values = dict(zip(names, page, strict=False))
        mode = values["mode"]
        try:
            image = guide = style = None
            if mode != "class painting":
                image = _upload(values["picture"], "picture", uploads, service.limits.max_pixels, service.scratch)
            if mode == "guided dream":
                guide = _upload(values["guide_picture"], "guide", uploads, service.limits.max_pixels, service.scratch)
            if mode == "style transfer":
                style = _upload(values["style_picture"], "style", uploads, service.limits.max_pixels, service.scratch)
            changes, masks, painted = {}, {}, {}

            def read_mask(data: bytes, name: str):
                painted[name] = data  # offered for download beside the result: the command reads them
                return read_upload(data, name, name, service.limits.max_pixels, service.scratch)

            if mode == "dream":
                changes, masks = region_values(values, read_mask)
            settings = settings_for(mode, values, guide, style, changes)
            if image is None:
                from ..settings import parse_size

                service.check(settings, *parse_size(settings.size))
            else:
                service.check(settings, *image.image.rgb.shape[:2])
        except DeepDreamError as e:
            raise gr.Error(redact(str(e)), print_exception=False) from None

        events: queue.Queue = queue.Queue()
        cancel = threading.Event()

        def progress(event):
            if isinstance(event, Stage):
                events.put((event.text[:1].upper() + event.text[1:] + " ...", None))
            elif isinstance(event, DreamProgress):
                last = event.step == event.steps
                picture = event.snapshot() if last and event.snapshot is not None else None
                events.put(
                    (
                        f"Octave {event.octave}/{event.octaves} ({event.size[1]}x{event.size[0]}), "
                        f"step {event.step}/{event.steps}",
                        picture,
                    )
                )
            else:  # style: StyleProgress
                last = event.iteration == event.iterations
                picture = event.snapshot() if last or event.iteration % 10 == 0 else None
                events.put(
                    (f"Scale {event.scale}/{event.scales}, iteration {event.iteration}/{event.iterations}", picture)
                )

        kwargs = dict(progress=progress, cancelled=cancel)
        if mode == "style transfer":
            future = service.submit(settings.backbone, service.stylize, image, [style], settings, **kwargs)
        elif mode == "class painting":
            future = service.submit(settings.backbone, service.paint, settings, **kwargs)
        else:
            future = service.submit(
                settings.backbone,
                service.dream,
                image,
                settings,
                guides=[guide] if guide else [],
                regions=masks,
                **kwargs,
            )
        ahead = service.waiting(settings.backbone) - 1
        yield (
            gr.skip(),
            f"Queued behind {ahead} render{'s' * (ahead != 1)} ..." if ahead > 0 else "Starting ...",
            gr.skip(),
            gr.skip(),
        )
        timeout, started = service.limits.timeout, time.monotonic()
        try:
            while not future.done() or not events.empty():
                if timeout and time.monotonic() - started > timeout:
                    raise gr.Error(TimedOut.after(timeout).args[0], print_exception=False)
                try:
                    text, picture = events.get(timeout=0.25)
                except queue.Empty:
                    continue
                while picture is None and not events.empty():  # keep up: skip to the latest news
                    text, picture = events.get_nowait()
                shown = gr.skip() if picture is None else np.clip(np.round(picture), 0, 255).astype(np.uint8)
                yield shown, text, gr.skip(), gr.skip()
            try:
                result = future.result()
            except DeepDreamError as e:
                raise gr.Error(redact(str(e)), print_exception=False) from None
        finally:
            cancel.set()  # the page went away (or the render ended): stop at the next step
        _tidy(outputs)
        if image is None:
            from ..classes import class_index, imagenet_classes

            stem = safe_name(imagenet_classes()[class_index(settings.target_class)], "class")
            name = f"{stem}.png"
        else:
            stem = Path(image.name).stem
            name = f"{stem}_{settings.mode}.png"
        folder = Path(tempfile.mkdtemp(dir=outputs))
        path = folder / name
        path.write_bytes(result.png())
        files = {}
        if guide is not None:
            files["guide"] = [guide.name]
        if style is not None:
            files["styles"] = [style.name]
        command = command_line(settings, None if image is None else image.name, name, files)
        height, width = result.rgb.shape[:2]
        done = f"Done: {width}x{height} in {result.seconds:.1f} s."
        downloads = [str(path)]
        for mask, data in painted.items():  # the regions' masks, named as the command names them
            (folder / mask).write_bytes(data)
            downloads.append(str(folder / mask))
        if painted:
            done += f" The regions' masks ({', '.join(painted)}) are under Download, for the command below."
        yield str(path), done, downloads if painted else str(path), command

    return render


def _control(name: str, ui, cls, value, visible: bool):
    """The Gradio component of one settings field (`Control`): a slider, number box, radio,
    checkbox or text box."""
    common = dict(label=ui.label, elem_id=name.replace("_", "-"), visible=visible)
    default = cls.default(name)
    if isinstance(default, bool):
        return gr.Checkbox(bool(value), **common)
    if ui.choices:
        return gr.Radio(list(ui.choices), value=value, **common)
    if ui.low is not None:
        return gr.Slider(ui.low, ui.high, value=value, step=ui.step, **common)
    if isinstance(default, str):
        return gr.Textbox(value, **common)
    whole = isinstance(default, int) or default is None
    return gr.Number(value, precision=0 if whole else None, minimum=0 if ui.zero_none else None, **common)


def build(service: Service, outputs: Path, uploads: Path) -> gr.Blocks:
    """The studio's page; renders are queued on `service`, pictures read from `uploads` only,
    results written under `outputs`. Its controls are made from the settings (`controls`)."""
    from ..backbones import names as backbone_names

    render = make_render(service, outputs, uploads)
    shrink = min(STUDIO_MAX_SIDE, service.limits.max_side or STUDIO_MAX_SIDE)
    specs = controls()

    def start(name: str, cls):
        """What a control shows for a mode's settings: the field's default (the studio's own
        shrink for max_side: a CPU dreams 512 px in seconds)."""
        return shrink if name == "max_side" else cls.default(name)

    def on_mode(mode):
        cls = _defaults(mode)
        dreamlike = mode in ("dream", "guided dream")
        painting = mode == "class painting"
        shown = [
            gr.update(
                visible=cls in classes,
                value=start(name, cls) if cls in classes else None,
                label=_field_ui(cls, name).label if cls in classes else ui.label,
            )
            for name, (ui, classes) in specs.items()
        ]
        return (
            gr.update(visible=not painting),
            gr.update(visible=mode == "guided dream"),
            gr.update(visible=mode == "style transfer"),
            gr.update(value=cls.default("backbone")),
            gr.update(visible=dreamlike),
            gr.update(visible=mode in ("dream", "class painting")),
            gr.update(visible=dreamlike, value="classic"),
            gr.update(visible=mode == "dream"),
            *shown,
        )

    def on_preset(name):
        """The controls (and the backbone) at the preset's values, so what is shown is what renders."""
        values = {**DreamSettings().to_dict(), "max_side": shrink, **preset_values(name or "classic")}
        return (
            gr.update(value=values["backbone"]),
            *(
                gr.update(value=values[n]) if DreamSettings in classes and n in values else gr.update()
                for n, (_, classes) in specs.items()
            ),
        )

    def on_backbone(backbone):
        try:
            net = service.backbone(backbone)  # not on the render queue: the list never waits
        except DeepDreamError as e:
            gr.Warning(redact(str(e)))
            return gr.update(choices=[], value=[])
        defaults = {name for name, _ in net.default_layers}
        choices = [
            (
                f"{info.name} ({info.channels} ch, 1/{info.stride})" + (" default" if info.name in defaults else ""),
                info.name,
            )
            for info in net.catalog
        ]
        return gr.update(choices=choices, value=[])

    def grid(names, made):
        """The controls of `names` two to a row, each as the dream shows it (the others hidden)."""
        for pair in (names[i : i + 2] for i in range(0, len(names), 2)):
            with gr.Row():
                for name in pair:
                    ui, classes = specs[name]
                    cls = classes[0]
                    made[name] = _control(name, _field_ui(cls, name), cls, start(name, cls), DreamSettings in classes)

    with gr.Blocks(title="deepdream studio", delete_cache=(3600, 3600)) as page:
        with gr.Tabs():
            with gr.Tab("Studio", id="studio"):
                gr.Markdown(
                    "## deepdream studio\nDrop a picture, pick a mode, and render. Every result carries its "
                    "settings; the command below it makes the same picture from a terminal."
                )
                made: dict = {}
                with gr.Row():
                    with gr.Column(scale=1):
                        mode = gr.Radio(list(MODES), value="dream", label="Mode", elem_id="mode")
                        preset = gr.Dropdown(
                            [(f"{p.name}: {p.purpose}", p.name) for p in PRESETS.values()],
                            value="classic",
                            elem_id="preset",
                            label="Preset (a named look; the controls below start from it)",
                        )
                        picture = gr.Image(
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard"],
                            label="Picture (drop one here)",
                            elem_id="picture",
                            height=260,
                        )
                        guide_picture = gr.Image(
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard"],
                            label="Guide: dream toward its patterns",
                            elem_id="guide",
                            height=200,
                            visible=False,
                        )
                        style_picture = gr.Image(
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard"],
                            label="Style picture",
                            elem_id="style",
                            height=200,
                            visible=False,
                        )
                        with gr.Row():
                            backbone = gr.Dropdown(
                                backbone_names(),
                                value=DreamSettings.default("backbone"),
                                label="Backbone",
                                elem_id="backbone",
                            )
                            layers = gr.Dropdown(
                                [],
                                value=[],
                                multiselect=True,
                                elem_id="layers",
                                label="Layers (empty: the backbone's own)",
                            )
                        target_class = gr.Dropdown(
                            _class_choices(),
                            value=None,
                            filterable=True,
                            label="ImageNet class (type to search)",
                            elem_id="class",
                        )
                        panel, painter, boxes = region_editor(picture)
                        grid([n for n, (ui, _) in specs.items() if not ui.more], made)
                        go = gr.Button("Render", variant="primary", elem_id="render")
                        with gr.Accordion("More options", open=False):
                            grid([n for n, (ui, _) in specs.items() if ui.more], made)
                    with gr.Column(scale=1):
                        result = gr.Image(
                            label="Result",
                            type="filepath",
                            format="png",
                            interactive=False,
                            elem_id="result",
                            height=420,
                        )
                        status = gr.Markdown("", elem_id="status")
                        download = gr.File(
                            label="Download (PNG with its settings)",
                            interactive=False,
                            file_count="multiple",
                            elem_id="download",
                        )
                        command = gr.Textbox(
                            label="The same from a terminal",
                            interactive=False,
                            lines=2,
                            buttons=["copy"],
                            elem_id="command",
                        )
            with gr.Tab("Live", id="live-tab"):
                gr.HTML(LIVE_FRAME, elem_id="live")

        fields = [made[name] for name in specs]
        mode.change(
            on_mode,
            mode,
            [picture, guide_picture, style_picture, backbone, layers, target_class, preset, panel, *fields],
        )
        preset.input(on_preset, preset, [backbone, *fields])
        backbone.change(on_backbone, backbone, layers)
        page.load(on_backbone, backbone, layers)
        go.click(
            render,
            [
                mode,
                picture,
                guide_picture,
                style_picture,
                preset,
                backbone,
                layers,
                target_class,
                painter,
                *boxes,
                *fields,
            ],
            [result, status, download, command],
        )
    page.queue(default_concurrency_limit=4)
    return page


def _field_ui(cls, name: str):
    return next(f.metadata["ui"] for f in dataclasses.fields(cls) if f.name == name)
