"""Who may talk to the server, checked before anything else reads a request (as Jupyter Server does for
a local server): the `Host` header must name this machine (DNS rebinding: a page of another site whose
name now points at 127.0.0.1 sends its own name as Host); a browser's `Origin`, where it sends one, must
be this server itself (a page of another site may not post forms, upload or open the WebSocket: a
multipart POST needs no CORS preflight); and, when the server listens beyond loopback, every request
carries the server's token: `?token=` in the address (then kept in a cookie), a cookie, or the header
`Authorization: token TOKEN`. A program sends no Origin, and is let through on the Host and token alone.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from urllib.parse import parse_qs, urlsplit

#: Names of this machine a browser may use to reach a loopback server.
#: Where `deepdream serve` listens unless told otherwise: this machine only, Gradio's usual port.
HOST, PORT = "127.0.0.1", 7860
LOOPBACK_NAMES = frozenset({"localhost", HOST, "::1"})
#: Addresses that mean every interface of the machine.
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
COOKIE = "deepdream-token"


def cookie_name(scope) -> str:
    """The token's cookie for the port the request reached: browsers share cookies across a
    machine's ports, so two servers on one machine each keep their own (as Jupyter names its)."""
    server = scope.get("server") or (None, None)
    return f"{COOKIE}-{server[1]}" if server[1] else COOKIE


def host_name(value: str) -> str:
    """The name in a Host header or an address, without its port or IPv6 brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps the server to this machine."""
    name = host_name(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Guard:
    """ASGI middleware, outermost: a request whose Host is not one of this machine's names, whose
    Origin is another site, or that lacks the token (where there is one) is answered 403 (a WebSocket:
    closed before it is accepted, which the client sees as 403) before any body is read."""

    def __init__(self, app, host: str = HOST, token: str | None = None):
        self.app, self.token = app, token
        listen = host_name(host)
        self.hosts = set(LOOPBACK_NAMES)
        # on every interface: any address (a name is what DNS rebinding needs) and the machine's own names
        self.any_address = listen in WILDCARDS
        if self.any_address:
            self.hosts |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        else:
            self.hosts.add(listen)

    def host_allowed(self, value: str) -> bool:
        name = host_name(value)
        return name in self.hosts or (self.any_address and _is_address(name))

    def refusal(self, scope) -> str | None:
        """Why the request is refused, in one sentence; None when it may go on."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        host = headers.get("host", "")
        if not self.host_allowed(host):
            return (
                f"This server answers only to the names of its machine, not {host[:80]!r}; open it as "
                f"http://127.0.0.1:PORT/ (or the address it printed)."
            )
        origin = headers.get("origin")
        if origin is not None and not _same_origin(origin, host):
            return f"A page of another site ({origin[:80]}) may not use this server; open the studio itself."
        if self.token and not self.token_given(scope, headers):
            return (
                "This server asks for its token: open the address it printed when it started "
                "(http://HOST:PORT/?token=...), or send the header 'Authorization: token TOKEN'."
            )
        return None

    def token_given(self, scope, headers: dict) -> bool:
        offered = [_query_token(scope)]
        kind, _, value = headers.get("authorization", "").partition(" ")
        if kind.lower() in ("token", "bearer"):
            offered.append(value.strip())
        for pair in headers.get("cookie", "").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == cookie_name(scope):
                offered.append(value)
        return any(o and secrets.compare_digest(o.encode(), self.token.encode()) for o in offered)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        why = self.refusal(scope)
        if why is not None:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await _refuse(send, why)
        query_token = _query_token(scope) if self.token else None
        if scope["type"] == "http" and query_token:  # the token from the address: kept in a cookie
            cookie = f"{cookie_name(scope)}={self.token}; Path=/; HttpOnly; SameSite=Lax".encode()

            async def with_cookie(message):
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
                await send(message)

            return await self.app(scope, receive, with_cookie)
        return await self.app(scope, receive, send)


def _same_origin(origin: str, host: str) -> bool:
    """Whether a browser's Origin is this server as the request reached it (scheme http or https,
    the same host and port as the Host header)."""
    parts = urlsplit(origin.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.netloc.lower() == host.strip().lower()


def _query_token(scope) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [""]
    return values[0]


async def _refuse(send, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
