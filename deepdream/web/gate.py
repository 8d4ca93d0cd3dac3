"""In front of the studio (Gradio): what a call may name, checked before Gradio reads, copies or
decodes anything.

A POST's JSON body names files as Gradio FileData (any object with a "path"). Each must be a regular
file in the folder Gradio's uploads go to (Gradio's own check, `_check_allowed`, is skipped for an
app mounted in FastAPI, so without this `{"path": "/etc/passwd"}` would be copied into its cache and
served back), a picture in one of the formats deepdream reads whose header declares at most the
server's pixels (Gradio decodes an image input, the region editor's layers included, before the
render sees it), and a call names at most `MAX_FILES` files and a list of layers at most
`MAX_LAYERS`. A call to a function the page does not have is a JSON 404 (Gradio's own answer is a
text 500 that drops the connection).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.responses import JSONResponse

from ..images import READ_FORMATS, declared_size

#: The API's own POST routes (multipart pictures, never paths): not Gradio's, so not gated.
OWN_ROUTES = frozenset({"/api/dream", "/api/class", "/api/style"})
#: Layers of the region editor a call may send (it has 3, plus its background and composite).
MAX_LAYERS = 8
#: Files one call may name (the page's pictures, the editor's background, composite and layers).
MAX_FILES = 16
#: Gradio's routes that call a page function by its name: /gradio_api/<kind>/<name>.
CALL_ROUTES = ("call", "run", "api")
#: Gradio's routes the studio never uses that write outside its folder (a screen recording's video).
UNUSED_ROUTES = frozenset({"/gradio_api/process_recording"})


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class FileGate:
    """ASGI middleware in front of the studio (see the module): a POST naming a file not uploaded
    here is refused with 403, too many files or layers or a picture over `max_pixels` or in another
    format with 413 or 415, a call to no function of the page with 404, before Gradio sees it.
    calls: the names of the page's functions."""

    def __init__(self, app, uploads: Path, calls=(), max_pixels: int | None = None):
        self.app = app
        self.uploads = os.path.realpath(uploads)
        self.calls = frozenset(calls)
        self.max_pixels = max_pixels

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] in OWN_ROUTES:
            return await self.app(scope, receive, send)
        try:
            self.check_route(scope["path"])
        except Refused as refused:
            return await _answer(refused, scope, receive, send)
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            self.check_body(body)
        except Refused as refused:
            return await _answer(refused, scope, receive, send)

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    def check_route(self, path: str) -> None:
        if path.rstrip("/") in UNUSED_ROUTES:
            raise Refused(404, "The studio has no such route.")
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "gradio_api" and parts[1] in CALL_ROUTES:
            name = parts[3] if parts[2] == "v2" and len(parts) > 3 else parts[2]
            if name not in self.calls:
                shown = repr(name) if len(name) < 60 else repr(name[:40]) + "..."
                raise Refused(404, f"The studio has no function {shown}.")

    def check_body(self, body: bytes) -> None:
        """Refused (with its status and message) for the first thing the body names that may not go on."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return  # not JSON: nothing Gradio would take a file from
        stack, files, checked = [data], 0, set()
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                layers = item.get("layers")
                if isinstance(layers, list) and len(layers) > MAX_LAYERS:
                    raise Refused(413, f"A call may send at most {MAX_LAYERS} layers (got {len(layers):,}).")
                if "path" in item:
                    files += 1
                    if files > MAX_FILES:
                        raise Refused(413, f"A call may name at most {MAX_FILES} files.")
                    self.check_file(item["path"], checked)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    def check_file(self, path, checked: set) -> None:
        if not self.uploaded(path):
            text = repr(path)
            shown = text if len(text) < 80 else text[:60] + "...'"
            raise Refused(
                403,
                f"The file {shown} was not uploaded to this server; only pictures uploaded through the page "
                f"can be used.",
            )
        real = os.path.realpath(path)
        if real in checked:
            return
        checked.add(real)
        width, height = declared_size(real)
        name = Path(path).name
        if not width:
            raise Refused(415, f"'{name}' is not an image the studio reads (it reads {', '.join(READ_FORMATS)}).")
        if self.max_pixels and width * height > self.max_pixels:
            raise Refused(
                413,
                f"'{name}' is {width}x{height} pixels, over the {self.max_pixels / 1e6:g} megapixels this "
                f"server decodes; shrink it before uploading, or start the server with --max-side 0.",
            )

    def uploaded(self, path) -> bool:
        """Whether `path` is a regular file inside the uploads folder (links followed first)."""
        if not isinstance(path, str) or not path or "\0" in path:
            return False
        real = os.path.realpath(path)
        return real.startswith(self.uploads + os.sep) and os.path.isfile(real)


async def _answer(refused: Refused, scope, receive, send) -> None:
    await JSONResponse({"error": str(refused)}, status_code=refused.status)(scope, receive, send)
