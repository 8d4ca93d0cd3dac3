"""Rich progress bars behind the engine's progress callback."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def dream_progress(quiet: bool = False, label: str = "dreaming"):
    """Yield a callback for the render loop that draws one bar per run (None when quiet).

    The bar advances by pixels, not steps, so its ETA holds while octaves grow.
    """
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    bar = Progress(*columns, console=console)
    task = None

    def update(event) -> None:
        nonlocal task
        if task is None:  # started by the first step, so errors before it print no empty bar
            bar.start()
            task = bar.add_task(label, total=sum(h * w for h, w in event.sizes) * event.steps)
        h, w = event.size
        precision = getattr(event, "precision", None)
        bar.update(task, advance=h * w, description=(
            f"{label} · octave {event.octave}/{event.octaves} {w}x{h} · step {event.step}/{event.steps}"
            + (f" · {precision}" if precision else "")))

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


@contextlib.contextmanager
def style_progress(quiet: bool = False, label: str = "styling", save: "Callable | None" = None,
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
    from rich.console import Console
    from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    bar = Progress(*columns, console=console)
    task = None

    def update(event) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(label, total=sum(h * w for h, w in event.sizes) * event.iterations)
        h, w = event.size
        loss = event.losses
        scale = f" · scale {event.scale}/{event.scales}" if event.scales > 1 else ""
        bar.update(task, advance=h * w, description=(
            f"{label}{scale} {w}x{h} · iter {event.iteration}/{event.iterations} · loss {loss['total']:.4g} "
            f"(content {loss['content']:.3g}, style {loss['style']:.3g}, tv {loss['tv']:.3g})"))
        maybe_save(event)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()
