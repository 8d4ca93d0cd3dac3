"""Rich progress bars behind the engine's progress callbacks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

#: What makes a long run shorter, by the bar's label: only options the command has.
FASTER = {
    "painting": "fewer --steps or a smaller --size",
    "texture": "fewer --iterations or a smaller --size",
    "styling": "fewer --iterations or a smaller --max-side",
}


#: How often a bar redraws on its own (elapsed time and ETA).
REFRESH_PER_SECOND = 2


class _Bar:
    """One Rich bar on stderr: elapsed time and ETA first (so a narrow terminal still shows them),
    then the bar and what is being done. It is started by the first update or stage, so an error
    before any work prints no empty bar; `stage` shows what happens before the first step."""

    def __init__(self, label: str):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        columns = [
            TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
            TextColumn("eta"),
            TimeRemainingColumn(table_column=Column(no_wrap=True, min_width=7)),
            BarColumn(bar_width=16),
            TaskProgressColumn(),
            TextColumn("{task.description}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
        ]
        self.console = Console(stderr=True)
        # Twice a second is enough for clocks shown in whole seconds (the bar itself moves with each
        # update); Rich's default 10 redraws a second cost ~1.7 % of a core in a terminal, taken
        # from the network on a small CPU.
        self.progress = Progress(*columns, console=self.console, refresh_per_second=REFRESH_PER_SECOND)
        self.label = label
        self.faster = FASTER.get(label, "fewer --steps or a smaller --max-side")
        self.task = None
        self.warned = False

    def _start(self, total: float | None) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)

    def stage(self, text: str) -> None:
        self._start(None)
        self.progress.update(self.task, description=f"{self.label} · {text}")

    def advance(self, total: float, amount: float, description: str) -> None:
        self._start(total)
        self.progress.update(self.task, total=total, advance=amount, description=description)
        self._warn_if_long()

    def _warn_if_long(self, limit: float = 3600.0) -> None:
        """Say once, early, when the estimate is over an hour."""
        if self.warned:
            return
        task = self.progress.tasks[0]
        if task.completed and task.elapsed:
            self.warned = True
            remaining = task.elapsed * (task.total - task.completed) / task.completed
            if remaining > limit:
                hours = remaining / 3600
                self.console.print(
                    f"deepdream: this run will take about {hours:,.1f} hours at this speed "
                    f"(Ctrl-C stops it; {self.faster} is faster)"
                )

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()


def _snapshots(save: Callable | None, every: int | None) -> Callable:
    """A callback that counts events (steps, iterations) and every `every`-th one calls
    save(count, event.snapshot())."""
    done = 0

    def maybe_save(event) -> None:
        nonlocal done
        done += 1
        if save is not None and every and done % every == 0:
            save(done, event.snapshot())

    return maybe_save


@contextlib.contextmanager
def dream_progress(
    quiet: bool = False, label: str = "dreaming", save: Callable | None = None, save_every: int | None = None
):
    """Yield a callback for the dreamer that draws one bar per run (stages before the first step,
    then octaves and steps), and every `save_every` steps calls save(step_count, rgb) (also when
    quiet). The bar advances by pixels, not steps, so its ETA holds while octaves grow."""
    from .budget import dream_work

    maybe_save = _snapshots(save, save_every)

    if quiet:
        yield lambda event: None if hasattr(event, "text") else maybe_save(event)
        return
    bar = _Bar(label)

    def update(event) -> None:
        if hasattr(event, "text"):  # a Stage
            bar.stage(event.text)
            return
        h, w = event.size
        precision = getattr(event, "precision", None)
        bar.advance(
            dream_work(event.sizes, event.steps),
            h * w,
            f"{label} · octave {event.octave}/{event.octaves} {w}x{h} · step {event.step}/{event.steps}"
            + (f" · {precision}" if precision else ""),
        )
        maybe_save(event)

    try:
        yield update
    finally:
        bar.stop()


@contextlib.contextmanager
def style_progress(
    quiet: bool = False, label: str = "styling", save: Callable | None = None, save_every: int | None = None
):
    """Yield a callback for style transfer / texture synthesis: one bar for the whole run, with the
    loss terms the run has (a texture has no content term); every `save_every` iterations it calls
    save(iteration_count, rgb) (also when quiet)."""
    maybe_save = _snapshots(save, save_every)

    if quiet:
        yield maybe_save
        return
    bar = _Bar(label)

    def update(event) -> None:
        h, w = event.size
        loss = event.losses
        scale = f" · scale {event.scale}/{event.scales}" if event.scales > 1 else ""
        terms = ", ".join(f"{name} {loss[name]:.3g}" for name in ("content", "style", "tv") if name in loss)
        bar.advance(
            sum(a * b for a, b in event.sizes) * event.iterations,
            h * w,
            f"{label}{scale} {w}x{h} · iter {event.iteration}/{event.iterations} · loss {loss['total']:.4g} ({terms})",
        )
        maybe_save(event)

    try:
        yield update
    finally:
        bar.stop()
