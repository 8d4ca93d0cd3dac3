"""The server: one FastAPI app holding the HTTP API (`/api/...`) and the Gradio studio (`/`), and
`serve(host, port)` running it under uvicorn."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # never phone home

from fastapi import FastAPI  # noqa: E402

from .. import __version__  # noqa: E402
from .api import BodyLimit, install  # noqa: E402
from .service import MAX_UPLOAD_BYTES, Service  # noqa: E402


def create_app(service: Service | None = None, *, studio: bool = True, max_upload: int = MAX_UPLOAD_BYTES) -> FastAPI:
    """The app: the API on `service` (a new one by default) and, with `studio`, the page at `/`."""
    service = service or Service()
    app = FastAPI(title="deepdream", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.service = service
    app.add_middleware(BodyLimit, limit=max_upload)
    install(app, service)
    if studio:
        import gradio as gr

        from .studio import CSS, _theme, build

        outputs = Path(tempfile.mkdtemp(prefix="deepdream-studio-"))
        app.state.outputs = outputs
        gr.mount_gradio_app(app, build(service, outputs), path="/", allowed_paths=[str(outputs)],
                            max_file_size=max_upload, ssr_mode=False, theme=_theme(), css=CSS,
                            footer_links=[], show_error=True)
    return app


def serve(host: str = "127.0.0.1", port: int = 7860, *, log_level: str = "warning") -> None:
    """Run the studio and API until interrupted (Ctrl+C)."""
    import uvicorn

    from .._tf import quiet_tensorflow

    quiet_tensorflow()
    app = create_app()
    shown = f"[{host}]" if ":" in host else host
    print(f"deepdream studio on http://{shown}:{port}/  (API: /api/dream, /api/class, /api/style; "
          f"docs /api/docs; Ctrl+C to stop)", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        app.state.service.close()
