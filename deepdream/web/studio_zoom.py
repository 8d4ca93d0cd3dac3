"""The studio's zoom: the timeline typed in its box (TOML or JSON, read as `deepdream zoom --keyframes`
reads a file), each scheduled option drawn as a small plot of its value against the frame, the clip
made on the service's queue frame by frame, and the command (with the timeline file it reads) that
makes the same clip from a terminal.

Needs none of the web packages: the page (`studio.py`, `studio_render.py`) shows what this returns.
"""

from __future__ import annotations

import html
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..commandline import command_line, option_words
from ..errors import SettingsError
from ..settings import DreamSettings, ZoomSettings
from ..settings.schedule import Schedule
from .forms import safe_name
from .service import _cancellable, redact

#: Characters a timeline may have (a clip's schedules take a few lines; more is a mistake or an attack).
MAX_TIMELINE = 10_000
#: What the timeline box holds to start with: the docs' growing dream, over the default 48 frames.
EXAMPLE_TIMELINE = (
    '# FRAME:VALUE (frames from 0) or SECONDSs:VALUE\nstep-size = "0:0.5, 47:6"\nzoom = "0:1.2, 24:1.2, 47:1.8"\n'
)
#: A plot's size and the box its lines are drawn in (left, top, right, bottom), in pixels.
PLOT_SIZE, PLOT_BOX = (300, 96), (44, 8, 292, 70)
COLOURS = ("#7c3aed", "#ea580c", "#0891b2", "#16a34a", "#db2777")


@dataclass(frozen=True)
class Timeline:
    """The timeline box's text and the settings it sets (`read_keyframes_text`): the motion's and
    the dream's, by field name; `name` is the file the command reads it from."""

    text: str = ""
    motion: dict = None
    dream: dict = None

    @property
    def name(self) -> str:
        return "timeline.json" if self.text.lstrip().startswith("{") else "timeline.toml"

    def flags(self) -> set:
        """The options the timeline sets (a command typing them too would override it)."""
        return {ZoomSettings.flag(n) for n in self.motion or ()} | {DreamSettings.flag(n) for n in self.dream or ()}


def read_timeline(text) -> Timeline:
    """The timeline box read as `deepdream zoom --keyframes timeline.toml` (or .json, where it starts
    with `{`) reads the file: a SettingsError in the CLI's words; empty (or only comments) sets nothing."""
    from ..settings_file import read_keyframes_text

    text = text if isinstance(text, str) else ""
    if len(text) > MAX_TIMELINE:
        raise SettingsError(f"The timeline is {len(text):,} characters; the limit is {MAX_TIMELINE:,}.")
    if not text.strip():
        return Timeline("", {}, {})
    timeline = Timeline(text)
    motion, dream = read_keyframes_text(text, timeline.name, ZoomSettings)
    return Timeline(text, motion, dream)


def zoom_settings(dream: dict, motion: dict, timeline: Timeline) -> ZoomSettings:
    """The clip's settings: the controls' values (`dream`, `motion`: field -> value), with the
    timeline's schedules over them (a control is one value; the timeline says how it moves). A
    preset schedule in the timeline sets the look its presets differ in, so those controls give way."""
    dream = dict(dream)
    if "preset" in timeline.dream:
        for name in DreamSettings.preset_values(timeline.dream["preset"]):
            dream.pop(name, None)
    dream = DreamSettings.from_dict({}, **{**dream, **timeline.dream})
    from ..classes import class_index

    dream.check_names(class_index)
    return ZoomSettings.from_dict({}, dream=dream, **{**motion, **timeline.motion})


def output_name(settings: ZoomSettings, picture: str) -> str:
    """`chelsea_zoom_s0.gif`: the picture, the mode and the seed."""
    return f"{Path(safe_name(picture)).stem}_zoom_s{settings.dream.seed}.gif"


def zoom_command(settings: ZoomSettings, timeline: Timeline, picture: str, output: str) -> str:
    """The shell lines that make the same clip: the timeline written to its file (a here-document),
    then `deepdream zoom PICTURE -o OUTPUT --keyframes FILE` with every other option that differs
    from its default."""
    if not timeline.text:
        return command_line(settings, picture, output)
    words, skip, kept, i = option_words(settings), timeline.flags(), [], 0
    while i < len(words):  # the options the timeline sets come from the file (each takes a value)
        if words[i] in skip:
            i += 2
            continue
        kept.append(words[i])
        i += 1
    mark = "TIMELINE"
    while mark in timeline.text:
        mark += "_"
    text = timeline.text if timeline.text.endswith("\n") else timeline.text + "\n"
    head = ["deepdream", "zoom", shlex.quote(picture), "-o", shlex.quote(output), "--keyframes", timeline.name]
    command = " ".join(head + kept)
    return f"cat > {timeline.name} <<'{mark}'\n{text}{mark}\n{command}"


# ------------------------------------------------------------------------------------------- plots


def series(schedule: Schedule, frames: int, fps: float, blended: bool) -> dict:
    """label -> the value at each frame 0 .. frames - 1: a number schedule's values (a pair's as two
    series, dx and dy); a `blended` schedule (layers, classes: weights moving from one to the next)
    as each keyframe value's weight; any other as the value itself, which switches half way."""
    out: dict = {}
    for frame in range(frames):
        a, b, t = schedule.around(frame, fps)
        if blended:
            for value in dict.fromkeys(schedule.values()):  # a value named twice is one series
                out.setdefault(str(value), []).append(0.0)
            out[str(a)][-1] += 1.0 - t if a != b else 1.0
            if a != b:
                out[str(b)][-1] += t
            continue
        value = schedule.at(frame, fps)
        if isinstance(value, tuple):
            for axis, v in zip(("dx", "dy"), value, strict=False):
                out.setdefault(axis, []).append(float(v))
        else:
            out.setdefault("value", []).append(value)
    return out


def _points(values: list, low: float, high: float) -> str:
    left, top, right, bottom = PLOT_BOX
    count = len(values)
    out = []
    for i, v in enumerate(values):
        x = left + (right - left) * (i / (count - 1) if count > 1 else 0.0)
        y = (top + bottom) / 2 if high == low else bottom - (bottom - top) * (v - low) / (high - low)
        out.append(f"{x:.1f},{y:.1f}")
    return " ".join(out)


def _text(x, y, words, anchor="start") -> str:
    return f'<text x="{x}" y="{y}" font-size="10" fill="#555" text-anchor="{anchor}">{html.escape(str(words))}</text>'


def plot(flag: str, schedule: Schedule, frames: int, fps: float, blended: bool) -> str:
    """One option's schedule as an inline SVG: each series a polyline over the clip's frames, the
    lowest and highest value on the left, the first and last frame below; a value that is no number
    as the runs it holds, each labelled."""
    left, top, right, bottom = PLOT_BOX
    width, height = PLOT_SIZE
    lines = series(schedule, frames, fps, blended)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#bbb"/>']
    numbers = all(isinstance(v, (int, float)) for values in lines.values() for v in values)
    if numbers:
        every = [v for values in lines.values() for v in values]
        low, high = (0.0, 1.0) if blended else (min(every), max(every))
        parts += [_text(left - 4, top + 8, f"{high:g}", "end"), _text(left - 4, bottom, f"{low:g}", "end")]
        for (label, values), colour in zip(lines.items(), COLOURS * 4, strict=False):
            parts.append(
                f'<polyline data-series="{html.escape(label)}" points="{_points(values, low, high)}" '
                f'fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        named = [label for label in lines if label != "value"]
        for i, (label, colour) in enumerate(zip(named, COLOURS * 4, strict=False)):
            parts.append(f'<text x="{left + 4}" y="{top + 10 + 11 * i}" font-size="10" fill="{colour}">')
            parts.append(f"{html.escape(label[:40])}</text>")
    else:
        values = lines["value"]
        runs = [i for i in range(len(values)) if i == 0 or values[i] != values[i - 1]]
        for n, start in enumerate(runs):
            end = runs[n + 1] if n + 1 < len(runs) else len(values)
            x0 = left + (right - left) * start / len(values)
            x1 = left + (right - left) * end / len(values)
            colour = COLOURS[n % len(COLOURS)]
            parts.append(
                f'<rect data-run="{html.escape(str(values[start]))}" data-frames="{start}-{end - 1}" x="{x0:.1f}" '
                f'y="{top + 20}" width="{x1 - x0:.1f}" height="24" fill="{colour}" opacity="0.25"/>'
            )
            parts.append(_text(x0 + 3, top + 36, str(values[start])[:24]))
    parts += [_text(left, height - 12, "0"), _text(right, height - 12, f"{frames - 1}", "end")]
    parts.append(_text((left + right) / 2, height - 12, "frame", "middle"))
    return (
        f'<figure class="schedule" data-option="{html.escape(flag)}" style="margin:0">'
        f'<figcaption style="font-size:12px"><code>{html.escape(flag)}</code> {html.escape(schedule.text()[:80])}'
        f'</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(flag)} against frame">'
        + "".join(parts)
        + "</svg></figure>"
    )


def plots(settings: ZoomSettings) -> str:
    """Every option the clip schedules, a plot each (`plot`), as HTML for the page."""
    timeline = settings.timeline()
    if not timeline:
        return (
            '<p class="schedules-none">No schedules: every frame takes the controls\' values. Write one above, '
            'e.g. <code>step-size = "0:0.5, 47:6"</code>.</p>'
        )
    blended = {DreamSettings.flag("layers"), DreamSettings.flag("target_class")}
    shown = [
        plot(flag.lstrip("-"), schedule, settings.frames, settings.fps, flag in blended)
        for flag, schedule in timeline.items()
    ]
    return '<div class="schedules" style="display:flex;flex-wrap:wrap;gap:8px">' + "".join(shown) + "</div>"


def error_html(error: Exception) -> str:
    """A mistake in the timeline (or a control) as the page shows it: the one line the CLI prints."""
    return f'<p class="error schedules-error" style="color:#b91c1c">{html.escape(redact(str(error)))}</p>'


# ------------------------------------------------------------------------------------------- the clip


@dataclass(frozen=True)
class FrameShown:
    """Reported after each frame of a studio zoom: `index` (1-based) of `frames`, and the frame."""

    index: int
    frames: int
    picture: np.ndarray


@dataclass
class Clip:
    """A finished zoom: its frames (uint8 RGB), the settings' JSON and how long it took."""

    frames: list
    metadata: str
    seconds: float


def zoom_clip(image, settings: ZoomSettings, *, progress=None, cancelled=None) -> Clip:
    """A zoom of an uploaded picture (`uploads.Upload`), as `deepdream zoom` makes its frames (the
    same bytes for the same settings), reporting each frame (`FrameShown`); run it on the service's
    queue (`Service.submit`), which stops it at its next frame once `cancelled` is set."""
    from ..motion import zoom_frames

    report = _cancellable(progress, cancelled)
    start = time.perf_counter()
    frames = []
    for frame in zoom_frames(image.image, settings, progress=report, name=image.name):
        frames.append(frame)
        if report is not None:
            report(FrameShown(len(frames), settings.frames, frame))
    return Clip(frames, settings.to_json(input=image.name), time.perf_counter() - start)


def finish_clip(settings: ZoomSettings, timeline: Timeline, picture: str, clip: Clip, folder: Path) -> tuple:
    """The page's last update of a zoom: the GIF written in `folder`, with the timeline file and the
    last frame as a PNG carrying the clip's settings; (GIF, status, downloads, command)."""
    from ..motion import write_movie
    from .uploads import png_bytes

    name = output_name(settings, picture)
    path = write_movie(clip.frames, folder / name, settings.fps)
    last = folder / f"{Path(name).stem}_last.png"
    last.write_bytes(png_bytes(clip.frames[-1], None, clip.metadata))
    downloads = [str(path), str(last)]
    if timeline.text:
        (folder / timeline.name).write_text(timeline.text, encoding="utf-8")
        downloads.append(str(folder / timeline.name))
    height, width = clip.frames[0].shape[:2]
    done = f"Done: {len(clip.frames)} frames of {width}x{height} in {clip.seconds:.1f} s."
    if timeline.text:
        done += f" The timeline is under Download as {timeline.name}, for the command below."
    return str(path), done, downloads, zoom_command(settings, timeline, picture, name)
