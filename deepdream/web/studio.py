"""The studio: a Gradio page to dream, guide, paint a class or transfer a style, with live progress
(the picture after each octave), the result as a PNG carrying its settings, and the `deepdream ...`
command that makes it again.

The page only gathers values and builds settings (validated by the settings themselves); renders go
through the same `Service` queue as the HTTP API.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gradio as gr

from ..errors import DeepDreamError
from ..settings import PRESETS, DreamSettings, ZoomSettings, preset_values
from ..settings.dream import BACKBONE_LOOKS
from .regions import editor as region_editor
from .service import Limits, Service, redact
from .studio_render import MODES, _defaults, controls, make_render, owner, preview, timeline_plots
from .studio_session import again as dream_again
from .studio_session import chosen, history_panel, page_render, token
from .studio_zoom import EXAMPLE_TIMELINE, MAX_TIMELINE

#: Longer side studio inputs are shrunk to unless the page says otherwise (a CPU dreams 512 px in seconds).
STUDIO_MAX_SIDE = Limits.max_side

#: The Live tab: the page `/live` (web/live.html), which streams the camera, a shared screen or a video
#: file to `/api/live` frame by frame and shows the dreamt frames beside it.
LIVE_FRAME = (
    '<iframe src="/live" title="deepdream live" allow="camera; display-capture; autoplay; fullscreen" '
    'allowfullscreen style="width: 100%; height: max(560px, calc(100vh - 90px)); border: 0"></iframe>'
)

#: Pictures to click for a first try (the repository's samples, where the studio runs from a checkout).
EXAMPLES = ("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


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
    named = [(f"{i} {name}", name if counts[name.lower()] == 1 else str(i)) for i, name in found]
    return [("none (a dream follows its layers)", ""), *named]


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
        # no per-slider reset: it restores the field's default, not the preset's ("↺ its values" does)
        return gr.Slider(ui.low, ui.high, value=value, step=ui.step, buttons=[], **common)
    if isinstance(default, str):
        return gr.Textbox(value, **common)
    whole = isinstance(default, int) or default is None
    return gr.Number(value, precision=0 if whole else None, minimum=0 if ui.zero_none else None, **common)


class _Handlers:
    """The page's events besides the render: a mode, a preset or a backbone chosen; `grid` makes
    the controls each as the dream shows it."""

    def __init__(self, service: Service):
        self.service = service
        self.shrink = min(STUDIO_MAX_SIDE, service.limits.max_side or STUDIO_MAX_SIDE)
        self.specs = controls()

    def start(self, name: str, cls):
        """What a control shows for a mode's settings: the field's default (the studio's own
        shrink for max_side: a CPU dreams 512 px in seconds)."""
        return self.shrink if name == "max_side" else cls.default(name)

    def on_mode(self, mode):
        dreamlike = mode in ("dream", "guided dream", "zoom")
        owners = {name: owner(mode, classes) for name, (_, classes) in self.specs.items()}
        shown = [
            gr.update(
                visible=cls is not None,
                value=self.start(name, cls) if cls is not None else None,
                label=_field_ui(cls, name).label if cls is not None else self.specs[name][0].label,
            )
            for name, cls in owners.items()
        ]
        return (
            gr.update(visible=mode != "class painting"),
            gr.update(visible=mode == "guided dream"),
            gr.update(visible=mode == "style transfer"),
            gr.update(value=(DreamSettings if mode == "zoom" else _defaults(mode)).default("backbone")),
            gr.update(visible=dreamlike),
            # a class never carries over: none for a dream, to be chosen for a painting
            gr.update(visible=mode in ("dream", "class painting"), value=None if mode == "class painting" else ""),
            gr.update(visible=dreamlike, value="classic"),
            gr.update(visible=mode == "dream"),
            gr.update(visible=mode == "zoom"),
            *shown,
        )

    def on_preset(self, name):
        """The controls (and the backbone) at the preset's values, so what is shown is what renders."""
        values = {**DreamSettings().to_dict(), "max_side": self.shrink, **preset_values(name or "classic")}
        return (
            gr.update(value=values["backbone"]),
            *(
                gr.update(value=values[n]) if DreamSettings in classes and n in values else gr.update()
                for n, (_, classes) in self.specs.items()
            ),
        )

    def on_backbone(self, backbone, mode="dream", preset=None):
        """The backbone's layers to choose from, and (for a dream with no preset of its own) the
        look controls at the network's own look (`DreamSettings.backbone_look`: vgg16 dreams at
        step size 1.5, scoring layers by their mean), as a render with it takes them."""
        return (self.layers(backbone), *self.look(backbone, mode, preset))

    def look(self, backbone, mode, preset) -> list:
        """An update per control: the fields any network's own look sets moved to this one's
        (the dream's default where it has none); the others, and every control where a preset
        other than classic or a mode without dreams rules, left as they are."""
        if _defaults(mode) not in (DreamSettings, ZoomSettings) or (preset or "classic") != "classic":
            return [gr.update() for _ in self.specs]
        looks = {name for look in BACKBONE_LOOKS.values() for name in look}
        values = {**DreamSettings().to_dict(), **DreamSettings.backbone_look(backbone)}
        return [gr.update(value=values[n]) if n in looks else gr.update() for n in self.specs]

    def layers(self, backbone):
        try:
            net = self.service.backbone(backbone)  # not on the render queue: the list never waits
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

    def grid(self, more: bool, made: dict) -> None:
        """The controls (those under "More options", or the others) two to a row, each as the
        dream shows it (the others hidden), into `made` by name."""
        names = [n for n, (ui, _) in self.specs.items() if bool(ui.more) == more]
        for pair in (names[i : i + 2] for i in range(0, len(names), 2)):
            with gr.Row():
                for name in pair:
                    _, classes = self.specs[name]
                    cls = classes[0]
                    value = self.start(name, cls)
                    made[name] = _control(name, _field_ui(cls, name), cls, value, DreamSettings in classes)


def _picture(label: str, elem_id: str, height: int, visible: bool = True):
    return gr.Image(
        type="filepath",
        image_mode=None,
        sources=["upload", "clipboard"],
        label=label,
        elem_id=elem_id,
        height=height,
        visible=visible,
    )


def _inputs(handlers: _Handlers) -> dict:
    """The left column: mode, preset, pictures, the Render and Cancel buttons, backbone, layers,
    class, the controls, "More options" and the regions, by name (the controls under their field
    names in "fields")."""
    from ..backbones import names as backbone_names

    made: dict = {}
    parts = dict(mode=gr.Radio(list(MODES), value="dream", label="Mode", elem_id="mode"))
    with gr.Row():
        parts["preset"] = gr.Dropdown(
            [(f"{p.name}: {p.purpose}", p.name) for p in PRESETS.values()],
            value="classic",
            elem_id="preset",
            label="Preset (a named look; the controls below start from it)",
            scale=5,
        )
        parts["reset"] = gr.Button("↺ its values", size="sm", elem_id="preset-reset", scale=1, min_width=90)
    parts.update(
        picture=_picture("Picture (drop one here)", "picture", 220),
        guide_picture=gr.Gallery(
            label="Guides: dream toward their patterns (drop one or more)",
            type="filepath",
            file_types=["image"],
            interactive=True,
            columns=4,
            height=200,
            elem_id="guide",
            visible=False,
        ),
        style_picture=_picture("Style picture", "style", 200, visible=False),
    )
    with gr.Row(elem_id="render-row"):
        parts["go"] = gr.Button("Render", variant="primary", elem_id="render", scale=3)
        parts["cancel"] = gr.Button("Cancel", variant="stop", elem_id="cancel", scale=1)
    examples = [[str(SAMPLES / name)] for name in EXAMPLES if (SAMPLES / name).is_file()]
    if examples:
        gr.Examples(examples, [parts["picture"]], label="Or try one of these", examples_per_page=8)
    with gr.Row():
        default = DreamSettings.default("backbone")
        parts["backbone"] = gr.Dropdown(backbone_names(), value=default, label="Backbone", elem_id="backbone")
        parts["layers"] = gr.Dropdown(
            [], value=[], multiselect=True, elem_id="layers", label="Layers (empty: the backbone's own)"
        )
    with gr.Column(visible=False, elem_id="zoom-panel") as parts["zoom_panel"]:
        parts["timeline"] = gr.Textbox(
            EXAMPLE_TIMELINE,
            lines=5,
            max_lines=16,
            max_length=MAX_TIMELINE,
            label="Timeline: how settings move over the clip (TOML or JSON, as `deepdream zoom --keyframes`)",
            elem_id="timeline",
        )
        parts["plots"] = gr.HTML("", elem_id="timeline-plots")
    parts["target_class"] = gr.Dropdown(
        _class_choices(), value="", filterable=True, label="ImageNet class (type to search)", elem_id="class"
    )
    handlers.grid(False, made)
    with gr.Accordion("More options", open=False):
        handlers.grid(True, made)
    parts["panel"], parts["painter"], parts["boxes"] = region_editor(parts["picture"])
    parts["fields"] = [made[name] for name in handlers.specs]
    return parts


def _outputs() -> list:
    """The right column: the result, the status line, the command, the downloads; then the history."""
    return [
        gr.Image(label="Result", type="filepath", format="png", interactive=False, elem_id="result", height=400),
        gr.Markdown("", elem_id="status"),
        gr.File(
            label="Download (a PNG carries its settings; a zoom: GIF, last frame, timeline)",
            interactive=False,
            file_count="multiple",
            elem_id="download",
        ),
        gr.Textbox(
            label="The same from a terminal (follows the controls)",
            interactive=False,
            lines=2,
            buttons=["copy"],
            elem_id="command",
        ),
    ]


def build(service: Service, outputs: Path, uploads: Path) -> gr.Blocks:
    """The studio's page; renders are queued on `service`, pictures read from `uploads` only,
    results written under `outputs`. Its controls are made from the settings (`controls`)."""
    render = make_render(service, outputs, uploads)
    handlers = _Handlers(service)
    with gr.Blocks(title="deepdream studio", delete_cache=(3600, 3600), analytics_enabled=False) as page:
        with gr.Tabs():
            with gr.Tab("Studio", id="studio"):
                gr.Markdown(
                    "**deepdream studio**: drop a picture, pick a mode, Render. Every result carries its "
                    "settings; the command beside it makes the same picture from a terminal."
                )
                with gr.Row():
                    with gr.Column(scale=1):
                        parts = _inputs(handlers)
                    with gr.Column(scale=1):
                        shown = _outputs()
                        gallery, again, history, choice = history_panel()
            with gr.Tab("Live", id="live-tab"):
                gr.HTML(LIVE_FRAME, elem_id="live")
        _wire(page, handlers, render, parts, shown, (gallery, again, history, choice))
    page.queue(default_concurrency_limit=4)
    return page


def _wire(page, handlers: _Handlers, render, parts: dict, shown: list, kept: tuple) -> None:
    """The page's events: a mode, preset or backbone chosen; the command kept up with the controls;
    Render, Cancel, the history and "dream again"."""
    mode, preset, backbone, layers, fields = (parts[n] for n in ("mode", "preset", "backbone", "layers", "fields"))
    gallery, again, history, choice = kept
    key = gr.State("")
    pictures = [parts[n] for n in ("picture", "guide_picture", "style_picture")]
    timeline = parts["timeline"]
    given = [mode, *pictures, preset, backbone, layers, parts["target_class"], parts["painter"], *parts["boxes"]]
    given.append(timeline)
    # the command (and a zoom's plots) follow the controls (the regions are named once they are rendered)
    unpainted = [mode, *pictures, preset, backbone, layers, parts["target_class"], timeline]

    def follow(*values):
        page = (*values[:8], None, "", "", "", *values[8:])
        return preview(*page), timeline_plots(*page)

    # once for what the user edits, and once after a mode, preset or backbone has set many controls
    # (their programmatic changes are not events: a mode's forty new values would be forty requests,
    # each cloning the page's values in the browser, seconds of its CPU)
    following = dict(
        fn=follow, inputs=[*unpainted, *fields], outputs=[shown[3], parts["plots"]], show_progress="hidden"
    )
    gr.on(
        [page.load, *(c.change for c in unpainted if c is not mode), *(c.input for c in fields)],
        trigger_mode="always_last",
        **following,
    )
    mode.change(
        handlers.on_mode,
        mode,
        [*pictures, backbone, layers, parts["target_class"], preset, parts["panel"], parts["zoom_panel"], *fields],
    ).then(**following)
    preset.input(handlers.on_preset, preset, [backbone, *fields]).then(**following)
    parts["reset"].click(handlers.on_preset, preset, [backbone, *fields]).then(**following)
    backbone.change(handlers.on_backbone, [backbone, mode, preset], [layers, *fields]).then(**following)
    page.load(handlers.layers, backbone, layers)
    page.load(token, None, key)
    parts["go"].click(
        page_render(render),
        [key, history, *given, *fields],
        [*shown, gallery, history],
        show_progress_on=[shown[1]],
        api_name="render",  # the page's render as Gradio's API names it (`/gradio_api/call/render`)
    )
    parts["cancel"].click(render.cancel, key, None, show_progress="hidden", concurrency_limit=None)
    gallery.select(chosen, None, choice)
    again.click(dream_again, [history, choice], pictures[0])


def _field_ui(cls, name: str):
    return next(f.metadata["ui"] for f in dataclasses.fields(cls) if f.name == name)
