"""The server: one FastAPI app holding the HTTP API (`/api/...`) and the Gradio studio (`/`), and
`serve(host, port)` running it under uvicorn.

Everything the server writes (uploads to the studio, its results) lies in one temporary folder of
its own, removed when it stops. The studio takes only pictures uploaded through this server: a
request naming any other file is refused (`FileGate`) before Gradio reads or copies anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # never phone home

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from .._version import __version__
from .api import BodyLimit, install
from .service import MAX_UPLOAD_BYTES, Limits, Service


def create_app(
    service: Service | None = None,
    *,
    studio: bool = True,
    max_upload: int = MAX_UPLOAD_BYTES,
    limits: Limits | None = None,
) -> FastAPI:
    """The app: the API on `service` (a new one with `limits` by default) and, with `studio`, the
    page at `/`. Its temporary folder (`app.state.folder`) is removed when the app shuts down."""
    from .._tf import quiet_tensorflow

    # TensorFlow whole before any request: the page's first calls (its layer list, a render) come in
    # on several threads at once, and two threads importing it together can break the import
    quiet_tensorflow()
    service = service or Service(limits=limits)
    folder = Path(tempfile.mkdtemp(prefix="deepdream-serve-"))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            yield
        finally:  # renders stop at their next step; nothing is left on disk
            service.close()
            shutil.rmtree(folder, ignore_errors=True)
            forget_folder(app, folder)

    app = FastAPI(
        title="deepdream",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.folder = folder
    service.scratch = folder
    install(app, service)
    from .live import install_live

    install_live(app, service)
    if studio:
        import gradio as gr

        uploads, outputs = folder / "uploads", folder / "outputs"
        uploads.mkdir()
        outputs.mkdir()
        app.state.uploads, app.state.outputs = uploads, outputs
        # Gradio's uploads and cache: read when the page is built and whenever Gradio makes a
        # component anew (an update), so it stays set while the app runs (the last app made wins).
        before = os.environ.get("GRADIO_TEMP_DIR")
        os.environ["GRADIO_TEMP_DIR"] = str(uploads)
        app.state.gradio_temp_before = before
        import gradio.routes

        if hasattr(gradio.routes, "DEFAULT_TEMP_DIR"):  # read once, at import: its folder of chat snapshots
            gradio.routes.DEFAULT_TEMP_DIR = str(uploads)
        from .studio import CSS, _theme, build

        gr.mount_gradio_app(
            app,
            build(service, outputs, uploads),
            path="/",
            allowed_paths=[str(outputs)],
            max_file_size=max_upload,
            ssr_mode=False,
            theme=_theme(),
            css=CSS,
            footer_links=[],
            show_error=True,
        )
        app.add_middleware(FileGate, uploads=uploads)
    app.add_middleware(BodyLimit, limit=max_upload)  # outermost: FileGate reads no body over the limit
    return app


def forget_folder(app: FastAPI, folder: Path) -> None:
    """Point GRADIO_TEMP_DIR back where it was, if it still names this app's (removed) uploads."""
    if os.environ.get("GRADIO_TEMP_DIR", "").startswith(str(folder)):
        before = getattr(app.state, "gradio_temp_before", None)
        if before is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = before


#: The API's own POST routes (multipart pictures, never paths): not Gradio's, so not gated.
OWN_ROUTES = frozenset({"/api/dream", "/api/class", "/api/style"})


class FileGate:
    """ASGI middleware in front of the studio: a POST whose JSON body names a file (a Gradio
    FileData: any object with a "path") outside the folder Gradio's uploads go to is refused with
    403 before Gradio reads or copies it. Gradio's own check (`_check_allowed`) is skipped for an
    app mounted in FastAPI, so without this `{"path": "/etc/passwd"}` would be copied into its cache
    and served back."""

    def __init__(self, app, uploads: Path):
        self.app = app
        self.uploads = os.path.realpath(uploads)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] in OWN_ROUTES:
            return await self.app(scope, receive, send)
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        refused = self.refused(body)
        if refused is not None:
            answer = JSONResponse(
                {
                    "error": f"The file {refused} was not uploaded to this server; only pictures "
                    f"uploaded through the page can be used."
                },
                status_code=403,
            )
            return await answer(scope, receive, send)

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    def refused(self, body: bytes) -> str | None:
        """The first path the body names that is not an uploaded file (quoted, cut), or None."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON: nothing Gradio would take a file from
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if "path" in item and not self.uploaded(item["path"]):
                    text = repr(item["path"])
                    return text if len(text) < 80 else text[:60] + "...'"
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return None

    def uploaded(self, path) -> bool:
        """Whether `path` is a regular file inside the uploads folder (links followed first)."""
        if not isinstance(path, str) or not path or "\0" in path:
            return False
        real = os.path.realpath(path)
        return real.startswith(self.uploads + os.sep) and os.path.isfile(real)


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    log_level: str = "warning",
    limits: Limits | None = None,
    grace: float = 3.0,
) -> None:
    """Run the studio and API until interrupted (Ctrl+C): open requests get `grace` seconds, then
    every render is cancelled and the process ends."""
    import uvicorn

    from .._tf import quiet_tensorflow

    quiet_tensorflow()
    app = create_app(limits=limits)
    scratch = app.state.folder / "tmp"  # what else this process writes to a temporary file (TensorFlow's
    scratch.mkdir()  # autograph sources, ...) lands in the server's folder, and goes with it
    tempfile.tempdir = str(scratch)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"deepdream studio on http://{shown}:{port}/  (API: /api/dream, /api/class, /api/style; "
        f"live: /live, WebSocket /api/live; docs /api/docs; Ctrl+C to stop)",
        flush=True,
    )
    import importlib.util

    if not any(importlib.util.find_spec(name) for name in ("websockets", "wsproto")):
        from .._install import extra_hint

        print(
            f"note: the Live tab and /api/live need a WebSocket package (websockets): {extra_hint('web')}.", flush=True
        )
    service = app.state.service

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):  # Ctrl+C: renders stop now, not after the open requests
            service.close()
            super().handle_exit(sig, frame)

    try:
        # ws_per_message_deflate off: the live frames are JPEG or PNG already; deflating them again
        # only costs CPU on both sides
        Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level=log_level,
                timeout_graceful_shutdown=grace,
                ws_per_message_deflate=False,
            )
        ).run()
    finally:
        service.close()
        shutil.rmtree(app.state.folder, ignore_errors=True)
        forget_folder(app, app.state.folder)
    if service.busy():  # a render in the middle of one long step: its thread is a daemon; do not wait
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
