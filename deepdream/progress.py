"""Rich progress bars behind the engine's progress callbacks."""

from __future__ import annotations

import contextlib
from typing import Callable


class _Bar:
    """One Rich bar on stderr with elapsed time and ETA, started by the first update, so that an
    error before the first step prints no empty bar."""

    def __init__(self, label: str):
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                   TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
        self.progress = Progress(*columns, console=Console(stderr=True))
        self.label = label
        self.task = None

    def advance(self, total: float, amount: float, description: str) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, advance=amount, description=description)

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()


@contextlib.contextmanager
def dream_progress(quiet: bool = False, label: str = "dreaming"):
    """Yield a callback for the render loop that draws one bar per run (None when quiet).

    The bar advances by pixels, not steps, so its ETA holds while octaves grow.
    """
    if quiet:
        yield None
        return
    bar = _Bar(label)

    def update(event) -> None:
        h, w = event.size
        precision = getattr(event, "precision", None)
        bar.advance(sum(a * b for a, b in event.sizes) * event.steps, h * w,
                    f"{label} · octave {event.octave}/{event.octaves} {w}x{h} · step {event.step}/{event.steps}"
                    + (f" · {precision}" if precision else ""))

    try:
        yield update
    finally:
        bar.stop()


@contextlib.contextmanager
def style_progress(quiet: bool = False, label: str = "styling", save: Callable | None = None,
                   save_every: int | None = None):
    """Yield a callback for style transfer / texture synthesis: one bar for the whole run, with the
    loss terms; every `save_every` iterations it calls save(iteration_count, rgb) (also when quiet)."""
    done = 0

    def maybe_save(event) -> None:
        nonlocal done
        done += 1
        if save is not None and save_every and done % save_every == 0:
            save(done, event.snapshot())

    if quiet:
        yield maybe_save
        return
    bar = _Bar(label)

    def update(event) -> None:
        h, w = event.size
        loss = event.losses
        scale = f" · scale {event.scale}/{event.scales}" if event.scales > 1 else ""
        bar.advance(sum(a * b for a, b in event.sizes) * event.iterations, h * w,
                    f"{label}{scale} {w}x{h} · iter {event.iteration}/{event.iterations} · loss {loss['total']:.4g} "
                    f"(content {loss['content']:.3g}, style {loss['style']:.3g}, tv {loss['tv']:.3g})")
        maybe_save(event)

    try:
        yield update
    finally:
        bar.stop()
