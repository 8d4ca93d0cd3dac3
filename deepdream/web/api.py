"""The HTTP API: `POST /api/dream`, `/api/class`, `/api/style` (multipart forms, PNG answers with the
settings in their metadata) and `GET /api/backbones`, `/api/layers?backbone=NAME` (JSON).

Form fields are the CLI's options without their dashes (`steps`, `step-size`, `layer` repeated,
`class`, ...), parsed by `settings_from_form` and validated by the settings themselves. A user's
mistake (a bad upload, a bad option) answers 400 with `{"error": MESSAGE}`, MESSAGE being the line
the CLI prints; a body over the upload limit, or a render over the server's limits (`Limits`: the
longer side, the work budget), 413 at once, before anything is queued; a request past the timeout
503 (its render stopped); anything unexpected 500 with a JSON error, and the server goes on serving.
A render whose client hangs up is cancelled at its next step.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import DeepDreamError, SettingsError
from ..settings import ClassSettings, DreamSettings, StyleSettings, parse_size, upload_fields
from .forms import safe_name, settings_from_form
from .service import STOPPING, Cancelled, Service, TimedOut, backbone_list, layer_list, redact
from .uploads import MAX_UPLOAD_BYTES, PLACEHOLDER, Upload, check_declared, read_upload

log = logging.getLogger("deepdream.web")


def _uploads(cls) -> tuple[str, ...]:
    """The form fields of the settings fields the API takes as uploaded pictures (named as their flags)."""
    return tuple(cls.flag(name).lstrip("-") for name in upload_fields(cls))


#: The multipart fields holding pictures, per endpoint (every other field is an option): the picture
#: worked on, the settings' upload fields, and a dream's region masks (`WHAT@NAME` names one).
_FILES = {
    "dream": ("image", *_uploads(DreamSettings), "region"),
    "class": _uploads(ClassSettings),
    "style": ("image", *_uploads(StyleSettings)),
}


class TooLarge(Exception):
    pass


class _Sending:
    """An ASGI `send` that notes whether the response has started (then no other answer can be sent)."""

    def __init__(self, send):
        self.send, self.started = send, False

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes is refused with 413 and a JSON error, by
    its Content-Length before anything is read, or while it is read when it is sent in chunks."""

    def __init__(self, app, limit: int = MAX_UPLOAD_BYTES):
        self.app, self.limit = app, limit

    def _message(self) -> str:
        return f"The upload is too large; the limit is {self.limit // 2**20} MB per request."

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await JSONResponse({"error": self._message()}, status_code=413)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise TooLarge()
            return message

        sending = _Sending(send)
        try:
            await self.app(scope, counted, sending)
        except TooLarge:
            if not sending.started:
                await JSONResponse({"error": self._message()}, status_code=413)(scope, receive, send)


async def _form(request: Request, mode: str) -> tuple[dict, dict]:
    """(option name -> texts, picture field -> [(filename, bytes)]) from a multipart or urlencoded form."""
    try:
        form = await request.form(max_files=16, max_fields=200)
    except TooLarge:  # BodyLimit answers 413
        raise
    except Exception as e:  # a malformed body
        raise SettingsError(f"Could not read the form ({e}); send multipart/form-data.") from None
    texts: dict[str, list[str]] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    for name, value in form.multi_items():
        if hasattr(value, "read"):  # an uploaded file
            if name not in _FILES[mode]:
                raise SettingsError(
                    f"Field {name!r} cannot be a file here; "
                    f"{mode} takes pictures in: {', '.join(_FILES[mode]) or 'none'}."
                )
            files.setdefault(name, []).append((value.filename, await value.read()))
        else:
            if name in ("image",) and name in _FILES[mode]:
                raise SettingsError(f"Field {name!r} must be an uploaded file (multipart/form-data), not text.")
            texts.setdefault(name, []).append(value)
    return texts, files


def _one(files: dict, name: str, what: str) -> tuple[str, bytes]:
    given = files.get(name) or []
    if len(given) != 1:
        raise SettingsError(f"Upload {'one' if not given else 'only one'} {what} as the file field {name!r}.")
    return given[0]


def _png(result, name: str) -> Response:
    return Response(
        result.png(),
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Server-Timing": f"render;dur={result.seconds * 1000:.1f}",
        },
    )


async def finish(request: Request | None, service: Service, backbone: str, fn, *args, **kwargs):
    """Queue fn on the backbone's worker and wait for it; when the client hangs up, or the request
    is over the server's timeout, the render is cancelled (it stops at its next step) and, for a
    timeout, a TimedOut (503) says the limit."""
    cancel = threading.Event()
    future = service.submit(backbone, fn, *args, cancelled=cancel, **kwargs)
    waited = asyncio.wrap_future(future)
    waited.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "exception not retrieved"
    timeout = service.limits.timeout
    loop = asyncio.get_running_loop()
    deadline = None if not timeout else loop.time() + timeout
    try:
        while True:
            done, _ = await asyncio.wait({waited}, timeout=0.25)
            if done:
                if waited.cancelled():  # dropped from the queue: the server is stopping
                    raise Cancelled()
                return waited.result()
            if request is not None and await request.is_disconnected():
                log.info("client of %s went away; render cancelled", request.url.path)
                raise Cancelled()
            if deadline is not None and loop.time() > deadline:
                raise TimedOut.after(timeout)
    finally:
        cancel.set()
        future.cancel()


async def dream_request(request: Request, service: Service) -> Response:
    """POST /api/dream: the picture, guides, mask and regions read (each checked in its header first;
    the guides decoded only within the budget, shrunk to the size they are used at), dreamt."""
    texts, files = await _form(request, "dream")
    filename, data = _one(files, "image", "picture to dream on")
    most = service.limits.max_pixels
    decoded = sum(check_declared(d, safe_name(f, "guide.png"), most) for f, d in files.get("guide", []))
    image = await run_in_threadpool(read_upload, data, filename, "upload.png", most, service.scratch)
    mask = None
    if files.get("mask"):
        mask_name, mask_data = _one(files, "mask", "mask")
        mask = await run_in_threadpool(read_upload, mask_data, mask_name, "mask.png", most, service.scratch)
    regions = {}  # WHAT@NAME: the mask uploaded as a `region` file named NAME
    for f, d in files.get("region", []):
        region = await run_in_threadpool(read_upload, d, f, "region.png", most, service.scratch)
        regions[region.name] = region
    # the guides stand in by placeholders until the settings say what size they are used at
    pictures = {"guide": [PLACEHOLDER] * len(files.get("guide", []))}
    if mask is not None:
        pictures["mask"] = [mask.image]
    settings = settings_from_form(DreamSettings, texts, files=pictures, regions=regions)
    service.check(settings, *image.image.rgb.shape[:2], decoded=decoded)
    guides = await run_in_threadpool(service.guides, settings, files.get("guide", []))
    if guides:
        settings = settings.replace(guide=tuple(g.image for g in guides))
    result = await finish(
        request,
        service,
        settings.backbone,
        service.dream,
        image,
        settings,
        guides=guides,
        mask=mask,
        regions=regions,
    )
    return _png(result, f"{image.name.rsplit('.', 1)[0]}_dream.png")


async def style_request(request: Request, service: Service) -> Response:
    """POST /api/style: the content and style pictures read (the styles' pixels counted in the budget), stylised."""
    texts, files = await _form(request, "style")
    filename, data = _one(files, "image", "content picture")
    most = service.limits.max_pixels
    decoded = sum(check_declared(d, safe_name(f, "style.png"), most) for f, d in files.get("style", []))
    content = await run_in_threadpool(read_upload, data, filename, "upload.png", most, service.scratch)
    if not files.get("style"):
        raise SettingsError("Upload at least one style picture as the file field 'style'.")
    styles: list[Upload] = [
        await run_in_threadpool(read_upload, d, f, "style.png", most, service.scratch) for f, d in files["style"]
    ]
    settings = settings_from_form(StyleSettings, texts, files={"styles": [s.image for s in styles]})
    service.check(settings, *content.image.rgb.shape[:2], decoded=decoded)
    result = await finish(request, service, settings.backbone, service.stylize, content, styles, settings)
    return _png(result, f"{content.name.rsplit('.', 1)[0]}_style.png")


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/api")

    @api.post("/dream")
    async def dream(request: Request):
        return await dream_request(request, service)

    @api.post("/class")
    async def paint(request: Request):
        texts, _ = await _form(request, "class")
        settings = settings_from_form(ClassSettings, texts)
        service.check(settings, *parse_size(settings.size))
        result = await finish(request, service, settings.backbone, service.paint, settings)
        return _png(result, "class.png")

    @api.post("/style")
    async def style(request: Request):
        return await style_request(request, service)

    def post_only(path: str, takes: str):
        async def wrong_method():  # else the studio's catch-all answers a bare 404
            return JSONResponse(
                {
                    "error": f"/api{path} takes POST with a multipart form ({takes}); see "
                    f"/api/docs or the curl lines of docs/studio.md."
                },
                status_code=405,
                headers={"Allow": "POST"},
            )

        api.add_api_route(path, wrong_method, methods=["GET", "HEAD"], include_in_schema=False)

    post_only("/dream", "the file field 'image' and any dream option")
    post_only("/class", "the field 'class' and any dream option")
    post_only("/style", "the file fields 'image' and 'style' and any style option")

    @api.get("/backbones")
    async def backbones():
        return await run_in_threadpool(backbone_list)

    @api.get("/layers")
    async def layers(backbone: str = DreamSettings.default("backbone")):
        from ..backbones import module

        module(backbone)  # an unknown name: 400 at once
        net = await run_in_threadpool(service.backbone, backbone)  # never behind the renders
        return layer_list(net)

    return api


def install(app: FastAPI, service: Service) -> None:
    """The API's routes and error answers on `app`."""
    app.include_router(router(service))

    @app.exception_handler(DeepDreamError)
    async def user_error(request: Request, error: DeepDreamError):
        return JSONResponse({"error": redact(str(error))}, status_code=getattr(error, "status", 400))

    @app.exception_handler(Cancelled)
    async def cancelled(request: Request, error: Cancelled):  # the client has gone, or the server stops
        return JSONResponse({"error": STOPPING}, status_code=503)

    app.add_middleware(Unexpected)


class Unexpected:
    """ASGI middleware: an unexpected exception in a request answers 500 with a JSON error, logged,
    and the connection stays open for the client's next request. (A handler for Exception on the app
    would answer the same, but Starlette re-raises after it, and the server then drops the
    connection, so a keep-alive client's next request would fail.)"""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        sending = _Sending(send)
        try:
            await self.app(scope, receive, sending)
        except TooLarge:  # BodyLimit, outside, answers it
            raise
        except Exception as error:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if sending.started:
                raise
            answer = JSONResponse(
                {
                    "error": redact(
                        f"Unexpected error ({type(error).__name__}: {error}); the server's log has the details."
                    )
                },
                status_code=500,
            )
            await answer(scope, receive, send)
