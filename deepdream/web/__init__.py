"""The web studio and HTTP API (`deepdream serve`; the optional `web` extra: Gradio in a FastAPI app
under uvicorn).

    forms.py    form fields -> settings; settings -> the `deepdream ...` command (no web packages)
    service.py  uploads read safely, one render queue per backbone, cached Dreamers (no web packages)
    api.py      the HTTP API: /api/dream, /api/class, /api/style, /api/backbones, /api/layers
    studio.py   the Gradio page
    server.py   the app holding both, and `serve`
"""

from __future__ import annotations

from .._install import extra_hint
from ..errors import DeepDreamError
from .guard import HOST, PORT

#: What the web extra brings, by import name.
EXTRA_MODULES = ("fastapi", "gradio", "uvicorn", "multipart")
INSTALL_HINT = extra_hint("web")


def require_extra() -> None:
    """A DeepDreamError (one line, saying what to install) when a web package is missing."""
    import importlib.util

    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise DeepDreamError(f"The web studio needs the web extra ({', '.join(missing)} missing): {INSTALL_HINT}.")


def create_app(*args, **kwargs):
    """The FastAPI app with the API and the studio (see `server.create_app`)."""
    require_extra()
    from .server import create_app as make

    return make(*args, **kwargs)


def serve(host: str = HOST, port: int = PORT, **kwargs) -> None:
    """Run the studio and API on host:port until interrupted."""
    require_extra()
    from .server import serve as run

    run(host, port, **kwargs)


__all__ = ["create_app", "serve", "require_extra", "INSTALL_HINT", "HOST", "PORT"]
