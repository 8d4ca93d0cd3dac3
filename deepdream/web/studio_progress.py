"""The studio's progress: a render's events (an octave's steps, a painting's, a style's iterations,
a zoom's frames) as the status line's words with the time left, and the pictures shown as they come."""

from __future__ import annotations

import queue
import time

from ..render.events import DreamProgress, Stage
from .studio_zoom import FrameShown


def _left(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"about {seconds} s left" if seconds < 90 else f"about {seconds // 60} min {seconds % 60:02d} s left"


class _Clock:
    """Time left from the work done so far: `tick(done, total)` with work in any unit (pixel-steps),
    the rate measured from the first tick on."""

    def __init__(self):
        self.first: tuple[float, float] | None = None

    def tick(self, done: float, total: float) -> str:
        now = time.monotonic()
        if self.first is None or done <= self.first[1]:
            self.first = self.first or (now, done)
            return ""
        rate = (now - self.first[0]) / (done - self.first[1])
        return f", {_left(rate * (total - done))}"


def reporter(events: queue.Queue, mode: str):
    """The render's progress callback: (status text, picture or None) onto `events`, in the mode's
    words with the time left, the picture after each octave's last step (each style scale's last
    iteration, and every 10th)."""
    clock = _Clock()

    def progress(event):
        if isinstance(event, Stage):
            events.put((event.text[:1].upper() + event.text[1:] + " ...", None))
        elif isinstance(event, FrameShown):  # a zoom's frames (the first, dreamt from scratch, not timed)
            left = clock.tick(event.index, event.frames)
            events.put((f"Frame {event.index}/{event.frames}{left}", event.picture))
        elif isinstance(event, DreamProgress):
            last = event.step == event.steps
            picture = event.snapshot() if last and event.snapshot is not None else None
            areas = [h * w for h, w in event.sizes] or [1]
            done = event.steps * sum(areas[: event.octave - 1]) + event.step * areas[event.octave - 1]
            left = clock.tick(done, event.steps * sum(areas))
            if mode == "class painting":
                text = f"Painting step {event.step} of {event.steps}{left}"
            else:
                size = f"{event.size[1]}x{event.size[0]}"
                text = f"Octave {event.octave}/{event.octaves} ({size}), step {event.step}/{event.steps}{left}"
            events.put((text, picture))
        elif hasattr(event, "iteration"):  # style: StyleProgress
            last = event.iteration == event.iterations
            picture = event.snapshot() if last or event.iteration % 10 == 0 else None
            areas = [h * w for h, w in event.sizes] or [1]
            done = event.iterations * sum(areas[: event.scale - 1]) + event.iteration * areas[event.scale - 1]
            left = clock.tick(done, event.iterations * sum(areas))
            scale = f"scale {event.scale}/{event.scales}, " if event.scales > 1 else ""
            events.put((f"Style {scale}iteration {event.iteration}/{event.iterations}{left}", picture))

    return progress
