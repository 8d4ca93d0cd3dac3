"""The renders behind the studio and the HTTP API: uploads read safely, one worker thread per
backbone, and prepared Dreamers kept for the next request with the same settings.

Needs none of the web packages. Every render of a backbone runs on that backbone's one worker
thread, in the order asked (a queue): TensorFlow already spreads one render over every core, so two
at once on one network would only share the cores and double the memory; and a network, its traced
functions and the Dreamers built on it are then only ever used from one thread. Renders on different
backbones may run side by side.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LimitError
from ..images import LoadedImage
from ..settings import ClassSettings, DreamSettings, StyleSettings
from .uploads import Upload, png_bytes, read_upload

log = logging.getLogger("deepdream.web")


#: What a client is told of a render the stopping server cancelled.
STOPPING = "The render was cancelled: the server is stopping."


class Cancelled(Exception):
    """The client went away (or the server is stopping); the render stopped at its next step."""


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server. max_side: the longest side, in pixels, of a picture
    rendered (after the request's own max-side); max_work: pixel-steps of one render, in millions
    (`budget.work`); timeout: seconds a request may take, queue included; max_pixels: the most an
    uploaded picture may have before its request's max-side shrinks it. None: no limit."""

    max_side: int | None = 512
    max_work: float | None = 150.0  # a 512 px `dream --class` (300 painting steps) is about 139
    timeout: float | None = 600.0
    #: Pixels an upload may declare in its header, checked before it is decoded (None: Pillow's limit).
    max_pixels: int | None = 50_000_000
    #: Frames a zoom may have (each is a dream; the clip is held in memory until it is written).
    max_frames: int | None = 120
    #: Seconds a Live socket has to send its settings before it is closed (it holds a stream's slot).
    hello: float = 5.0

    def check(self, settings, height: int, width: int, decoded: int = 0) -> None:
        """A LimitError (one sentence: the limit, and how to change it) when a render of `settings`
        on a height x width picture (before its max-side) is over the limits; `decoded`: the pixels
        of the guide or style pictures it decodes, counted in the work."""
        from ..budget import described, work

        if settings.mode == "zoom" and self.max_frames and settings.frames > self.max_frames:
            raise LimitError(
                f"A zoom of {settings.frames:,} frames is over this server's limit of {self.max_frames} frames; "
                f"make fewer frames (a longer clip is `deepdream zoom` on the command line)."
            )
        if settings.mode == "class":
            what = f"The size {width}x{height}"
            shrink = "ask for a smaller size"
        else:
            side = settings.dream.max_side if settings.mode == "zoom" else settings.max_side
            if side is not None and max(height, width) > side:
                scale = side / max(height, width)
                height, width = max(1, round(height * scale)), max(1, round(width * scale))
            what = f"The picture is {width}x{height} pixels, which"
            shrink = f"send max-side={self.max_side} (or less) to shrink it first"
        if self.max_side and max(height, width) > self.max_side:
            raise LimitError(
                f"{what} is over this server's limit of {self.max_side} pixels on the longer side; "
                f"{shrink}, or start the server with a larger --max-side."
            )
        amount = work(settings, height, width) + decoded
        if self.max_work and amount > self.max_work * 1e6:
            pictures = f", {decoded / 1e6:,.0f} million pixels of pictures to decode" if decoded >= 1e6 else ""
            fewer = "frames, steps, octaves" if settings.mode == "zoom" else "steps, octaves or iterations"
            raise LimitError(
                f"This render is about {amount / 1e6:,.0f} million pixel-steps ({width}x{height}, "
                f"{described(settings)}{pictures}), over this server's budget of {self.max_work:g} million; "
                f"use fewer {fewer} or a smaller picture, or start the server with a larger --max-work."
            )


class TimedOut(LimitError):
    """A request ran past the server's --timeout; its render was stopped."""

    status = 503

    @classmethod
    def after(cls, seconds: float) -> TimedOut:
        return cls(
            f"The render took over {seconds:g} s, this server's limit per request, and was stopped; ask "
            f"for less work, or start the server with a larger --timeout."
        )


@dataclass
class Result:
    """A finished render: the picture, its settings' JSON and how long the render itself took."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    metadata: str
    seconds: float

    def png(self) -> bytes:
        return png_bytes(self.rgb, self.alpha, self.metadata)


class Service:
    """Queued renders: `submit(backbone, fn, ...)` runs fn on that backbone's worker thread and gives
    a Future; `dream`, `paint`, `stylize` are the renders themselves (call them through submit).

    Prepared Dreamers are kept in a small LRU cache keyed by the settings without their seed (and,
    for a class painting, its size), plus the digests of uploaded guides and masks, so a repeated
    request skips the model load, the objective and the trace."""

    def __init__(self, cache_size: int = 4, limits: Limits | None = None):
        self.cache_size = cache_size
        self.limits = limits or Limits()
        #: Where uploads are written while they are decoded (the server's own folder; None: the system's temp).
        self.scratch: Path | None = None
        self._cache: OrderedDict = OrderedDict()
        self._workers: dict[str, _Worker] = {}
        self._pending: dict[str, int] = {}
        self._cancels: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self.closed = False

    # -- the queue ---------------------------------------------------------------------------
    def submit(self, backbone: str, fn: Callable, *args, **kwargs) -> Future:
        """Run fn(*args, **kwargs) on the backbone's worker; a `cancelled` Event among kwargs is set
        by `close` (the render then stops at its next step)."""
        cancel = kwargs.get("cancelled")
        with self._lock:
            if self.closed:
                raise Cancelled()
            worker = self._workers.get(backbone)
            if worker is None:
                worker = self._workers[backbone] = _Worker(f"render-{backbone}")
            self._pending[backbone] = self._pending.get(backbone, 0) + 1
            if cancel is not None:
                self._cancels.add(cancel)

        def job():
            try:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                with _no_downloads():
                    return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._pending[backbone] -= 1
                    self._cancels.discard(cancel)

        return worker.submit(job)

    def waiting(self, backbone: str) -> int:
        """Renders queued or running on a backbone's worker."""
        with self._lock:
            return self._pending.get(backbone, 0)

    def busy(self) -> bool:
        """Whether a render is queued or running on any worker."""
        with self._lock:
            return any(self._pending.values())

    def close(self) -> None:
        """Stop: queued renders are dropped, running ones stop at their next step (their threads
        are daemons, so a render in the middle of a step never holds the process)."""
        with self._lock:
            self.closed = True
            cancels, workers = list(self._cancels), list(self._workers.values())
        for cancel in cancels:
            cancel.set()
        for worker in workers:
            worker.shutdown()

    def backbone(self, name: str):
        """The loaded backbone `name` (loaded once, under a lock, never on a render queue: listing
        its layers does not wait behind renders)."""
        from ..backbones import load_backbone

        with self._loading, _no_downloads():
            return load_backbone(name)

    def guides(self, settings: DreamSettings, uploads) -> list[Upload]:
        """The guides uploaded ((filename, bytes) each) decoded, each shrunk as it is decoded
        (`images.load_image`'s shrink_to) and then resized as the render resizes it
        (`guided.fit_guides`): neither a full-size decode in floats nor a full-size guide in the
        prepared-dreamer cache is ever held. Call it once the request is within the budget."""
        from dataclasses import replace

        from ..guided import GUIDE_SIZE, fit_guides

        if not uploads:
            return []
        side = settings.guide_size or min(settings.tile_size, GUIDE_SIZE)
        most = self.limits.max_pixels
        guides = [read_upload(d, f, "guide.png", most, self.scratch, shrink_to=side) for f, d in uploads]
        net = self.backbone(settings.backbone)
        names = [g.name for g in guides]
        fitted = fit_guides([g.image for g in guides], net, settings.guide_size, settings.tile_size, names)
        pairs = zip(guides, fitted, strict=True)
        return [replace(g, image=LoadedImage(rgb, None, g.image.source_mode)) for g, rgb in pairs]

    def check(self, settings, height: int, width: int, decoded: int = 0) -> None:
        """LimitError when a render is over this server's limits (see `Limits.check`)."""
        self.limits.check(settings, height, width, decoded)

    # -- prepared dreamers -------------------------------------------------------------------
    def dreamer(self, settings: DreamSettings, digests=(), progress=None, like=None, regions=None):
        """A Dreamer (a Painting for class settings) for these settings: the cached one, or a new
        one (then cached). like: the picture to be dreamt, for `layer=auto` (its digest is then
        part of `digests`). regions: name -> the mask pictures of `WHAT@NAME` objectives (their
        digests part of `digests`); no region is ever read from a file."""
        from ..render.param import prepare_painting
        from ..render.prepare import prepare

        data = settings.to_dict()
        data.pop("seed")
        key = (type(settings).__name__, json.dumps(data, sort_keys=True), tuple(digests))
        with self._lock:
            dreamer = self._cache.get(key)
            if dreamer is not None:
                self._cache.move_to_end(key)
                return dreamer
        dreamer = (
            prepare_painting(settings, progress=progress)
            if isinstance(settings, ClassSettings)
            else prepare(settings, like=like, progress=progress, regions=regions or {})
        )
        with self._lock:
            self._cache[key] = dreamer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return dreamer

    # -- the renders ---------------------------------------------------------------------------
    def dream(
        self,
        image: Upload,
        settings: DreamSettings,
        *,
        guides=(),
        mask: Upload | None = None,
        regions: dict | None = None,
        progress=None,
        cancelled: threading.Event | None = None,
    ) -> Result:
        """Dream on an uploaded picture; guides and mask are uploads too (their pixels are in the
        settings). The metadata carries the settings and the uploads' names."""
        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        regions = regions or {}
        digests = (
            [g.digest for g in guides]
            + ([mask.digest] if mask else [])
            + [f"{name}:{upload.digest}" for name, upload in sorted(regions.items())]
        )
        if settings.auto_layer:  # the layer is picked for this picture
            digests.append(image.digest)
        dreamer = self.dreamer(
            settings,
            digests,
            progress,
            like=image.image if settings.auto_layer else None,
            regions={name: upload.image for name, upload in regions.items()},
        )
        out = dreamer.run(image.image, progress=progress, seed=settings.seed)
        extra = {"input": image.name}
        if guides:
            extra["guides"] = [g.name for g in guides]
        if mask:
            extra["mask"] = mask.name
        chosen = dreamer.settings if settings.auto_layer else settings  # the layer auto picked, and the seed
        return Result(
            out.rgb, out.alpha, chosen.replace(seed=settings.seed).to_json(**extra), time.perf_counter() - start
        )

    def paint(self, settings: ClassSettings, *, progress=None, cancelled: threading.Event | None = None) -> Result:
        """A class painting (as `deepdream class`: the same bytes for the same settings)."""
        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        painting = self.dreamer(settings, (), progress)
        rgb = painting.run(progress=progress, seed=settings.seed)
        # --alpha file or channel: one PNG comes back, its alpha the transparency map (as the Python API's)
        alpha = None if settings.alpha == "none" else painting.transparency()
        return Result(rgb, alpha, settings.to_json(), time.perf_counter() - start)

    def stylize(
        self,
        content: Upload,
        styles,
        settings: StyleSettings,
        *,
        progress=None,
        cancelled: threading.Event | None = None,
    ) -> Result:
        """Style transfer of an uploaded content picture with uploaded style pictures."""
        from ..style import prepare_style, run_style

        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        inputs = prepare_style(content.image, settings)
        rgb = run_style(inputs, settings, progress)
        metadata = settings.to_json(input=content.name, style_files=[s.name for s in styles])
        return Result(rgb, content.image.alpha, metadata, time.perf_counter() - start)


class _Worker:
    """One daemon thread running jobs in order (a ThreadPoolExecutor's threads are joined when
    the interpreter exits, so a render in the middle of a long step would keep a stopped server
    alive)."""

    def __init__(self, name: str):
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn))
        return future

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as error:
                future.set_exception(error)

    def shutdown(self) -> None:
        """Drop the queued jobs (their futures cancelled) and end the thread after its current job."""
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        self._jobs.put(None)


def _no_downloads():
    """Within it, a backbone whose weights are not on this machine is an error saying to run
    `deepdream weights`, never a download (the server never reaches out)."""
    from ..backbones.files import downloads_off

    return downloads_off("the server never downloads weights: run `deepdream weights` on it first")


def _cancellable(progress, cancelled: threading.Event | None):
    """The progress callback, stopping the render (Cancelled) once `cancelled` is set."""
    if cancelled is None:
        return progress

    def report(event):
        if cancelled.is_set():
            raise Cancelled()
        if progress is not None:
            progress(event)

    return report


def redact(message: str) -> str:
    """A message for a client: the server's home folder written ~, its temporary folder <tmp>
    (where it keeps uploads and outputs), so an error tells no one how the machine is laid out."""
    for folder, shown in ((tempfile.gettempdir(), "<tmp>"), (str(Path.home()), "~")):
        if folder and folder not in ("/", "."):
            message = message.replace(os.path.realpath(folder), shown).replace(folder, shown)
    return message


def backbone_list() -> list[dict]:
    """Every backbone: name, what it looks like, whether its weights are here, default dream layers."""
    from .. import backbones as registry

    out = []
    for name in registry.names():
        module = registry.module(name)
        out.append(
            {
                "name": name,
                "description": module.DESCRIPTION,
                "available": bool(registry.weights_status(name).available),
            }
        )
    return out


def layer_list(net) -> dict:
    """A backbone's catalogue as JSON: its layers (name, channels, stride) and its default ones."""
    return {
        "backbone": net.name,
        "default": [name for name, _ in net.default_layers],
        "layers": [
            {"name": info.name, "channels": int(info.channels), "stride": int(info.stride)} for info in net.catalog
        ],
    }
