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
        bar.update(task, advance=h * w, description=(
            f"{label} · octave {event.octave}/{event.octaves} {w}x{h} · step {event.step}/{event.steps}"))

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()
