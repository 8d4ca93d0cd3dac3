"""The live API: a WebSocket at `/api/live` dreaming a stream of frames, and the Live page (`/live`).

Protocol. The client's first message is text (within `Limits.hello`, or the socket is closed): a
JSON object of settings by CLI name (`{}` for the live defaults, `motion.live.LIVE_DREAM` /
`LIVE_FRAMES`; `video`'s settings apply, `independent` included, and every dream option, a
`preset` too; `format`: `jpeg` (default) or `png` for the
answers). Then each binary message is one frame (JPEG, PNG or WebP), answered by one binary
message: the frame dreamt, the same size, as JPEG (or PNG). Every message gets one answer, in order:
a settings message `{"settings": {...}, "format": ...}` once its Dreamer is ready (the first takes
seconds: the network loads and is traced), a frame its dreamt frame, and a mistake (a frame that is
not a picture or is over the limits, bad settings) `{"error": "one line"}`; the stream goes on
(with the settings before a bad settings message). A later settings message changes the named
settings (`null` puts one back to its live default); the carried detail goes on. `"record": true` in
a settings message starts recording the settings' changes (answered with `"recording": true`),
`"record": false` stops and answers with the `"timeline"`: the schedules of what changed, in
seconds, for `deepdream video --keyframes` (see `motion.recording`). When frames come
faster than they are dreamt, a frame still waiting when the next one comes is dropped, answered
`{"dropped": N}` (N frames), so at most one frame waits behind the one being dreamt: latency stays
about two frames' dream time.

Safety, as for the HTTP API: frames are decoded in memory (never a file, never a path), their size
checked in their header before decoding (`MAX_FRAME_SIDE`, the server's --max-side for the dream,
its work budget per frame); frames are dreamt on the backbone's render queue with the API's renders;
a page of another site may not open the socket (`guard.Guard`: its Origin must be this server); at most
`MAX_STREAMS` streams at once; when the client goes, frames not yet started are dropped.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import warnings
from collections import deque

import numpy as np
from fastapi import WebSocket  # at the top: the route's annotation is read from this module's names

from ..errors import DeepDreamError, InputError, LimitError, SettingsError, shown, suggest
from ..images import READ_FORMATS, declared_size
from ..motion.live import LIVE_DREAM, LIVE_FRAMES, LiveDreamer
from ..settings import DreamSettings, VideoSettings
from .forms import aliases, settings_from_form
from .service import Cancelled, Service, TimedOut, _cancellable, redact

log = logging.getLogger("deepdream.web")

#: The longest side, in pixels, of a frame the server decodes (it is then shrunk to the dream's --max-side).
MAX_FRAME_SIDE = 2048
#: The most bytes one frame (or settings message) may have.
MAX_FRAME_BYTES = 8 * 2**20
MAX_TEXT_BYTES = 64 * 2**10
#: Live streams the server dreams at once (each connection is one stream).
MAX_STREAMS = 4
#: Settings messages waiting for their answers at once; one more ends the stream (closed with 1008).
MAX_WAITING_TEXTS = 8
FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG"}
#: The answers' JPEG quality: at 90 the codec's own noise, new in every frame, is a tenth of the
#: flicker of carried frames (bench_live: flicker ratio 0.73 at 90, 0.66 at 95, 320x240).
JPEG_QUALITY = 95
#: Settings that mean nothing for a stream.
NOT_LIVE = frozenset({"start", "end"})


def canonical(data: dict) -> dict:
    """A client's settings object with its names as settings fields (`step-size` -> step_size, ...);
    `format` kept as is. SettingsError for an unknown name or a value that is no setting's."""
    if not isinstance(data, dict):
        raise SettingsError(
            f"Live settings are a JSON object of options by CLI name, e.g. "
            f'{{"preset": "swirls", "step-size": 6}} (got {shown(data)}).'
        )
    video, dream = aliases(VideoSettings), aliases(DreamSettings)
    out = {}
    for given, value in data.items():
        name = "format" if given == "format" else video.get(given) or dream.get(given)
        if name is None or name == "dream" or name in NOT_LIVE:
            known = sorted(
                {n for n in (*video, *dream) if "_" not in n and n != "dream" and n not in NOT_LIVE} | {"format"}
            )
            why = "applies to a clip, not a live stream" if name in NOT_LIVE else "is not a live setting"
            raise SettingsError(f"{shown(given)} {why}.{suggest(str(given), known)}")
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
            raise SettingsError(f"The setting {shown(given)} takes a value or a list of values (got {shown(value)}).")
        out[name] = value
    return out


def _texts(value) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]


def parse(fields: dict) -> tuple[VideoSettings, str]:
    """(the stream's VideoSettings, the answers' format) from canonical fields (`canonical`): the
    live defaults under the fields, a preset's look under both (its cost is the live one)."""
    fmt = fields.get("format") or "jpeg"
    if str(fmt).lower() not in FORMATS:
        raise SettingsError(f"format must be jpeg or png (got {shown(fmt)}).")
    video_names = set(aliases(VideoSettings).values())
    dream_texts: dict = {}
    video_texts: dict = {}
    for name, value in fields.items():
        if name != "format":
            (video_texts if name in video_names else dream_texts)[name] = _texts(value)
    for texts, defaults in ((dream_texts, LIVE_DREAM), (video_texts, LIVE_FRAMES)):
        for name, value in defaults.items():
            if not texts.get(name):
                texts[name] = _texts(value)
    dream = settings_from_form(DreamSettings, dream_texts, regions=_EVERY_NAME)
    for flag in dream.region_masks():  # a stream has no way to send a mask: refused in live's words
        raise SettingsError(
            f"{flag} WHAT@MASK dreams in a region, and a live stream has no mask to give it; give {flag} without @MASK."
        )
    return settings_from_form(VideoSettings, video_texts, dream=dream), FORMATS[str(fmt).lower()]


class _EveryName:
    """Regions' mask names `settings_from_form` lets through (live then refuses any)."""

    def __contains__(self, name) -> bool:
        return True


_EVERY_NAME = _EveryName()


def decode_frame(data: bytes, max_pixels: int | None = None) -> np.ndarray:
    """A frame's pixels (uint8 RGB), decoded in memory; InputError for what is not a JPEG, PNG or
    WebP picture, LimitError for a frame over `MAX_FRAME_SIDE` or `max_pixels` (read from its
    header, before decoding)."""
    from PIL import Image

    if not data:
        raise InputError("The frame is empty; send each frame as a JPEG or PNG picture.")
    if len(data) > MAX_FRAME_BYTES:
        raise LimitError(
            f"The frame is {len(data) / 2**20:.1f} MB, over the {MAX_FRAME_BYTES // 2**20} MB a live "
            f"frame may have; send smaller frames (JPEG)."
        )
    width, height = declared_size(data)
    if not width or not height:
        raise InputError("The frame is not a picture; send each frame as a JPEG or PNG picture.")
    if max(width, height) > MAX_FRAME_SIDE or (max_pixels and width * height > max_pixels):
        raise LimitError(
            f"The frame is {width}x{height} pixels, over the {MAX_FRAME_SIDE} pixels on the longer side a "
            f"live frame may have; send smaller frames (they are dreamt at max-side anyway)."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=READ_FORMATS) as image:
                if image.format not in ("JPEG", "PNG", "WEBP"):
                    raise InputError(f"The frame is a {image.format} picture; send JPEG or PNG frames.")
                return np.asarray(image.convert("RGB"))
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            "The frame could not be decoded (truncated or damaged); send each frame as a whole JPEG or PNG picture."
        ) from None


def encode_frame(rgb: np.ndarray, fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    if fmt == "PNG":
        Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    else:
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def one_line(message: str) -> str:
    """A message for the client: on one line, with no path of the server's (`service.redact`)."""
    return " ".join(redact(message).split())


class LiveStream:
    """One WebSocket's stream: a reader task that queues messages (a waiting frame replaced by a
    newer one), and the loop that answers them in order, frames dreamt on the render queue."""

    def __init__(self, websocket, service: Service):
        self.ws, self.service = websocket, service
        self.fields: dict = {}
        self.settings, self.format = parse({})
        self.dreamer: LiveDreamer | None = None
        self.inbox: deque = deque()
        self.wake = asyncio.Event()
        self.gone = self.overflow = self.idle = False
        self.cancel = threading.Event()
        self.frames = self.dropped = 0
        self.recorder = None  # the slider changes recorded into a timeline (`{"record": true}`)

    async def run(self) -> None:
        reader = asyncio.create_task(self.read())
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.inbox and not self.gone:
                    kind, value = self.inbox.popleft()
                    await self.answer(kind, value)
                if self.gone:
                    return
        finally:
            self.cancel.set()
            reader.cancel()
            if self.dreamer is not None:
                self.dreamer.close()

    async def read(self) -> None:
        """Queue the client's messages until it goes: a frame waiting when another comes is dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.service.limits.hello
        greeted = False
        try:
            while True:
                if greeted:
                    message = await self.ws.receive()
                else:  # a socket that never says its settings would hold a stream's slot for ever
                    message = await asyncio.wait_for(self.ws.receive(), max(0.0, deadline - loop.time()))
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    self.queue_frame(message["bytes"])
                elif message.get("text") is not None:
                    if sum(kind == "settings" for kind, _ in self.inbox) >= MAX_WAITING_TEXTS:
                        self.overflow = True  # a client that never waits for answers: the stream ends
                        break
                    self.inbox.append(("settings", message["text"]))
                    greeted = True
                self.wake.set()
        except TimeoutError:
            self.idle = True
        except Exception:
            pass
        finally:
            self.gone = True
            self.cancel.set()
            self.wake.set()

    def queue_frame(self, data: bytes) -> None:
        for i, (kind, _) in enumerate(self.inbox):
            if kind == "frame":
                before = self.inbox[i - 1] if i else None
                if before is not None and before[0] == "dropped":
                    del self.inbox[i]
                    self.inbox[i - 1] = ("dropped", before[1] + 1)
                else:
                    self.inbox[i] = ("dropped", 1)
                break
        self.inbox.append(("frame", data))

    async def send(self, message) -> None:
        try:
            if isinstance(message, bytes):
                await self.ws.send_bytes(message)
            else:
                await self.ws.send_text(json.dumps(message))
        except Exception:
            self.gone = True

    async def answer(self, kind: str, value) -> None:
        try:
            if kind == "settings":
                await self.change(value)
            elif kind == "frame":
                await self.send(await self.dream(value))
            else:  # dropped
                self.dropped += value
                await self.send({"dropped": value})
        except DeepDreamError as error:
            await self.send({"error": one_line(str(error))})
        except Cancelled:
            self.gone = True
        except Exception as error:
            log.exception("unexpected error in a live stream")
            await self.send(
                {
                    "error": one_line(
                        f"Unexpected error ({type(error).__name__}: {str(error)[:300]}); "
                        f"the server's log has the details."
                    )
                }
            )

    async def change(self, text: str) -> None:
        """A settings message: merged into the stream's, checked, its Dreamer prepared, then used."""
        if len(text) > MAX_TEXT_BYTES:
            raise SettingsError(f"The settings message is over {MAX_TEXT_BYTES // 1024} kB.")
        try:
            data = json.loads(text)
        except RecursionError:
            raise SettingsError(
                "Live settings are a flat JSON object of options; that message is nested too deeply."
            ) from None
        except ValueError:
            raise SettingsError(
                'Live settings are a JSON object of options by CLI name, e.g. {"preset": "swirls"}; '
                "that message is not JSON."
            ) from None
        record = data.pop("record", None) if isinstance(data, dict) else None
        if record is not None and not isinstance(record, bool):
            raise SettingsError(f"record is true (start recording a timeline) or false (stop) (got {shown(record)}).")
        fields = {**self.fields, **canonical(data)}
        fields = {name: value for name, value in fields.items() if value is not None}
        settings, fmt = parse(fields)
        await self.on_queue(settings.dream.backbone, self.service.dreamer, settings.dream)
        self.fields, self.settings, self.format = fields, settings, fmt
        await self.send({"settings": settings.to_dict(), "format": fmt.lower(), **self.record(record, settings)})

    def record(self, record: bool | None, settings: VideoSettings) -> dict:
        """What a settings message adds to its answer about the recording: `recording` once it
        starts, the `timeline` (schedules by option name, for `video --keyframes`) once it stops."""
        from ..motion.recording import Recorder

        if self.recorder is not None:
            self.recorder.change(settings)
        if record is True:
            self.recorder = Recorder(settings)
            return {"recording": True}
        if record is False and self.recorder is not None:
            timeline, self.recorder = self.recorder.timeline(), None
            return {"recording": False, "timeline": timeline}
        return {}

    async def dream(self, data: bytes) -> bytes:
        """One frame, as one job on the backbone's render queue (one hop between threads, not
        three): decoded, checked against the limits, dreamt, encoded."""
        settings, fmt = self.settings, self.format
        out = await self.on_queue(settings.dream.backbone, self.next_frame, settings, fmt, data)
        self.frames += 1
        return out

    def next_frame(self, settings: VideoSettings, fmt: str, data: bytes) -> bytes:
        """On the backbone's render thread: the frame decoded and checked, then the stream's
        LiveDreamer (made, or changed to `settings` with the cached Dreamer) one frame on."""
        frame = decode_frame(data, self.service.limits.max_pixels)
        height, width = frame.shape[:2]
        self.service.check(settings.dream, height, width)
        self.service.check(settings.lighter(settings.dream), height, width)
        prepared = self.service.dreamer(settings.dream)
        if self.dreamer is None:
            self.dreamer = LiveDreamer(settings, prepared)
        elif self.dreamer.settings is not settings:
            self.dreamer.change(settings, prepared)
        out = self.dreamer.next(frame, _cancellable(None, self.cancel))  # stops at a step once the client goes
        return encode_frame(out, fmt)

    async def on_queue(self, backbone: str, fn, *args):
        """fn(*args) on the backbone's render queue; a job not started when the client goes is dropped."""
        future = self.service.submit(backbone, lambda cancelled=None: fn(*args), cancelled=self.cancel)
        waited = asyncio.wrap_future(future)
        timeout = self.service.limits.timeout
        try:
            return await asyncio.wait_for(asyncio.shield(waited), timeout or None)
        except TimeoutError:
            raise TimedOut.after(timeout) from None
        except asyncio.CancelledError:
            if waited.cancelled() and not asyncio.current_task().cancelling():
                raise Cancelled() from None  # the job was dropped (the server stops): not this task
            raise


def install_live(app, service: Service) -> None:
    """`/api/live` (the WebSocket) and `/live` (the page the studio's Live tab shows) on `app`."""
    from fastapi.responses import HTMLResponse

    from .live_page import page_html

    open_streams = [0]

    @app.websocket("/api/live")
    async def live(websocket: WebSocket):
        await websocket.accept()
        if open_streams[0] >= MAX_STREAMS:
            await websocket.send_text(
                json.dumps(
                    {"error": f"This server dreams {MAX_STREAMS} live streams at once; close one and try again."}
                )
            )
            await websocket.close(code=1013)
            return
        open_streams[0] += 1
        stream = LiveStream(websocket, service)
        try:
            await stream.run()
        finally:
            open_streams[0] -= 1
        try:
            if stream.overflow:
                await websocket.close(code=1008, reason=f"over {MAX_WAITING_TEXTS} settings messages waiting")
            elif stream.idle:
                await websocket.close(code=1008, reason=f"no settings message within {service.limits.hello:g} s")
            else:
                await websocket.close()
        except Exception:
            pass

    @app.get("/live", include_in_schema=False)
    async def page():
        return HTMLResponse(page_html(service.limits.max_side), headers={"Cache-Control": "no-store"})
