"""Many renders: one dream per input (times the values swept), in this process or on Ray actors.

    summary = deepdream.batch(["photos/"], "out", deepdream.DreamSettings(steps=6),
                              sweep={"layers": ["block4_conv3", "block5_conv1"], "seed": [1, 2]})

A batch is planned first (`planning`: inputs expanded, one `Item` per input and sweep value,
outputs named, finished outputs skipped), so bad options fail before any work. Then the items are
rendered by a worker pool (`workers`: in this process, or Ray actors), each worker preparing every
distinct objective once for all the items it is given. The driver reads every input (a broken one
is reported and skipped, the others go on) and writes every output (atomically, with its settings
in it), so the workers need no shared file system and nothing half-written lands in the output
folder. An item whose worker died or failed is sent again as `workers.RETRY` allows.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DeepDreamError, OutputError
from .planning import Item, Plan, batch_plan, make_folder
from .settings import DreamSettings
from .workers import LocalPool, RayPool, Worker, WorkerDied, WorkerFailed, check_workers, import_ray

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- what becomes of the items


@dataclass(frozen=True)
class Result:
    """What became of one item: status "written", "skipped" or "failed" (with the one-line reason)."""

    item: Item
    status: str
    reason: str = ""
    seconds: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class Planned:
    """The first progress event of a batch: how many items it has (rendered and skipped)."""

    total: int


@dataclass
class BatchSummary:
    """A finished batch: what was written, skipped (already there) and failed (with reasons)."""

    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    where: str = "in process"

    def _with(self, status: str) -> list[Result]:
        return [r for r in self.results if r.status == status]

    @property
    def written(self) -> list[Path]:
        return [r.item.output for r in self._with("written")]

    @property
    def skipped(self) -> list[Path]:
        return [r.item.output for r in self._with("skipped")]

    @property
    def failed(self) -> list[Result]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        """The report: one line of counts, then one line per failure with its reason."""
        head = (
            f"batch: {len(self.written)} written, {len(self.skipped)} skipped (already there), "
            f"{len(self.failed)} failed, in {self.seconds:.1f} s ({self.where})"
        )
        lines, seen = [head], {}
        for r in self.failed:  # one line per input and reason (a broken input fails all its sweep's renders)
            seen.setdefault((r.item.input, r.reason), []).append(r)
        for (input, reason), results in seen.items():
            what = results[0].item.label if len(results) == 1 else f"{input.name} ({len(results)} renders)"
            lines.append(f"failed: {what}: {reason}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def prepared_key(settings: DreamSettings, input: Path | None = None) -> str:
    """Items with equal keys share one prepared Dreamer: the seed is given per run (unless a guide
    draws from it), and `--layer auto` picks its layer per picture."""
    if not settings.guide:
        settings = settings.replace(seed=DreamSettings.default("seed"))
    key = settings.to_json()
    return key + f"|{input}" if settings.auto_layer else key


class Renderer:
    """Dreamers prepared once per distinct objective; `render` dreams one loaded picture. A
    DreamWorker's, in this process and on a Ray actor alike, so both give the same bytes."""

    def __init__(self, progress=None):
        self.dreamers: dict = {}
        self.progress = progress

    def render(self, item: Item, loaded) -> tuple[np.ndarray, np.ndarray | None, str]:
        """(rgb uint8, alpha or None, metadata JSON) of the item's dream on `loaded`."""
        from .render.prepare import prepare

        key = prepared_key(item.settings, item.input)
        if key not in self.dreamers:
            self.dreamers[key] = prepare(item.settings, like=loaded, progress=self.progress)
        dreamer = self.dreamers[key]
        out = dreamer.run(loaded, seed=item.settings.seed, progress=self.progress)
        settings = item.settings
        if settings.auto_layer:
            settings = settings.replace(layers=dreamer.settings.layers)
        rgb = np.clip(np.round(out.rgb), 0, 255).astype(np.uint8)  # exactly what saving does
        return rgb, out.alpha, settings.to_json(input=item.input.name)


def load_input(item: Item):
    """The item's picture, read and checked (InputError with a one-line reason), shrunk to
    --max-side here so that only what is dreamt travels to a worker."""
    from .images import fit_max_side, load_image

    loaded = load_image(item.input)
    if item.settings.max_side is not None:
        loaded = fit_max_side(loaded, item.settings.max_side)
    return loaded


def encode_output(item: Item, rgb, alpha, metadata: str) -> bytes:
    """The output file's bytes, as `images.save_image` writes them (format by extension, alpha
    where it has a place, the settings in the metadata). Done by the worker that rendered, so the
    driver only writes bytes (PNG encoding costs about 0.5 s a megapixel: a driver doing it for
    every item would stop a batch scaling at a few GPUs)."""
    from .images import OUTPUT_FORMATS, encode_image

    return encode_image(rgb, OUTPUT_FORMATS[item.output.suffix.lower()], alpha, metadata=metadata)


def write_output(item: Item, data: bytes, overwrite: bool) -> None:
    """Write an encoded output atomically (temp file in DIR, renamed into place)."""
    from .images import atomic_write, check_output_path

    check_output_path(item.output, overwrite=overwrite)
    try:
        atomic_write(item.output, lambda f: f.write(data))
    except OSError as e:
        raise OutputError(
            f"Could not write output file '{item.output}' ({e.strerror}); check the folder's "
            f"permissions and free space."
        ) from None


class DreamWorker(Worker):
    """Renders items with dreamers it prepares once per distinct objective: a Ray actor, or a plain
    object in this process (there, progress is told the `Stage`s of preparing)."""

    def __init__(self, progress=None):
        super().__init__()
        self.renderer = Renderer(progress)

    def render(self, item: Item, loaded) -> tuple[bytes | None, str, float, str]:
        """(the output file's bytes, or None and the user's error; seconds; this worker's name)."""
        started = time.perf_counter()
        try:
            data = encode_output(item, *self.renderer.render(item, loaded))
        except DeepDreamError as e:
            return None, str(e), time.perf_counter() - started, self.name
        return data, "", time.perf_counter() - started, self.name


def render(pool, items: Sequence[Item], overwrite: bool, report: Callable[[Result], None]) -> None:
    """Render the items on the pool's workers, in order: each input read once and shared with the
    workers while its items are out (a broken one fails all its items), each output written here
    as it comes back."""
    loaded: dict = {}  # input -> its picture as the workers take it, or the error reading it
    remaining: dict = {}  # input -> its items not finished yet
    for item in items:
        remaining[item.input] = remaining.get(item.input, 0) + 1

    def finish(item: Item) -> None:
        remaining[item.input] -= 1
        if remaining[item.input] == 0:
            loaded.pop(item.input, None)

    def args(item: Item) -> tuple:
        if item.input not in loaded:
            try:
                loaded[item.input] = pool.share(load_input(item))
            except DeepDreamError as e:
                loaded[item.input] = e
        if isinstance(loaded[item.input], DeepDreamError):
            raise loaded[item.input]
        return item, loaded[item.input]

    def done(item: Item, answer) -> None:
        data, reason, seconds, name = answer
        if data is None:
            report(Result(item, "failed", reason, seconds, name))
        else:
            try:
                write_output(item, data, overwrite)
                report(Result(item, "written", seconds=seconds, worker=name))
            except DeepDreamError as e:
                report(Result(item, "failed", str(e), seconds, name))
        finish(item)

    def failed(item: Item, error: Exception, tries: int, again: bool) -> None:
        if isinstance(error, WorkerFailed):
            reason = f"the worker failed ({error})."
            if again:
                log.warning("a worker failed rendering %s (%s); it is sent again", item.label, error)
        elif isinstance(error, WorkerDied):
            if tries:
                log.warning("a worker died rendering %s%s", item.label, "; it is sent again" if again else "")
            reason = (
                f"its worker died {tries} times" if tries else "every worker died"
            ) + " (out of memory? see the Ray logs)."
        else:
            reason = str(error)
        if not again:
            report(Result(item, "failed", reason))
            finish(item)

    pool.run(items, "render", args, done, failed)


# ---------------------------------------------------------------------------- the batch


def run(
    plan: Plan,
    *,
    overwrite: bool = False,
    ray: str | None = None,
    workers: int | None = None,
    progress: Callable[[object], None] | None = None,
    pool=None,
) -> BatchSummary:
    """Render a plan's items (in process, or on Ray when `ray` is "local" or a cluster address;
    or on `pool`, a pool of DreamWorkers, which this closes) and return the summary. progress:
    called with a `Stage` (what is being done) and with each item's `Result` as it finishes
    (skipped items first), after a first `Planned` event."""
    from .render.events import Stage

    summary = BatchSummary()
    started = time.perf_counter()

    def report(result: Result) -> None:
        summary.results.append(result)
        if progress is not None:
            progress(result)

    def stage(text: str) -> None:
        if progress is not None:
            progress(Stage(text))

    def on_progress(event) -> None:
        if isinstance(event, Stage):
            stage(event.text)

    try:
        if progress is not None:
            progress(Planned(len(plan.ordered)))
        for item in plan.skipped:
            report(Result(item, "skipped"))
        if plan.items:
            if pool is None:
                pool = RayPool(DreamWorker, ray, workers, stage) if ray else LocalPool(lambda: DreamWorker(on_progress))
            render(pool, plan.items, overwrite, report)
            summary.where = pool.where
    finally:
        if pool is not None:
            pool.close()
    summary.seconds = time.perf_counter() - started
    return summary


def batch(
    inputs,
    out_dir,
    settings: DreamSettings | dict | None = None,
    *,
    sweep: Mapping[str, Sequence] | None = None,
    ray: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    format: str = "png",
    progress: Callable[[object], None] | None = None,
    pool=None,
    **options,
) -> BatchSummary:
    """Dream on many pictures: one output per input and sweep combination, in `out_dir`.

    inputs: files, folders (their image files) and glob patterns, or one of them; expanded and
    sorted naturally. settings/options: as `deepdream.dream` (every dream option by its field
    name). sweep: {setting: [values]}, e.g. {"layers": ["block4_conv3", "block5_conv1"],
    "seed": [1, 2]}: every combination is one render, named <stem>__layer-block4_conv3__seed-1.png
    (settings with one value are not named). Outputs already there are skipped unless `overwrite`.
    ray: None (this process), "local" (a local Ray cluster of `workers` actors) or a cluster
    address. pool: where to render instead (a `workers.Pool` of DreamWorkers, e.g.
    `RayPool(DreamWorker, "local", 2)`; the batch closes it). A broken input is skipped and
    reported in the summary; bad options raise before any work. progress: see `run`. Returns a
    BatchSummary (`.ok`, `.written`, `.failed`, ...)."""
    try:
        if ray and pool is None:
            import_ray()
        check_workers(workers)
        if isinstance(inputs, (str, os.PathLike)):
            inputs = [inputs]
        the_plan = batch_plan(inputs, out_dir, settings, sweep=sweep, overwrite=overwrite, format=format, **options)
        make_folder(out_dir)
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    return run(the_plan, overwrite=overwrite, ray=ray, workers=workers, progress=progress, pool=pool)
