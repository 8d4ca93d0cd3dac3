"""The studio's render: the page's values read into settings and pictures, the render queued on the
`Service`, its progress shown octave by octave, and its result written with the command that makes it
again. The page itself (its layout and controls' events) is `studio.py`."""

from __future__ import annotations

import dataclasses
import os
import queue
import tempfile
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path

import gradio as gr
import numpy as np

from ..errors import DeepDreamError
from ..settings import ClassSettings, DreamSettings, StyleSettings, ZoomSettings, parse_size, preset_values
from .forms import command_line, safe_name
from .regions import region_values
from .service import STOPPING, Cancelled, Service, TimedOut, redact
from .studio_progress import reporter
from .studio_zoom import error_html, finish_clip, plots, read_timeline, zoom_clip, zoom_command, zoom_settings
from .studio_zoom import output_name as zoom_output
from .uploads import PLACEHOLDER, Upload, check_declared, read_upload

MODES = ("dream", "guided dream", "class painting", "style transfer", "zoom")
#: Studio outputs older than this are removed when a new one is written.
KEEP_SECONDS = 3600


def _defaults(mode: str):
    return {
        "dream": DreamSettings,
        "guided dream": DreamSettings,
        "class painting": ClassSettings,
        "style transfer": StyleSettings,
        "zoom": ZoomSettings,
    }[mode]


def owner(mode: str, classes) -> type | None:
    """The settings class whose field a control (shown by `classes`) is in `mode`, None where the
    mode has no such control: a zoom shows the dream's controls besides its own."""
    cls = _defaults(mode)
    if cls in classes:
        return cls
    return DreamSettings if cls is ZoomSettings and DreamSettings in classes else None


def backbone_of(settings) -> str:
    """The network a render runs on (a zoom's is its dream's)."""
    return settings.dream.backbone if isinstance(settings, ZoomSettings) else settings.backbone


def _uploaded(path, what: str, uploads: Path) -> tuple[str, bytes]:
    """(name, bytes) of the file Gradio stored for an upload: read only from the uploads folder
    (`uploads`), so a path sent by a client naming any other file is never opened."""
    if not path:
        raise DeepDreamError(f"Drop a {what} on the page first.")
    real = os.path.realpath(path)
    if not (real.startswith(os.path.realpath(uploads) + os.sep) and os.path.isfile(real)):
        raise DeepDreamError(f"The {what} was not uploaded through this page; drop it on the page again.")
    return Path(path).name, Path(real).read_bytes()


def _upload(path, what: str, uploads: Path, max_pixels: int | None = None, scratch: Path | None = None):
    """The picture Gradio stored for an upload, decoded (`_uploaded`, `read_upload`)."""
    name, data = _uploaded(path, what, uploads)
    return read_upload(data, name, f"{what}.png", max_pixels, scratch)


def guide_paths(value) -> list[str]:
    """The guides' paths as the page gives them: one path (a picture box), or a gallery's list of
    paths or (path, caption) pairs."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [item[0] if isinstance(item, list | tuple) else item for item in value if item]


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
    "timeline",
)


def render_inputs() -> tuple:
    return PAGE_INPUTS + tuple(controls())


def settings_for(mode, values: dict, guide=None, style=None, painted: dict | None = None):
    """The settings of a render from the page's values (by name: `render_inputs`): the controls the
    mode's settings show, then what the mode adds (its pictures, the class, the preset, the regions
    `painted`: `region_values`' changes); the settings check every value."""
    cls = DreamSettings if mode == "zoom" else _defaults(mode)
    given = _given(cls, values)
    given["backbone"] = values.get("backbone") or cls.default("backbone")
    if mode == "style transfer":
        return cls.from_dict({}, styles=(style.image,), **given)
    if mode == "class painting":
        return cls.from_dict({}, target_class=values.get("target_class") or None, **given)
    # the controls hold the preset's values (on_preset) unless moved; layers left empty are the preset's
    painted = painted or {}
    if painted.get("layers"):  # the regions' layers, and those of the rest of the picture in its mask
        given["layers"] = painted["layers"]
    elif values.get("layers"):
        given["layers"] = tuple(values["layers"])
    target_class = values.get("target_class") or None
    if "target_class" in painted:
        if target_class is not None:
            raise DeepDreamError("One class at a time: leave the class menu empty when a region paints a class.")
        target_class = painted["target_class"]
    preset = values.get("preset")
    if preset and preset != "classic":  # classic is the defaults
        given["preset"] = preset
    if mode == "zoom":
        return zoom_settings(given, _given(ZoomSettings, values), read_timeline(values.get("timeline")))
    if mode == "guided dream":
        return cls.from_dict({}, guide=tuple(g.image for g in guide), **given)
    return cls.from_dict({}, target_class=target_class, **given)


def _given(cls, values: dict) -> dict:
    """The values of the controls of `cls`'s fields (those set), as its fields' types."""
    given = {}
    for name, (ui, classes) in controls().items():
        value = values.get(name)
        if cls not in classes or value is None or (ui.zero_none and not value):
            continue
        if isinstance(value, float) and cls.default(name) is not None and isinstance(cls.default(name), int):
            value = int(value) if value.is_integer() else value  # a number box gives floats
        given[name] = value
    return given


@dataclasses.dataclass
class _Job:
    """A render the page asked for: its settings, its pictures (uploads) and its regions' masks."""

    mode: str
    settings: object
    image: object = None
    guide: object = None
    style: object = None
    masks: dict = dataclasses.field(default_factory=dict)
    painted: dict = dataclasses.field(default_factory=dict)
    timeline: object = None


def _read_job(service: Service, uploads: Path, values: dict) -> _Job:
    """The page's values as a job: pictures read (from `uploads` only), settings built and checked
    against the service's limits. A DeepDreamError says what is wrong."""
    mode = values["mode"]
    most, scratch = service.limits.max_pixels, service.scratch
    image = guide = style = None
    if mode != "class painting":
        image = _upload(values["picture"], "picture", uploads, most, scratch)
    # the guides or the style picture: headers read, pixels charged; decoded once within the budget
    files = []
    if mode == "guided dream":
        files = [_uploaded(path, "guide", uploads) for path in guide_paths(values["guide_picture"]) or [None]]
        guide = tuple(Upload(name, PLACEHOLDER, "") for name, _ in files)
    elif mode == "style transfer":
        files = [_uploaded(values["style_picture"], "style", uploads)]
        style = Upload(files[0][0], PLACEHOLDER, "")
    decoded = sum(check_declared(data, safe_name(name, "picture.png"), most) for name, data in files)
    changes, masks, painted = {}, {}, {}

    def read_mask(data: bytes, name: str):
        painted[name] = data  # offered for download beside the result: the command reads them
        return read_upload(data, name, name, most, scratch)

    if mode == "dream":
        changes, masks = region_values(values, read_mask, _rest(service, values))
    settings = settings_for(mode, values, guide, style, changes)
    if image is None:
        service.check(settings, *parse_size(settings.size))
    else:
        service.check(settings, *image.image.rgb.shape[:2], decoded=decoded)
    guide = style = None
    if mode == "guided dream":  # shrunk to the size the render uses them at
        guide = tuple(service.guides(settings, files))
        settings = settings.replace(guide=tuple(g.image for g in guide))
    elif mode == "style transfer":
        style = read_upload(files[0][1], files[0][0], "style.png", most, scratch)
        settings = settings.replace(styles=(style.image,))
    timeline = read_timeline(values.get("timeline")) if mode == "zoom" else None
    return _Job(mode, settings, image, guide, style, masks, painted, timeline)


def _rest(service: Service, values: dict) -> tuple:
    """The layers that dream outside the painted regions: those chosen, else the preset's, else the
    network's own (as the picture would dream without regions)."""
    if values.get("layers"):
        return tuple(values["layers"])
    own = preset_values(values["preset"]).get("layers") if values.get("preset") else None
    if own:
        return tuple(own)
    net = service.backbone(values.get("backbone") or DreamSettings.default("backbone"))
    return tuple(name if weight == 1 else f"{name}={weight:g}" for name, weight in net.default_layers)


def _submit(service: Service, job: _Job, **kwargs):
    """The job queued on its backbone's worker (a Future)."""
    backbone = backbone_of(job.settings)
    if job.mode == "zoom":
        return service.submit(backbone, zoom_clip, job.image, job.settings, **kwargs)
    if job.mode == "style transfer":
        return service.submit(backbone, service.stylize, job.image, [job.style], job.settings, **kwargs)
    if job.mode == "class painting":
        return service.submit(backbone, service.paint, job.settings, **kwargs)
    guides = list(job.guide or ())
    return service.submit(backbone, service.dream, job.image, job.settings, guides=guides, regions=job.masks, **kwargs)


def _watch(future, events: queue.Queue, timeout: float | None, stopped: threading.Event):
    """Yield the page's updates (picture, status, download, command) while the render runs, then
    return its result (None once the page's Cancel stopped it: `stopped`); gr.Error for a mistake,
    the timeout, or a server that stops."""
    started = time.monotonic()
    while not future.done() or not events.empty():
        if timeout and time.monotonic() - started > timeout:
            raise gr.Error(TimedOut.after(timeout).args[0], print_exception=False)
        try:
            text, picture = events.get(timeout=0.25)
        except queue.Empty:
            continue
        while picture is None and not events.empty():  # keep up: skip to the latest news
            text, picture = events.get_nowait()
        if stopped.is_set():
            text = "Cancelling (at the next step) ..."
        shown = gr.skip() if picture is None else np.clip(np.round(picture), 0, 255).astype(np.uint8)
        yield shown, text, gr.skip(), gr.skip()
    try:
        return future.result()
    except DeepDreamError as e:
        raise gr.Error(redact(str(e)), print_exception=False) from None
    except (Cancelled, CancelledError):  # the page's Cancel, or the server stopping (its renders stopped)
        if stopped.is_set():
            return None
        raise gr.Error(STOPPING, print_exception=False) from None


def output_name(mode: str, settings, picture: str | None) -> str:
    """The result's file name, telling apart the picture, the look and the seed:
    `coffee_classic_s0.png`, `coffee_guided_s3.png`, `coffee_style.png`, `lemon_s0.png`."""
    if mode == "zoom":
        return zoom_output(settings, picture)
    seed = f"_s{settings.seed}" if getattr(settings, "seed", None) is not None else ""
    if picture is None:
        from ..classes import class_index, imagenet_classes

        return f"{safe_name(imagenet_classes()[class_index(settings.target_class)], 'class')}{seed}.png"
    stem = Path(safe_name(picture)).stem
    look = {"guided dream": "guided", "style transfer": "style"}.get(mode) or settings.preset or "classic"
    return f"{stem}_{look}{seed}.png"


def _finish(job: _Job, result, outputs: Path) -> tuple:
    """The page's last update: the result written under `outputs` (with the regions' masks), the
    status line, the downloads and the command that makes the same picture."""
    settings, image = job.settings, job.image
    _tidy(outputs)
    name = output_name(job.mode, settings, None if image is None else image.name)
    folder = Path(tempfile.mkdtemp(dir=outputs))
    if job.mode == "zoom":
        return finish_clip(settings, job.timeline, image.name, result, folder)
    path = folder / name
    path.write_bytes(result.png())
    command = command_line(settings, None if image is None else image.name, name, _files(job.guide, job.style))
    height, width = result.rgb.shape[:2]
    done = f"Done: {width}x{height} in {result.seconds:.1f} s."
    downloads = [str(path)]
    for mask, data in job.painted.items():  # the regions' masks, named as the command names them
        (folder / mask).write_bytes(data)
        downloads.append(str(folder / mask))
    if job.painted:
        done += f" The regions' masks ({', '.join(job.painted)}) are under Download, for the command below."
    return str(path), done, downloads if job.painted else str(path), command


def _files(guide, style) -> dict:
    files = {}
    if guide:
        files["guide"] = [g.name for g in guide]
    if style is not None:
        files["styles"] = [style.name]
    return files


def preview(*page) -> str:
    """The command the page's values (in `render_inputs` order) will run, before Render: pictures
    named as dropped (placeholders where none is yet), the regions left to the render."""
    values = dict(zip(render_inputs(), page, strict=False))
    mode = values["mode"]
    values.update(regions=None, region_1="", region_2="", region_3="")
    named = {n: Path(values[n]).name if values.get(n) else None for n in ("picture", "style_picture")}
    guides = [Path(p).name for p in guide_paths(values.get("guide_picture"))] or ["guide.png"]
    guide = tuple(Upload(n, PLACEHOLDER, "") for n in guides) if mode == "guided dream" else None
    style = Upload(named["style_picture"] or "style.png", PLACEHOLDER, "") if mode == "style transfer" else None
    picture = None if mode == "class painting" else named["picture"] or "picture.png"
    try:
        settings = settings_for(mode, values, guide, style)
        name = output_name(mode, settings, picture)
        if mode == "zoom":
            return zoom_command(settings, read_timeline(values.get("timeline")), picture, name)
    except DeepDreamError as e:
        return f"# not yet: {redact(str(e))}"
    return command_line(settings, picture, name, _files(guide, style))


def timeline_plots(*page) -> str:
    """A zoom's schedules as the page plots them (`studio_zoom.plots`), or the one line that says
    what is wrong with the timeline or the controls; nothing for the other modes."""
    values = dict(zip(render_inputs(), page, strict=False))
    if values["mode"] != "zoom":
        return ""
    try:
        return plots(settings_for("zoom", values))
    except DeepDreamError as e:
        return error_html(e)


def make_render(service: Service, outputs: Path, uploads: Path):
    """The studio's render: a generator taking the page's values (in `render_inputs` order) and
    yielding (picture, status, download, command) as the render goes: the picture after each
    octave (each style scale's last iteration, every 10th), then the result. Pictures are read
    only from `uploads` (where Gradio keeps what was uploaded); renders over the service's limits
    are refused before they queue. `render.cancel(token)` stops the render started with that
    `token` at its next step."""
    names = render_inputs()
    running: dict[str, tuple[threading.Event, threading.Event]] = {}

    def render(*page, token: str | None = None):
        try:
            job = _read_job(service, uploads, dict(zip(names, page, strict=False)))
        except DeepDreamError as e:
            raise gr.Error(redact(str(e)), print_exception=False) from None
        events: queue.Queue = queue.Queue()
        cancel, stopped = threading.Event(), threading.Event()
        if token:
            running[token] = (stopped, cancel)
        try:
            future = _submit(service, job, progress=reporter(events, job.mode), cancelled=cancel)
        except Cancelled:  # the server is stopping
            raise gr.Error(STOPPING, print_exception=False) from None
        ahead = service.waiting(backbone_of(job.settings)) - 1
        queued = f"Queued behind {ahead} render{'s' * (ahead != 1)} ..." if ahead > 0 else "Starting ..."
        yield gr.skip(), queued, gr.skip(), gr.skip()
        try:
            result = yield from _watch(future, events, service.limits.timeout, stopped)
        finally:
            cancel.set()  # the page went away (or the render ended): stop at the next step
            if token and running.get(token, (None,))[0] is stopped:
                del running[token]
        if result is None:
            yield gr.skip(), "Cancelled: the render stopped at its next step.", gr.skip(), gr.skip()
            return
        yield _finish(job, result, outputs)

    def stop(token: str | None) -> None:
        for event in running.get(token or "", ()):
            event.set()  # stopped first: the page is told it was the Cancel

    render.cancel = stop
    return render
