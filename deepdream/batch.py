"""Many renders: one dream per input (times the values swept), in this process or on Ray actors.

    summary = deepdream.batch(["photos/"], "out", deepdream.DreamSettings(steps=6),
                              sweep={"layers": ["block4_conv3", "block5_conv1"], "seed": [1, 2]})

A batch is planned first (inputs expanded, one `Item` per input and sweep value, outputs named,
finished outputs skipped), so bad options fail before any work. Then the items are rendered: in
process, every distinct objective is `prepare`d once and serves all its items; on Ray, each actor
does the same for the items it is given. The driver reads every input (a broken one is reported
and skipped, the others go on) and writes every output (atomically, with its settings in it), so
the workers need no shared file system and nothing half-written lands in the output folder.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import DeepDreamError, InputError, OutputError, SettingsError
from ._install import extra_hint
from .settings import DreamSettings

#: What an input folder contributes: its files with these extensions (not its subfolders).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"})
#: Output formats a batch writes: --format NAME -> extension.
FORMATS = {"png": ".png", "jpg": ".jpg", "webp": ".webp", "tif": ".tif"}
#: How a swept setting is named in output file names (other settings: their flag without dashes).
SWEEP_LABELS = {"layers": "layer", "target_class": "class", "seed": "seed"}
RAY_MISSING = f'Ray is not installed; --ray needs it: {extra_hint("ray")}.'
#: Times an item is sent again after the worker rendering it died.
ATTEMPTS = 3

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- planning

def natural_key(path) -> list:
    """Sort key that orders img2 before img10 (digits compared as numbers)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def expand_inputs(inputs: Iterable) -> list[Path]:
    """Files, folders (their image files, not subfolders) and globs (`*`, `?`, `[...]`, `**`) as one
    list of files in natural order, each once. A name that is neither an existing path nor a
    pattern that matches is an InputError (so a typo fails before any work)."""
    found: list[Path] = []
    for given in inputs:
        text = str(given)
        path = Path(text)
        if path.is_dir():
            found += sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                            key=natural_key)
        elif path.exists():
            found.append(path)
        elif glob.has_magic(text):
            matches = sorted((Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()), key=natural_key)
            if not matches:
                raise InputError(f"No file matches '{text}'.")
            found += matches
        else:
            raise InputError(f"Input '{text}' does not exist.")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise InputError("No input images found (folders contribute their " +
                         ", ".join(sorted(IMAGE_SUFFIXES)) + " files).")
    return unique


def name_part(value) -> str:
    """A setting's value as it appears in a file name: characters other than letters, digits, `_`
    and `.` become `-` (block4_conv3:12 -> block4_conv3-12, golden retriever -> golden-retriever)."""
    if isinstance(value, (list, tuple)):
        value = "+".join(str(v) for v in value)
    return re.sub(r"[^A-Za-z0-9_.+]+", "-", str(value)).strip("-") or "-"


def sweep_label(name: str) -> str:
    return SWEEP_LABELS.get(name) or DreamSettings.flag(name).lstrip("-")


@dataclass(frozen=True)
class Item:
    """One render: `input` dreamt with `settings`, written to `output`."""

    input: Path
    output: Path
    settings: DreamSettings
    values: tuple = ()  # ((setting, value), ...) of the swept settings, as named in `output`

    @property
    def label(self) -> str:
        return " ".join([self.input.name] + [f"{sweep_label(k)}={name_part(v)}" for k, v in self.values])


@dataclass
class Plan:
    """What a batch will do: the items to render, and the outputs already there (skipped)."""

    items: list[Item]
    skipped: list[Item]
    inputs: list[Path]
    ordered: list[Item] = field(default_factory=list)  # every item, rendered or skipped, in plan order


def sweep_settings(settings: DreamSettings, sweep: Mapping[str, Sequence] | None) -> list[tuple[DreamSettings, tuple]]:
    """(settings, swept values) for every combination of the sweep's values, in order (the last
    setting varies fastest). A "layers" value is one spec or a list of them (a sum). Settings with
    one value are applied but not named."""
    from . import classes

    sweep = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in (sweep or {}).items()}
    for name, values in sweep.items():
        if not values:
            raise SettingsError(f"The sweep over {DreamSettings.flag(name)} has no values.")
        if name not in {f.name for f in dataclasses.fields(DreamSettings)}:
            raise SettingsError(f"Cannot sweep {name!r}: it is not a dream setting.")
    out = []
    for combo in itertools.product(*sweep.values()):
        changes = dict(zip(sweep, combo))
        if "layers" in changes and isinstance(changes["layers"], str):
            changes["layers"] = (changes["layers"],)
        named = tuple((k, v) for k, v in zip(sweep, combo) if len(sweep[k]) > 1)
        made = settings.replace(**changes) if changes else settings
        made.check_names(classes)  # a swept class name is checked before anything renders
        out.append((made, named))
    return out


def output_name(input: Path, values: tuple, suffix: str) -> str:
    """<stem>.png, or <stem>__layer-block5_conv1__seed-3.png when sweeping."""
    return input.stem + "".join(f"__{sweep_label(k)}-{name_part(v)}" for k, v in values) + suffix


def plan(inputs: Iterable, out_dir, settings: DreamSettings, sweep: Mapping[str, Sequence] | None = None, *,
         format: str = "png", overwrite: bool = False,
         keep: Callable[[Item], bool] | None = None) -> Plan:
    """The batch's items, checked before any work: inputs expanded, outputs named in `out_dir`
    (created if missing), no two items writing the same file, no output replacing an input.
    An output already there is skipped unless `overwrite`; `keep(item)`, where given, decides
    instead whether an existing output may stay (e.g. only if made with the same settings)."""
    from . import images

    if format not in FORMATS:
        raise SettingsError(f"--format must be one of {', '.join(FORMATS)} (got {format!r}).")
    files = expand_inputs(inputs)
    combos = sweep_settings(settings, sweep)
    out_dir = Path(out_dir)
    check_folder(out_dir)
    items, skipped, ordered, taken = [], [], [], {}
    for path in files:
        for item_settings, values in combos:
            output = out_dir / output_name(path, values, FORMATS[format])
            if output in taken:
                raise SettingsError(f"Inputs '{taken[output]}' and '{path}' would both be written to '{output}'; "
                                    f"rename one or run them in separate batches.")
            taken[output] = path
            item = Item(path, output, item_settings, values)
            if out_dir.is_dir():  # else check_folder said it can be made, and nothing in it is an input
                images.check_output_path(output, inputs=files, overwrite=True)
            ordered.append(item)
            if output.exists() and not overwrite and (keep is None or keep(item)):
                skipped.append(item)
            else:
                items.append(item)
    return Plan(items, skipped, files, ordered)


def check_folder(out_dir: Path) -> None:
    """The output folder is a folder, or can be made (its nearest existing parent is a writable
    folder): an OutputError before any work otherwise. Makes nothing."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"Output folder '{out_dir}' is a file; give a folder for --out.")
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise OutputError(f"Output folder '{out_dir}' is not writable; choose another folder or fix its permissions.")
        return
    parent = out_dir.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"Cannot create output folder '{out_dir}': '{parent}' is not a writable folder.")


def make_folder(out_dir: Path) -> None:
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"Cannot create output folder '{out_dir}' ({e.strerror}).") from None


def check_layers(settings_list: Iterable[DreamSettings]) -> None:
    """Every layer named exists in its backbone (its channel in range), every class too, and the
    guides and masks decode: a SettingsError before any work otherwise. Loads each backbone named
    (once per process); each distinct objective is checked once."""
    from .render.dreamer import check

    def name(value):
        return value if value is None or isinstance(value, (str, int)) else id(value)  # an in-memory image

    seen = set()
    for s in settings_list:
        key = (s.backbone, s.weights, s.layers, s.target_class, tuple(map(name, s.guide)), name(s.mask))
        if key not in seen:
            seen.add(key)
            check(s)


# ---------------------------------------------------------------------------- rendering (shared by both ways)

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
    to_render: int


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
        head = (f"batch: {len(self.written)} written, {len(self.skipped)} skipped (already there), "
                f"{len(self.failed)} failed, in {self.seconds:.1f} s ({self.where})")
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
    """Dreamers prepared once per distinct objective; `render` dreams one loaded picture. Used by
    the in-process runner and by each Ray actor alike, so both give the same bytes."""

    def __init__(self, progress=None):
        self.dreamers: dict = {}
        self.progress = progress

    def render(self, item: Item, loaded) -> tuple[np.ndarray, np.ndarray | None, str]:
        """(rgb uint8, alpha or None, metadata JSON) of the item's dream on `loaded`."""
        from .render.dreamer import prepare

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
    from . import images

    loaded = images.load_image(item.input)
    if item.settings.max_side is not None:
        loaded = images.fit_max_side(loaded, item.settings.max_side)
    return loaded


def encode_output(item: Item, rgb, alpha, metadata: str) -> bytes:
    """The output file's bytes, as `images.save_image` writes them (format by extension, alpha
    where it has a place, the settings in the metadata). Done by the worker that rendered, so the
    driver only writes bytes (PNG encoding costs about 0.5 s a megapixel: a driver doing it for
    every item would stop a batch scaling at a few GPUs)."""
    from . import images

    return images.encode_image(rgb, images.OUTPUT_FORMATS[item.output.suffix.lower()], alpha, metadata=metadata)


def write_output(item: Item, data: bytes, overwrite: bool) -> None:
    """Write an encoded output atomically (temp file in DIR, renamed into place)."""
    from . import images

    images.check_output_path(item.output, overwrite=overwrite)
    try:
        images.atomic_write(item.output, lambda f: f.write(data))
    except OSError as e:
        raise OutputError(f"Could not write output file '{item.output}' ({e.strerror}); check the folder's "
                          f"permissions and free space.") from None


def run_in_process(items: Sequence[Item], overwrite: bool, report: Callable[[Result], None],
                   stage: Callable[[str], None] | None = None) -> None:
    """Render every item here, in order: each input read once (for all its sweep values), each
    distinct objective prepared once for the whole batch."""
    from .render.dreamer import Stage

    def on_progress(event) -> None:
        if stage is not None and isinstance(event, Stage):
            stage(event.text)

    renderer = Renderer(on_progress)
    for input, group in itertools.groupby(items, key=lambda i: i.input):
        group = list(group)
        try:
            loaded = load_input(group[0])
        except DeepDreamError as e:
            for item in group:
                report(Result(item, "failed", str(e)))
            continue
        for item in group:
            started = time.perf_counter()
            try:
                write_output(item, encode_output(item, *renderer.render(item, loaded)), overwrite)
            except DeepDreamError as e:
                report(Result(item, "failed", str(e), time.perf_counter() - started))
                continue
            report(Result(item, "written", seconds=time.perf_counter() - started, worker="main"))


# ---------------------------------------------------------------------------- Ray

class DreamWorker:
    """A Ray actor: renders items with dreamers it prepares once per distinct objective.

    crash_marker (tests only): the first worker to render creates this file and dies, so that
    a test can see its item retried."""

    def __init__(self, crash_marker: str | None = None):
        self.renderer = Renderer()
        self.crash_marker = crash_marker
        self.name = f"{os.uname().nodename}:{os.getpid()}"

    def render(self, item: Item, loaded):
        if self.crash_marker and not os.path.exists(self.crash_marker):
            Path(self.crash_marker).write_text(self.name)
            os._exit(1)
        started = time.perf_counter()
        try:
            data = encode_output(item, *self.renderer.render(item, loaded))
        except DeepDreamError as e:
            return None, str(e), time.perf_counter() - started, self.name
        return data, "", time.perf_counter() - started, self.name

    def ready(self) -> str:
        return self.name


def import_ray():
    """The ray module, or a SettingsError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SettingsError(RAY_MISSING) from None
    return ray


def start_ray(address: str, workers: int | None):
    """Start a local Ray cluster ("local": `workers` CPUs, default this machine's) or join the
    cluster at `address`, its own log lines kept off the terminal. True if this call started the
    connection (and so should end it)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 configure_logging=True)
    try:
        if address == "local":
            cpus = workers or os.cpu_count() or 1
            ray.init(num_cpus=cpus, object_store_memory=512 * 1024 ** 2, **quiet)
        else:
            ray.init(address=address, **quiet)
    except Exception as e:  # noqa: BLE001  (Ray's own errors: a wrong address, a cluster of another version)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SettingsError(f"Cannot start or join Ray at {address!r} ({reason}).") from None
    return True


def check_workers(workers) -> None:
    """SettingsError unless `workers` is None (the cluster's own count) or a whole number >= 1."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SettingsError(f"--workers must be a whole number of at least 1 (got {workers!r}).")


def worker_plan(resources: Mapping, workers: int | None) -> tuple[int, dict, str | None]:
    """(actors to start, what each asks Ray for, a note or None) for a cluster with `resources`
    (`ray.cluster_resources()`): one GPU each where the cluster has GPUs, else one CPU; `workers`
    of them (default: one per GPU, else per CPU), but never more than the cluster can place, since
    the others would wait forever (the note says so)."""
    gpus = int(resources.get("GPU", 0))
    capacity = gpus or max(1, int(resources.get("CPU", 1)))
    count, note = workers or capacity, None
    if count > capacity:
        note = (f"--workers {count}: the cluster has room for {capacity} (one {'GPU' if gpus else 'CPU'} each); "
                f"starting {capacity}")
        count = capacity
    return count, (dict(num_gpus=1, num_cpus=0) if gpus else dict(num_cpus=1)), note


def run_on_ray(items: Sequence[Item], overwrite: bool, report: Callable[[Result], None], *, address: str = "local",
               workers: int | None = None, stage: Callable[[str], None] | None = None, in_flight: int = 2) -> str:
    """Render the items on Ray actors (one GPU each where the cluster has GPUs, else one CPU).

    The driver reads each input once and puts it in the object store (only while its items are
    out); actors prepare a dreamer once per distinct objective and return the picture as uint8;
    the driver writes it. An actor that dies is restarted and its items retried (Ray's
    max_restarts / max_task_retries), and an item whose worker is gone for good is sent to
    another one, up to ATTEMPTS times. Returns where it ran, for the summary."""
    ray = import_ray()
    from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

    def say(text: str) -> None:
        if stage is not None:
            stage(text)

    say("starting Ray" if address == "local" else f"joining Ray at {address}")
    started_here = start_ray(address, workers)
    try:
        count, ask, note = worker_plan(ray.cluster_resources(), workers)
        if note:
            log.warning("%s", note)
        gpus = "num_gpus" in ask
        actor_class = ray.remote(**ask, max_restarts=ATTEMPTS, max_task_retries=ATTEMPTS)(DreamWorker)
        crash = os.environ.get("DEEPDREAM_TEST_CRASH_MARKER")
        actors = [actor_class.remote(crash_marker=crash) for _ in range(count)]
        say(f"{count} worker{'s' * (count != 1)} ({'1 GPU' if gpus else '1 CPU'} each)")

        queue = list(items)[::-1]  # pop() takes the next in order
        attempts: dict[Item, int] = {}
        loaded_refs: dict[Path, object] = {}
        remaining = {}  # input -> items of it not yet finished (its picture stays in the store till then)
        for item in items:
            remaining[item.input] = remaining.get(item.input, 0) + 1
        out: dict = {}  # object ref -> (item, actor, submitted at)
        live = list(actors)

        def finish(item: Item) -> None:
            remaining[item.input] -= 1
            if remaining[item.input] == 0:
                loaded_refs.pop(item.input, None)

        def submit(actor) -> bool:
            while queue:
                item = queue.pop()
                if item.input not in loaded_refs:
                    try:
                        loaded_refs[item.input] = ray.put(load_input(item))
                    except DeepDreamError as e:
                        report(Result(item, "failed", str(e)))
                        finish(item)
                        continue
                attempts[item] = attempts.get(item, 0) + 1
                out[actor.render.remote(item, loaded_refs[item.input])] = (item, actor, time.perf_counter())
                return True
            return False

        for actor in live:
            for _ in range(in_flight):
                submit(actor)
        while out:
            done, _ = ray.wait(list(out), num_returns=1)
            ref = done[0]
            item, actor, sent = out.pop(ref)
            try:
                data, reason, seconds, name = ray.get(ref)
            except (RayActorError, WorkerCrashedError):
                if actor in live:
                    live.remove(actor)  # gone for good: its restarts are spent
                log.warning("a worker died rendering %s%s", item.label,
                            "; it is sent again" if attempts[item] < ATTEMPTS and live else "")
                if attempts[item] < ATTEMPTS and live:
                    queue.append(item)
                    submit(live[0])
                else:
                    report(Result(item, "failed", f"its worker died {attempts[item]} times "
                                                  f"(out of memory? see the Ray logs)."))
                    finish(item)
                continue
            except RayTaskError as e:
                reason = str(e).strip().splitlines()[-1]
                report(Result(item, "failed", f"the worker failed ({reason})."))
                finish(item)
                submit(actor)
                continue
            if data is None:
                report(Result(item, "failed", reason, seconds, name))
            else:
                try:
                    write_output(item, data, overwrite)
                    report(Result(item, "written", seconds=seconds, worker=name))
                except DeepDreamError as e:
                    report(Result(item, "failed", str(e), seconds, name))
            finish(item)
            if actor in live:
                submit(actor)
        for actor in actors:
            ray.kill(actor)
        return f"Ray, {count} worker{'s' * (count != 1)}" + (", GPUs" if gpus else "")
    finally:
        if started_here:
            ray.shutdown()


# ---------------------------------------------------------------------------- the batch

def run(plan: Plan, *, overwrite: bool = False, ray: str | None = None, workers: int | None = None,
        progress: Callable[[object], None] | None = None) -> BatchSummary:
    """Render a plan's items (in process, or on Ray when `ray` is "local" or a cluster address)
    and return the summary. progress: called with a `Stage` (what is being done) and with each
    item's `Result` as it finishes (skipped items first), after a first `Planned` event."""
    from .render.dreamer import Stage

    summary = BatchSummary()
    started = time.perf_counter()

    def report(result: Result) -> None:
        summary.results.append(result)
        if progress is not None:
            progress(result)

    def stage(text: str) -> None:
        if progress is not None:
            progress(Stage(text))

    if progress is not None:
        progress(Planned(len(plan.ordered), len(plan.items)))
    for item in plan.skipped:
        report(Result(item, "skipped"))
    if plan.items:
        if ray:
            summary.where = run_on_ray(plan.items, overwrite, report, address=ray, workers=workers, stage=stage)
        else:
            run_in_process(plan.items, overwrite, report, stage)
    summary.seconds = time.perf_counter() - started
    return summary


def batch(inputs, out_dir, settings: DreamSettings | dict | None = None, *, sweep: Mapping[str, Sequence] | None = None,
          ray: str | None = None, workers: int | None = None, overwrite: bool = False, format: str = "png",
          progress: Callable[[object], None] | None = None, **options) -> BatchSummary:
    """Dream on many pictures: one output per input and sweep combination, in `out_dir`.

    inputs: files, folders (their image files) and glob patterns, or one of them; expanded and
    sorted naturally. settings/options: as `deepdream.dream` (every dream option by its field
    name). sweep: {setting: [values]}, e.g. {"layers": ["block4_conv3", "block5_conv1"],
    "seed": [1, 2]}: every combination is one render, named <stem>__layer-block4_conv3__seed-1.png
    (settings with one value are not named). Outputs already there are skipped unless `overwrite`.
    ray: None (this process), "local" (a local Ray cluster of `workers` actors) or a cluster
    address. A broken input is skipped and reported in the summary; bad options raise before any
    work. progress: see `run`. Returns a BatchSummary (`.ok`, `.written`, `.failed`, ...)."""
    if ray:
        import_ray()
    check_workers(workers)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    the_plan = batch_plan(inputs, out_dir, settings, sweep=sweep, overwrite=overwrite, format=format, **options)
    make_folder(out_dir)
    return run(the_plan, overwrite=overwrite, ray=ray, workers=workers, progress=progress)


def batch_plan(inputs, out_dir, settings: DreamSettings | dict | None = None, *,
               sweep: Mapping[str, Sequence] | None = None, overwrite: bool = False, format: str = "png",
               **options) -> Plan:
    """What `batch` would do, checked (inputs found, outputs named, every layer and class on its
    backbone), with nothing written and no folder made: `deepdream batch --dry-run`."""
    from .api import dream_settings

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    settings = dream_settings(settings, **options)
    the_plan = plan(inputs, out_dir, settings, sweep, format=format, overwrite=overwrite)
    check_layers(item.settings for item in the_plan.ordered)
    return the_plan
