"""The server: one FastAPI app holding the HTTP API (`/api/...`) and the Gradio studio (`/`), and
`serve(host, port)` running it under uvicorn.

Every request passes the `Guard` first (this machine's Host names, no other site's Origin, the token
beyond loopback). Everything the server writes (uploads to the studio, its results, Keras's config
where it has none) lies in one temporary folder of its own, removed when it stops. The studio takes
only pictures uploaded through this server, checked in their headers: a request naming any other
file is refused (`FileGate`) before Gradio reads, copies or decodes anything. Importing this module
changes nothing; what the server configures (Gradio's folder, KERAS_HOME) it sets when it starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

from fastapi import FastAPI

from .._version import __version__
from .api import BodyLimit, install
from .gate import FileGate
from .guard import HOST, PORT, Guard
from .service import Limits, Service
from .uploads import MAX_UPLOAD_BYTES


def create_app(
    service: Service | None = None,
    *,
    studio: bool = True,
    max_upload: int = MAX_UPLOAD_BYTES,
    limits: Limits | None = None,
    host: str = HOST,
    token: str | None = None,
    folder: Path | None = None,
) -> FastAPI:
    """The app: the API on `service` (a new one with `limits` by default) and, with `studio`, the
    page at `/`, behind the `Guard` (the Host names of this machine and `host`; no other site's
    Origin; `token` on every request where one is given). Its temporary folder (`app.state.folder`:
    `folder`, or a new one) is removed when the app shuts down."""
    from .._tf import quiet_tensorflow

    # TensorFlow whole before any request: the page's first calls (its layer list, a render) come in
    # on several threads at once, and two threads importing it together can break the import
    quiet_tensorflow()
    service = service or Service(limits=limits)
    folder = folder or Path(tempfile.mkdtemp(prefix="deepdream-serve-"))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            yield
        finally:  # renders stop at their next step; nothing is left on disk
            service.close()
            shutil.rmtree(folder, ignore_errors=True)
            if getattr(app.state, "gradio_folder", None) is not None:
                app.state.gradio_folder.restore()

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
        uploads, outputs = folder / "uploads", folder / "outputs"
        uploads.mkdir()
        outputs.mkdir()
        app.state.uploads, app.state.outputs = uploads, outputs
        app.state.gradio_folder = GradioFolder(uploads)  # before Gradio is imported, where it is not yet
        import gradio as gr

        from .studio import _theme, build
        from .studio_session import CSS

        page = build(service, outputs, uploads)
        calls = {fn.api_name for fn in page.fns.values() if isinstance(fn.api_name, str)}
        gr.mount_gradio_app(
            app,
            page,
            path="/",
            allowed_paths=[str(outputs)],
            max_file_size=max_upload,
            ssr_mode=False,
            theme=_theme(),
            css=CSS,
            footer_links=[],
            show_error=True,
        )
        app.add_middleware(FileGate, uploads=uploads, calls=calls, max_pixels=service.limits.max_pixels)
    app.add_middleware(BodyLimit, limit=max_upload)  # FileGate reads no body over the limit
    app.add_middleware(Guard, host=host, token=token)  # outermost: nothing is read for a refused request
    return app


class GradioFolder:
    """Gradio's temporary folder pointed at the app's uploads while it runs, and put back after.
    Gradio takes it from GRADIO_TEMP_DIR (its documented setting), read when a page is built, when
    a component is made anew and when a result is cached, so it is set from the app's start to its
    end; `gradio.routes` reads it once, when first imported (its folder of chat snapshots, made for
    every app), so it is set before that import, and only where Gradio was imported earlier in this
    process (another app) is that module's copy pointed here too: Gradio has no setting for it."""

    def __init__(self, folder: Path):
        import sys

        self.folder = str(folder)
        self.before = os.environ.get("GRADIO_TEMP_DIR")
        os.environ["GRADIO_TEMP_DIR"] = self.folder
        earlier = "gradio.routes" in sys.modules
        import gradio.routes

        self.routes_before = getattr(gradio.routes, "DEFAULT_TEMP_DIR", None) if earlier else None
        if self.routes_before is not None:
            gradio.routes.DEFAULT_TEMP_DIR = self.folder

    def restore(self) -> None:
        """Both back as they were, where they still name this app's folder."""
        import gradio.routes

        if os.environ.get("GRADIO_TEMP_DIR") == self.folder:
            if self.before is None:
                os.environ.pop("GRADIO_TEMP_DIR", None)
            else:
                os.environ["GRADIO_TEMP_DIR"] = self.before
        if self.routes_before is not None and self.folder == gradio.routes.DEFAULT_TEMP_DIR:
            gradio.routes.DEFAULT_TEMP_DIR = self.routes_before


def serve(
    host: str = HOST,
    port: int = PORT,
    *,
    log_level: str = "warning",
    limits: Limits | None = None,
    grace: float = 3.0,
    token: str | None = None,
) -> None:
    """Run the studio and API until interrupted (Ctrl+C): open requests get `grace` seconds, then
    every render is cancelled and the process ends. Beyond loopback every request needs `token`
    (made here when none is given; printed in the address)."""
    import uvicorn

    from .._tf import quiet_tensorflow
    from .guard import is_loopback, new_token

    if token is None and not is_loopback(host):
        token = new_token()
    folder = Path(tempfile.mkdtemp(prefix="deepdream-serve-"))
    keras_home = _own_keras_home(folder)  # before Keras is imported: it writes its config into its home
    try:
        quiet_tensorflow()
        app = create_app(limits=limits, host=host, token=token, folder=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    scratch = app.state.folder / "tmp"  # what else this process writes to a temporary file (TensorFlow's
    scratch.mkdir()  # autograph sources, ...) lands in the server's folder, and goes with it
    tempfile.tempdir = str(scratch)
    _announce(host, port, token)
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
        if getattr(app.state, "gradio_folder", None) is not None:
            app.state.gradio_folder.restore()
        if keras_home is not None:
            os.environ.pop("KERAS_HOME", None)
    if service.busy():  # a render in the middle of one long step: its thread is a daemon; do not wait
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _announce(host: str, port: int, token: str | None) -> None:
    """The lines `serve` starts with: the address (with the token), a warning beyond loopback, and a
    note where the WebSocket package is missing."""
    from .guard import WILDCARDS, is_loopback

    named = socket.gethostname() if host in WILDCARDS else host
    shown = f"[{named}]" if ":" in named else named
    print(
        f"deepdream studio on http://{shown}:{port}/{'?token=' + token if token else ''}  (API: /api/dream, "
        f"/api/class, /api/style; live: /live, WebSocket /api/live; docs /api/docs; Ctrl+C to stop)",
        flush=True,
    )
    if not is_loopback(host):
        print(
            f"warning: --host {host} lets other machines reach this server; every request must carry its "
            f"token (in the address above, or the header 'Authorization: token TOKEN'): keep it secret.",
            flush=True,
        )
    import importlib.util

    if not any(importlib.util.find_spec(name) for name in ("websockets", "wsproto")):
        from .._install import extra_hint

        print(
            f"note: the Live tab and /api/live need a WebSocket package (websockets): {extra_hint('web')}.", flush=True
        )


def _own_keras_home(folder: Path) -> Path | None:
    """Where Keras is to keep its config while the server runs: `folder`/keras, in the server's
    own folder (KERAS_HOME; returned) when Keras, imported here, would otherwise create its home
    or write `keras.json` there; None when KERAS_HOME is set, Keras is imported already, or its home
    holds a config (read, not written) or downloaded models (looked up there)."""
    import sys

    if "KERAS_HOME" in os.environ or "keras" in sys.modules:
        return None
    base = os.path.expanduser("~")  # keras.src.backend.config's choice
    home = Path(base if os.access(base, os.W_OK) else "/tmp") / ".keras"
    if (home / "keras.json").exists() or (home / "models").exists():
        return None
    own = folder / "keras"
    own.mkdir()
    os.environ["KERAS_HOME"] = str(own)
    return own
