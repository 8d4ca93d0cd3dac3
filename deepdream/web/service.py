"""The renders behind the studio and the HTTP API: uploads read safely, one worker thread per
backbone, and prepared Dreamers kept for the next request with the same settings.

Needs none of the web packages. Every render of a backbone runs on that backbone's one worker
thread, in the order asked (a queue): TensorFlow already spreads one render over every core, so two
at once on one network would only share the cores and double the memory; and a network, its traced
functions and the Dreamers built on it are then only ever used from one thread. Renders on different
backbones may run side by side.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .. import images
from ..errors import DeepDreamError, InputError
from ..settings import ClassSettings, DreamSettings, StyleSettings
from .forms import safe_name

log = logging.getLogger("deepdream.web")

#: The largest request body (uploads included) the server reads, in bytes.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class Cancelled(Exception):
    """The client went away; the render stopped at its next step."""


@dataclass(frozen=True)
class Upload:
    """A picture a client sent: its harmless name, its decoded pixels, and a digest of its bytes."""

    name: str
    image: images.LoadedImage
    digest: str


def read_upload(data: bytes, filename: str | None, default: str = "upload.png") -> Upload:
    """Decode an uploaded picture with the same checks and messages as the CLI's `load_image`
    (EXIF orientation, every mode, the decompression-bomb limit): the bytes are written under their
    harmless base name into a folder of our own, read, and the folder's path left out of any message."""
    name = safe_name(filename, default)
    if not data:
        raise InputError(f"'{name}' is empty; upload an image file (PNG, JPEG, WebP, TIFF, BMP, GIF, ...).")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"'{name}' is {len(data) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    with tempfile.TemporaryDirectory(prefix="deepdream-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            loaded = images.load_image(path)
        except DeepDreamError as e:
            raise type(e)(str(e).replace(str(path), name)) from None
    return Upload(name, loaded, hashlib.sha256(data).hexdigest())


def png_bytes(rgb, alpha=None, metadata: str | None = None) -> bytes:
    """A PNG of the picture with its settings in the `deepdream` text chunk (`images.save_image`)."""
    with tempfile.TemporaryDirectory(prefix="deepdream-out-") as folder:
        path = Path(folder) / "out.png"
        images.save_image(rgb, path, alpha=alpha, metadata=metadata)
        return path.read_bytes()


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

    def __init__(self, cache_size: int = 4):
        self.cache_size = cache_size
        self._cache: OrderedDict = OrderedDict()
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    # -- the queue ---------------------------------------------------------------------------
    def submit(self, backbone: str, fn: Callable, *args, **kwargs) -> Future:
        with self._lock:
            worker = self._workers.get(backbone)
            if worker is None:
                worker = self._workers[backbone] = ThreadPoolExecutor(1, thread_name_prefix=f"render-{backbone}")
            self._pending[backbone] = self._pending.get(backbone, 0) + 1

        def job():
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._pending[backbone] -= 1

        return worker.submit(job)

    def waiting(self, backbone: str) -> int:
        """Renders queued or running on a backbone's worker."""
        with self._lock:
            return self._pending.get(backbone, 0)

    def close(self) -> None:
        for worker in self._workers.values():
            worker.shutdown(wait=False, cancel_futures=True)

    # -- prepared dreamers -------------------------------------------------------------------
    def dreamer(self, settings: DreamSettings, digests=(), progress=None):
        """A Dreamer (a Painting for class settings) for these settings: the cached one, or a new
        one (then cached)."""
        from ..render.dreamer import prepare
        from ..render.param import prepare_painting

        data = settings.to_dict()
        data.pop("seed")
        key = (type(settings).__name__, json.dumps(data, sort_keys=True), tuple(digests))
        with self._lock:
            dreamer = self._cache.get(key)
            if dreamer is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return dreamer
            self.misses += 1
        dreamer = prepare_painting(settings, progress=progress) if isinstance(settings, ClassSettings) \
            else prepare(settings, progress=progress)
        with self._lock:
            self._cache[key] = dreamer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return dreamer

    # -- the renders ---------------------------------------------------------------------------
    def dream(self, image: Upload, settings: DreamSettings, *, guides=(), mask: Upload | None = None,
              progress=None, cancelled: threading.Event | None = None) -> Result:
        """Dream on an uploaded picture; guides and mask are uploads too (their pixels are in the
        settings). The metadata carries the settings and the uploads' names."""
        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        digests = [g.digest for g in guides] + ([mask.digest] if mask else [])
        dreamer = self.dreamer(settings, digests, progress)
        out = dreamer.run(image.image, progress=progress, seed=settings.seed)
        extra = {"input": image.name}
        if guides:
            extra["guides"] = [g.name for g in guides]
        if mask:
            extra["mask"] = mask.name
        return Result(out.rgb, out.alpha, settings.to_json(**extra), time.perf_counter() - start)

    def paint(self, settings: ClassSettings, *, progress=None, cancelled: threading.Event | None = None) -> Result:
        """A class painting (as `deepdream class`: the same bytes for the same settings)."""
        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        painting = self.dreamer(settings, (), progress)
        rgb = painting.run(progress=progress)
        return Result(rgb, None, settings.to_json(), time.perf_counter() - start)

    def stylize(self, content: Upload, styles, settings: StyleSettings, *, progress=None,
                cancelled: threading.Event | None = None) -> Result:
        """Style transfer of an uploaded content picture with uploaded style pictures."""
        from ..style import prepare_style, run_style

        progress = _cancellable(progress, cancelled)
        start = time.perf_counter()
        inputs = prepare_style(content.image, settings)
        rgb = run_style(inputs, settings, progress)
        metadata = settings.to_json(input=content.name, style_files=[s.name for s in styles])
        return Result(rgb, content.image.alpha, metadata, time.perf_counter() - start)


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


def backbone_list() -> list[dict]:
    """Every backbone: name, what it looks like, whether its weights are here, default dream layers."""
    from .. import backbones as registry

    out = []
    for name in registry.names():
        module = registry.module(name)
        out.append({"name": name, "description": module.DESCRIPTION,
                    "available": bool(registry.weights_status(name).available)})
    return out


def layer_list(net) -> dict:
    """A backbone's catalogue as JSON: its layers (name, channels, stride) and its default ones."""
    return {"backbone": net.name, "default": [name for name, _ in net.default_layers],
            "layers": [{"name": info.name, "channels": int(info.channels), "stride": int(info.stride)}
                       for info in net.catalog]}
