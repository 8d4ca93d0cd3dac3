"""`deepdream serve`: the web studio and the HTTP API on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from ..web import HOST, PORT
from ..web.service import Limits


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="ADDRESS",
            help=f"Address to listen on: {HOST} is this machine only; 0.0.0.0 "
            "lets other machines in (every request then needs the token printed at start).",
        ),
    ] = HOST,
    port: Annotated[int, typer.Option("--port", metavar="N", help="Port to listen on.")] = PORT,
    max_side: Annotated[
        int,
        typer.Option(
            "--max-side",
            metavar="PIXELS",
            help="Longest side of a picture the server renders (after a request's "
            "own max-side; a class painting's size); 0: no limit.",
        ),
    ] = Limits.max_side,
    max_work: Annotated[
        float,
        typer.Option(
            "--max-work",
            metavar="MILLIONS",
            help="Budget of one render in millions of pixel-steps (pixels x steps "
            "over every octave; pixels x iterations for style); a request "
            "over it is refused at once. 0: no limit.",
        ),
    ] = Limits.max_work,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Longest a request may take, its wait in the queue included; then its render is stopped. 0: no limit.",
        ),
    ] = Limits.timeout,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TEXT",
            help="The token every request must carry (?token=, a cookie, or 'Authorization: token "
            "TEXT'). Default: none on 127.0.0.1; made at start, and printed, on any other --host.",
        ),
    ] = None,
) -> None:
    """Open the web studio and the HTTP API (POST /api/dream, /api/class, /api/style) at http://HOST:PORT/."""
    import dataclasses
    import math

    from ..errors import SettingsError
    from ..web import require_extra
    from ..web import serve as run

    require_extra()
    if not 0 < port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535 (got {port}).")
    for flag, value in (("--max-side", max_side), ("--max-work", max_work), ("--timeout", timeout)):
        if not math.isfinite(value) or value < 0:
            raise SettingsError(f"{flag} must be a number of at least 0 (0: no limit; got {value:g}).")
    if token is not None and (len(token) < 8 or not token.isprintable() or " " in token):
        raise SettingsError("--token must be at least 8 printable characters with no space.")
    _check_free(host, port)
    from ..web.service import Limits

    limits = Limits(max_side=max_side or None, max_work=max_work or None, timeout=timeout or None)
    if not max_side:  # no limit on the side: none on what is decoded either (beyond Pillow's own)
        limits = dataclasses.replace(limits, max_pixels=None)
    typer.echo(
        f"deepdream: starting the studio on http://{host}:{port}/ (loading the web framework and TensorFlow: "
        "a few seconds)",
        err=True,
    )
    run(host, port, limits=limits, token=token)


def _check_free(host: str, port: int) -> None:
    """A one-line error, before the slow start, when host:port cannot be listened on."""
    import socket

    from ..errors import SettingsError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise SettingsError(f"--host {host!r} is not an address of this machine ({e.strerror}).") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            raise SettingsError(
                f"Cannot listen on {host}:{port} ({e.strerror}); another server may be using it: pick another --port."
            ) from None
