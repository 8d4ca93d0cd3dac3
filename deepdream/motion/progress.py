"""What motion runs report, and the Rich bar that counts their frames."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameProgress:
    """Reported after each frame: `index` (1-based) of `frames`; resumed: read back from disk."""

    index: int
    frames: int
    resumed: bool = False


@contextlib.contextmanager
def frames_progress(quiet: bool = False, label: str = "frames"):
    """Yield a callback drawing one bar that counts frames (elapsed and ETA first), with stages
    (loading the network) before the first frame. Frames read back from disk move the bar and
    restart its clock, so the estimate counts only frames being made."""
    if quiet:
        yield lambda event: None
        return
    from ..progress import _Bar

    bar = _Bar(label)
    resumed = 0

    def update(event) -> None:
        nonlocal resumed
        if hasattr(event, "text"):  # a Stage
            bar.stage(event.text)
            return
        if not isinstance(event, FrameProgress):  # a dream step inside a frame: not counted
            return
        resumed += event.resumed
        note = f" · {resumed} resumed from disk" if resumed else ""
        if event.resumed:  # read back: moves the bar, and the estimate starts again after it
            bar._start(event.frames)
            bar.progress.reset(
                bar.task,
                total=event.frames,
                completed=event.index,
                description=f"{label} · frame {event.index}/{event.frames}{note}",
            )
            return
        bar.advance(event.frames, 1, f"{label} · frame {event.index}/{event.frames}{note}")

    try:
        yield update
    finally:
        bar.stop()
