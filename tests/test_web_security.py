"""Security II (issue 31), through a real server (uvicorn on 127.0.0.1) and real requests: no page of
another site and no rebound name can drive the server, beyond loopback every request carries the
token, memory is bounded before anything decodes, every step is paid for, and the small holes are
one-line errors."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install '.[web]'")
httpx = pytest.importorskip("httpx", reason="httpx (installed with gradio) is needed to call the API")

from conftest import ROOT, free_port  # noqa: E402
from PIL import Image  # noqa: E402
from test_web_api import Running, small_png  # noqa: E402
from test_web_limits import file_data, studio_values  # noqa: E402

TINY = {"steps": "1", "octaves": "1"}
EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def app():
    from deepdream.web import create_app

    made = create_app()
    running = Running(made)
    made.state.url = running.url
    made.state.port = running.address[1]
    yield made
    running.stop()


@pytest.fixture(scope="module")
def client(app):
    with httpx.Client(base_url=app.state.url, timeout=300) as c:
        yield c


def solid_png(width: int, height: int, mode: str = "1") -> bytes:
    """A picture whose header declares width x height, made small (one bit a pixel, all black)."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "cat.png") -> str:
    """A file sent to Gradio's upload route as the page sends it; its path on the server."""
    answer = client.post("/gradio_api/upload", files={"files": (name, data, "image/png")})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


def handshake(port: int, host: str, origin: str | None = None, extra: str = "") -> str:
    """The status line of a WebSocket opening request to /api/live with these headers (a raw socket:
    a client library would write its own Host)."""
    lines = [
        "GET /api/live HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    if extra:
        lines.append(extra)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0]


# ------------------------------------------------------------------- item 1: Host, Origin, token


def test_a_page_of_another_site_is_refused_on_every_route_that_spends_work(app, client):
    service = app.state.service
    before = dict(service._cache)
    uploads = sorted(app.state.uploads.rglob("*"))
    evil = {"Origin": EVIL}
    image = {"image": ("cat.png", small_png(), "image/png")}
    answers = [
        client.post("/api/dream", data=TINY, files=image, headers=evil),
        client.post("/api/class", data={**TINY, "class": "lemon", "size": "64x64"}, headers=evil),
        client.post("/api/style", data=TINY, files={**image, "style": ("s.png", small_png())}, headers=evil),
        client.post("/gradio_api/upload", files={"files": ("cat.png", small_png(), "image/png")}, headers=evil),
        client.post("/gradio_api/call/render", json={"data": studio_values(None)}, headers=evil),
        client.post("/gradio_api/queue/join", json={"data": [], "fn_index": 0}, headers=evil),
        client.get("/api/layers", headers=evil),
        client.post("/api/dream", data=TINY, files=image, headers={"Origin": "null"}),
    ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"].startswith("A page of another site (")
    assert dict(service._cache) == before  # nothing was prepared, so nothing rendered
    assert sorted(app.state.uploads.rglob("*")) == uploads  # nothing was uploaded
    assert handshake(app.state.port, f"127.0.0.1:{app.state.port}", EVIL).startswith("HTTP/1.1 403")


def test_the_servers_own_page_and_programs_without_an_origin_are_served(app, client):
    own = {"Origin": app.state.url}
    answer = client.post("/api/dream", data=TINY, files={"image": ("cat.png", small_png(), "image/png")}, headers=own)
    assert answer.status_code == 200
    assert upload(client, small_png()).startswith(str(app.state.uploads))  # the page's upload, no Origin
    assert client.get("/").status_code == 200
    port = app.state.port
    for host in (f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
        assert client.get("/api/backbones", headers={"Host": host}).status_code == 200, host
    assert handshake(port, f"127.0.0.1:{port}", app.state.url).startswith("HTTP/1.1 101")


def test_a_rebound_name_is_refused_even_with_its_own_origin(app, client):
    """DNS rebinding: the attacker's name now points at 127.0.0.1; its page sends its name as Host."""
    port = app.state.port
    rebound = f"rebind.attacker.test:{port}"
    for method, path in (("GET", "/"), ("GET", "/api/backbones"), ("POST", "/api/dream")):
        answer = client.request(method, path, headers={"Host": rebound, "Origin": f"http://{rebound}"})
        assert answer.status_code == 403, (path, answer.text)
        assert "answers only to the names of its machine" in answer.json()["error"]
    assert handshake(port, rebound, f"http://{rebound}").startswith("HTTP/1.1 403")


def test_beyond_loopback_every_request_carries_the_token():
    from deepdream.web import create_app
    from deepdream.web.guard import COOKIE

    token = "a-token-for-the-tests"
    made = create_app(studio=False, host="0.0.0.0", token=token)
    running = Running(made)
    port = running.address[1]
    try:
        with httpx.Client(base_url=running.url, timeout=120) as c:
            refused = c.get("/api/backbones")
            assert refused.status_code == 403 and "asks for its token" in refused.json()["error"]
            assert c.get("/api/backbones", params={"token": "wrong-token"}).status_code == 403
            assert c.get("/api/backbones", headers={"Authorization": f"token {token}"}).status_code == 200
            assert handshake(port, f"127.0.0.1:{port}").startswith("HTTP/1.1 403")
            given = c.get("/live", params={"token": token})  # the address printed at start
            assert given.headers["set-cookie"].startswith(f"{COOKIE}-{port}={token};"), given.headers
            assert given.status_code == 200
            assert "HttpOnly" in given.headers["set-cookie"]
            assert c.get("/api/backbones").status_code == 200  # the cookie carries it from now on
            other_port = httpx.get(running.url + "/api/backbones", headers={"Cookie": f"{COOKIE}-1={token}"})
            assert other_port.status_code == 403  # the cookie of a server on another port is not this one's
            cookie = f"Cookie: {COOKIE}-{port}={token}"
            assert handshake(port, f"127.0.0.1:{port}", extra=cookie).startswith("HTTP/1.1 101")
            # on every interface, any address of the machine may be its Host; a name only its own
            assert c.get("/api/backbones", headers={"Host": f"192.0.2.7:{port}"}).status_code == 200
            assert c.get("/api/backbones", headers={"Host": f"rebind.attacker.test:{port}"}).status_code == 403
    finally:
        running.stop()


@pytest.mark.slow  # `deepdream serve` as a user starts it
def test_serve_beyond_loopback_prints_a_token_and_a_warning_and_keeps_keras_home(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, PYTHONUNBUFFERED="1", HOME=str(home), TMPDIR=str(tmp_path))
    env.pop("KERAS_HOME", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "serve", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert server.stdout.readline().startswith("deepdream: starting the studio on http://0.0.0.0:")
        first, second = server.stdout.readline(), server.stdout.readline()
        assert "deepdream studio on http://" in first and "/?token=" in first, first
        token = first.split("?token=", 1)[1].split()[0]
        assert second.startswith("warning: --host 0.0.0.0 lets other machines reach this server")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = httpx.get(url + "/api/backbones", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert answer.status_code == 403
        with httpx.Client(base_url=url, timeout=120) as c:
            assert c.get("/", params={"token": token}).status_code == 200
            dreamt = c.post("/api/dream", data=TINY, files={"image": ("c.png", small_png(), "image/png")})
            assert dreamt.status_code == 200, dreamt.text
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not (home / ".keras").exists()  # Keras kept its config in the server's folder
    assert list(tmp_path.iterdir()) == [home]  # and that folder went with the server


# ------------------------------------------------------------------- items 2 and 3: bounded decoding


def test_huge_guides_are_charged_before_they_are_decoded(client):
    guide = solid_png(7000, 7000)  # 49 megapixels declared, 60 kB sent
    answer = client.post(
        "/api/dream",
        data={**TINY, "max-side": "64"},
        files=[("image", ("cat.png", small_png(), "image/png"))] + [("guide", (f"g{i}.png", guide)) for i in range(4)],
    )
    assert answer.status_code == 413, answer.text
    message = answer.json()["error"]
    assert message.startswith(
        "This render is about 196 million pixel-steps (64x48, 1 octave of 1 step, 196 million pixels of "
        "pictures to decode)"
    )
    assert "over this server's budget of 150 million" in message and "\n" not in message


def test_a_guide_is_kept_at_the_size_the_render_uses_it(app, client):
    service = app.state.service
    guide = io.BytesIO()
    Image.open(ROOT / "samples" / "chelsea.png").convert("RGB").resize((3000, 2000)).save(guide, format="PNG")
    answer = client.post(
        "/api/dream",
        data={**TINY, "max-side": "64"},
        files=[("image", ("cat.png", small_png(), "image/png")), ("guide", ("big.png", guide.getvalue()))],
    )
    assert answer.status_code == 200, answer.text
    guided = [d for d in service._cache.values() if d.settings.guide]
    assert guided and all(max(g.rgb.shape[:2]) <= 512 for d in guided for g in d.settings.guide)


def test_region_layers_are_capped_and_checked_in_their_header_before_gradio_decodes(app, client):
    picture = upload(client, small_png())
    huge = upload(client, solid_png(9000, 9000, "LA"), "layer.png")  # 81 megapixels, a few kB
    editor = {"background": file_data(picture), "layers": [file_data(picture)] * 9, "composite": file_data(picture)}
    answer = client.post("/gradio_api/call/render", json={"data": studio_values(file_data(picture), regions=editor)})
    assert answer.status_code == 413 and answer.json() == {"error": "A call may send at most 8 layers (got 9)."}
    editor["layers"] = [file_data(huge)]
    answer = client.post("/gradio_api/call/render", json={"data": studio_values(file_data(picture), regions=editor)})
    assert answer.status_code == 413
    assert answer.json()["error"] == (
        "'layer.png' is 9000x9000 pixels, over the 50 megapixels this server decodes; shrink it before "
        "uploading, or start the server with --max-side 0."
    )


# ------------------------------------------------------------------- item 4: every step is paid for


@pytest.mark.parametrize(
    ("route", "fields", "files", "words"),
    [
        (
            "/api/dream",
            {"steps": "10000", "octaves": "3", "octave-scale": "1.0000001"},
            {"image": ("c.png", solid_png(64, 64, "RGB"), "image/png")},
            "This render is about 369 million pixel-steps (64x64, 3 octaves of 10000 steps)",
        ),
        (
            "/api/style",
            {"iterations": "10000", "scales": "1"},
            {"image": ("c.png", solid_png(64, 64, "RGB")), "style": ("s.png", solid_png(64, 64, "RGB"))},
            "This render is about 369 million pixel-steps (64x64, 1 scale of 10000 iterations)",
        ),
    ],
)
def test_many_steps_on_a_tiny_picture_are_over_the_budget(client, route, fields, files, words):
    answer = client.post(route, data=fields, files=files)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"].startswith(words)


# ------------------------------------------------------------------- item 5: small holes


def test_a_huge_octave_scale_is_a_json_400(client):
    answer = client.post(
        "/api/dream",
        data={"octave-scale": "1e10", "octaves": "32"},
        files={"image": ("c.png", small_png(), "image/png")},
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "--octave-scale must be at most 4 (got 1e+10). 1.4 is a good start."}


def test_a_call_to_no_function_of_the_studio_is_a_json_404_and_the_connection_stays(client):
    answer = client.post("/gradio_api/call/nope", json={"data": []})
    assert answer.status_code == 404 and answer.json() == {"error": "The studio has no function 'nope'."}
    assert client.get("/api/backbones").status_code == 200  # the same keep-alive connection goes on


@pytest.mark.parametrize("fmt", ["EPS", "ICO", "TGA", "PCX"])
def test_only_the_documented_formats_are_decoded(client, tmp_path, fmt):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buffer, format=fmt)
    answer = client.post("/api/dream", data=TINY, files={"image": (f"c.{fmt.lower()}", buffer.getvalue())})
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        f"'c.{fmt.lower()}' is not an image deepdream can read (it reads PNG, JPEG, WebP, TIFF, BMP and GIF)."
    )


def live(app, **options):
    from websockets.sync.client import connect

    return connect(app.state.url.replace("http://", "ws://") + "/api/live", open_timeout=30, **options)


def test_live_settings_out_of_bounds_or_nested_deep_are_one_line_errors(app):
    with live(app) as ws:
        ws.send(json.dumps({"octave-scale": 1e10, "octaves": 32}))
        said = json.loads(ws.recv(timeout=60))["error"]
        assert said.startswith("--octave-scale must be at most 4") and "Unexpected" not in said
        ws.send("[" * 20000 + "]" * 20000)
        said = json.loads(ws.recv(timeout=60))["error"]
        assert said == "Live settings are a flat JSON object of options; that message is nested too deeply."
        ws.send(json.dumps({"steps": 1, "octaves": 1}))
        assert "settings" in json.loads(ws.recv(timeout=120))  # the stream goes on


def test_a_socket_that_sends_no_settings_is_closed_and_frees_its_slot():
    from websockets.exceptions import ConnectionClosed

    from deepdream.web import create_app
    from deepdream.web import live as live_module
    from deepdream.web.service import Limits

    assert Limits().hello == 5.0
    made = create_app(studio=False, limits=Limits(hello=1.0))  # a second to wait, not the default five
    running = Running(made)
    made.state.url = running.url
    idle = [live(made) for _ in range(live_module.MAX_STREAMS)]
    try:
        for ws in idle:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=60)
            assert ws.close_code == 1008 and ws.close_reason == "no settings message within 1 s"
        with live(made) as ws:  # every slot is free again
            ws.send(json.dumps({"steps": 1, "octaves": 1}))
            assert "settings" in json.loads(ws.recv(timeout=120))
    finally:
        for ws in idle:
            ws.close()
        running.stop()


def _listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.slow  # `deepdream serve` in a process of its own, as a user starts and stops it
@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux's /proc/net/tcp to see the bound address")
def test_serve_from_its_first_line_to_ctrl_c_with_a_stream_and_renders_in_flight(tmp_path):
    """One server's life (a start costs seconds, so one process serves every check): the first line
    says that it starts and where, before anything answers; once loaded it says where it is, listens
    on 127.0.0.1 only and serves the studio page; Ctrl-C with a studio render, a Live stream and an
    API render in flight stops it within seconds, with no traceback, its folder gone, the API's client
    answered 503 (or cut off) and the studio's told why."""
    import signal
    import threading

    from test_web_limits import ENDLESS, png
    from websockets.sync.client import connect

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(tmp_path))
    command = [sys.executable, "-m", "deepdream", "serve", "--port", str(port), "--max-work", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    said: list[str] = []
    try:
        said.append(server.stdout.readline())
        assert said[0].startswith(f"deepdream: starting the studio on {url}/"), said
        with pytest.raises(OSError):  # still loading: nothing answers yet
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        while "Ctrl+C" not in said[-1] and said[-1] and len(said) < 20:  # until the address line
            said.append(server.stdout.readline())
        assert f"deepdream studio on {url}/" in said[-1] and "Ctrl+C" in said[-1], said
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(url + "/api/backbones", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and nothing else (no 0.0.0.0, no ::)
        with httpx.Client(base_url=url, timeout=300) as c, connect(url.replace("http", "ws") + "/api/live") as ws:
            assert c.get("/").status_code == 200  # the studio page
            tiny = c.post("/api/dream", data=TINY, files={"image": ("c.png", png(64, 48), "image/png")})
            assert tiny.status_code == 200  # a whole render first: TensorFlow writes its traced sources then
            assert list(tmp_path.glob("deepdream-serve-*"))
            picture = upload(c, small_png())
            values = studio_values(file_data(picture), steps=400, backbone="efficientnet-lite2")
            event = c.post("/gradio_api/call/render", json={"data": values}).json()["event_id"]
            heard: list[str] = []
            answers: list = []

            def listen():
                with httpx.stream("GET", f"{url}/gradio_api/call/render/{event}", timeout=300) as answer:
                    heard.extend(answer.iter_lines())

            def post():
                try:
                    files = {"image": ("c.png", png(64, 48), "image/png")}
                    answers.append(httpx.post(url + "/api/dream", data=ENDLESS, timeout=120, files=files))
                except httpx.TransportError as e:
                    answers.append(e)

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            ws.send(json.dumps({"steps": 2000, "octaves": 1}))  # queued behind the studio's render
            while not any("step" in line for line in heard):  # the studio's render runs
                assert server.poll() is None and listener.is_alive()
                time.sleep(0.1)
            poster = threading.Thread(target=post, daemon=True)
            poster.start()
            ws.send(solid_png(64, 48, "RGB"))
            time.sleep(0.5)
            assert server.poll() is None and not answers
            start = time.monotonic()
            server.send_signal(signal.SIGINT)
            output, _ = server.communicate(timeout=60)
            stopped = time.monotonic() - start
            listener.join(30)
            poster.join(30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert stopped < 10, stopped
    assert "Traceback" not in output and "CancelledError" not in output, output
    assert list(tmp_path.iterdir()) == []  # its folder went with it, and nothing was written elsewhere
    assert answers and (isinstance(answers[0], Exception) or answers[0].status_code == 503), answers
    errors = [line for line in heard if line.startswith("data: {")]
    # the stream may end before the server's last word reaches it; what it says is never {"error": ""}
    assert all(json.loads(line[6:]).get("error") for line in errors), heard


def test_the_studios_guide_is_charged_first_and_kept_at_the_size_the_render_uses_it(tmp_path):
    import gradio as gr

    from deepdream.web.service import Limits, Service
    from deepdream.web.studio_render import make_render

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "cat.png").write_bytes(small_png())
    (uploads / "huge.png").write_bytes(solid_png(7000, 7000))
    Image.open(ROOT / "samples" / "chelsea.png").convert("RGB").resize((3000, 2000)).save(uploads / "big.png")
    service = Service(limits=Limits(max_work=40))
    try:
        render = make_render(service, tmp_path, uploads)
        cat, page = str(uploads / "cat.png"), dict(mode="guided dream", max_side=64)
        with pytest.raises(gr.Error) as over:  # 49 megapixels to decode: over a budget of 40 million
            list(render(*studio_values(cat, guide_picture=str(uploads / "huge.png"), **page)))
        assert "49 million pixels of pictures to decode" in over.value.message
        updates = list(render(*studio_values(cat, guide_picture=str(uploads / "big.png"), **page)))
        assert updates[-1][1].startswith("Done: 64x48")
    finally:
        service.close()
    guided = [d for d in service._cache.values() if d.settings.guide]
    assert guided and all(max(g.rgb.shape[:2]) <= 512 for d in guided for g in d.settings.guide)
