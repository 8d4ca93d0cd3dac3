"""The HTTP API through a real server (uvicorn on 127.0.0.1, a free port, in a thread), and
`deepdream serve` as a user runs it. Every render is tiny (64x48, one octave, one or two steps)."""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install '.[web]'")
httpx = pytest.importorskip("httpx", reason="httpx (installed with gradio) is needed to call the API")

from conftest import SAMPLES, cli, run_cli  # noqa: E402
from PIL import Image  # noqa: E402
from test_web_forms import bomb_png, png_of  # noqa: E402

TINY = {"steps": "1", "octaves": "1"}


class Running:
    """A uvicorn server for `app` on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app):
        import uvicorn

        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        self.address = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://127.0.0.1:{self.address[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(1)
        if self.thread.is_alive():  # a browser's keep-alive or event stream still open: do not wait on it
            self.server.force_exit = True
            self.thread.join(30)
        self.app.state.service.close()


@pytest.fixture(scope="module")
def server():
    from deepdream.web import create_app

    running = Running(create_app())
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=300) as c:
        yield c


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((64, 48), Image.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()


def dream(client, data=None, name="cat.png", **fields):
    form = {**TINY, **fields}
    return client.post(
        "/api/dream", files={"image": (name, data if data is not None else small_png(), "image/png")}, data=form
    )


def metadata(response) -> dict:
    image = Image.open(io.BytesIO(response.content))
    return json.loads(image.text["deepdream"])


def test_dream_answers_a_png_of_the_right_size_carrying_its_settings(client):
    response = dream(client, seed="3", layer=["block5a_expand", "block4a_expand=0.5"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert "render;dur=" in response.headers["server-timing"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (64, 48)
    meta = metadata(response)
    assert meta["mode"] == "dream" and meta["input"] == "cat.png"
    settings = meta["settings"]
    assert settings["steps"] == 1 and settings["octaves"] == 1 and settings["seed"] == 3
    assert settings["layers"] == ["block5a_expand", "block4a_expand=0.5"]


def test_repeated_requests_reuse_the_prepared_dreamer_and_seeds_matter(client, server):
    service = server.app.state.service
    first = dream(client, seed="11")
    prepared = dict(service._cache)
    again = dream(client, seed="11")
    other = dream(client, seed="12")
    assert dict(service._cache) == prepared  # the same prepared dreamer, not a new one
    assert first.status_code == again.status_code == other.status_code == 200
    assert Image.open(io.BytesIO(first.content)).tobytes() == Image.open(io.BytesIO(again.content)).tobytes()
    assert Image.open(io.BytesIO(first.content)).tobytes() != Image.open(io.BytesIO(other.content)).tobytes()


def test_three_concurrent_requests_all_succeed(server):
    def one(seed):
        with httpx.Client(base_url=server.url, timeout=300) as c:
            return dream(c, seed=str(seed), steps="2")

    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(one, [21, 22, 23]))
    assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
    assert [metadata(r)["settings"]["seed"] for r in responses] == [21, 22, 23]
    assert all(Image.open(io.BytesIO(r.content)).size == (64, 48) for r in responses)


def test_a_text_file_as_the_image_is_a_json_400_and_the_server_goes_on(client):
    response = dream(client, data=b"not a picture, just words\n", name="notes.txt")
    assert response.status_code == 400
    assert response.json() == {
        "error": "'notes.txt' is not an image deepdream can read (it reads PNG, JPEG, WebP, TIFF, BMP and GIF)."
    }
    assert dream(client).status_code == 200


def test_a_bad_option_gets_the_cli_message_as_json(client, tmp_path):
    response = dream(client, steps="0")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error == "--steps must be at least 1 (got 0)."
    command = cli("dream", SAMPLES / "chelsea.png", "--steps", "0", "-o", tmp_path / "x.png")
    assert command.returncode == 2
    assert command.stderr.strip().splitlines() == [f"deepdream: error: {error}"]
    unknown_layer = dream(client, layer="block9_nope")
    assert unknown_layer.status_code == 400 and "block9_nope" in unknown_layer.json()["error"]


@pytest.mark.parametrize(
    "fields, files, status, words",
    [
        ({"guide": "/etc/passwd"}, {}, 400, "--guide names a file on the server"),
        ({"weights": "/etc/passwd"}, {}, 400, "--weights names a file on the server"),
        ({"class": "golden retrievr"}, {}, 400, "Did you mean 'golden retriever'"),
        ({}, {"image": ("bomb.png", bomb_png(), "image/png")}, 400, "over the safe limit"),
        (
            {},
            {"image": ("big.png", b"\0" * (26 * 2**20), "image/png")},
            413,
            "The upload is too large; the limit is 25 MB",
        ),
        ({}, None, 400, "Upload one picture to dream on as the file field 'image'."),
    ],
)
def test_bad_requests_answer_json_4xx(client, fields, files, status, words):
    if files == {}:
        files = {"image": ("cat.png", small_png(), "image/png")}
    response = client.post("/api/dream", data={**TINY, **fields}, files=files)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert "Traceback" not in response.text


def test_a_body_sent_in_chunks_is_cut_off_at_the_limit(client):
    def chunks():
        yield b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'
        for _ in range(27):
            yield b"\0" * 2**20

    response = client.post("/api/dream", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and "too large" in response.json()["error"]
    assert dream(client).status_code == 200


def test_guide_and_mask_are_taken_as_uploaded_files(client):
    white = io.BytesIO()
    Image.new("L", (64, 48), 255).save(white, format="PNG")
    response = client.post(
        "/api/dream",
        data={**TINY, "layer": "block5a_expand"},
        files=[
            ("image", ("cat.png", small_png(), "image/png")),
            ("guide", ("bricks.png", (SAMPLES / "brick.png").read_bytes(), "image/png")),
            ("mask", ("where.png", white.getvalue(), "image/png")),
        ],
    )
    assert response.status_code == 200, response.text
    meta = metadata(response)
    assert meta["guides"] == ["bricks.png"] and meta["mask"] == "where.png"
    black = io.BytesIO()
    Image.new("L", (64, 48), 0).save(black, format="PNG")
    refused = client.post(
        "/api/dream",
        data=TINY,
        files=[("image", ("cat.png", small_png(), "image/png")), ("mask", ("none.png", black.getvalue(), "image/png"))],
    )
    assert refused.status_code == 400 and "black everywhere" in refused.json()["error"]


def test_regions_are_uploaded_masks_and_never_paths_on_the_server(client, tmp_path):
    """`layer=NAME@MASK` takes MASK from the `region` uploads only: a path on the server (one that
    exists, one outside, a traversal) is refused with 400 before anything is read."""
    halves = []
    for side in (0, 1):
        mask = Image.new("L", (64, 48), 0)
        mask.paste(255, (32 * side, 0, 32 * side + 32, 48))
        buffer = io.BytesIO()
        mask.save(buffer, format="PNG")
        halves.append(buffer.getvalue())
    response = client.post(
        "/api/dream",
        data={**TINY, "layer": ["block2b_expand@left.png", "block5a_expand@right.png"]},
        files=[
            ("image", ("cat.png", small_png(), "image/png")),
            ("region", ("left.png", halves[0], "image/png")),
            ("region", ("right.png", halves[1], "image/png")),
        ],
    )
    assert response.status_code == 200, response.text
    assert metadata(response)["settings"]["layers"] == ["block2b_expand@left.png", "block5a_expand@right.png"]
    secret = tmp_path / "secret.png"
    Image.new("L", (64, 48), 255).save(secret)
    for given in (str(secret), "/etc/passwd", "../../etc/passwd", "left.png"):
        refused = dream(client, layer=f"block5a_expand@{given}")
        assert refused.status_code == 400, given
        error = refused.json()["error"]
        assert "upload it as a file in the `region` field" in error and str(tmp_path) not in error
    painted = dream(client, **{"class": "lemon@/etc/hostname"})
    assert painted.status_code == 400 and "--class ...@/etc/hostname names a mask" in painted.json()["error"]


def test_an_unexpected_error_is_a_json_500_and_the_server_goes_on(client, server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(server.app.state.service, "paint", broken)
    response = client.post("/api/class", data={"class": "207", "size": "64x64", "steps": "1"})
    assert response.status_code == 500
    assert "the disk caught fire" in response.json()["error"]
    monkeypatch.undo()
    assert dream(client).status_code == 200


def test_class_painting_and_style_transfer(client):
    painted = client.post("/api/class", data={"class": "golden retriever", "size": "80x64", "steps": "2"})
    assert painted.status_code == 200, painted.text
    assert Image.open(io.BytesIO(painted.content)).size == (80, 64)
    assert metadata(painted)["mode"] == "class"
    mapped = client.post("/api/class", data={"class": "lemon", "size": "64x64", "steps": "1", "alpha": "channel"})
    assert mapped.status_code == 200, mapped.text
    picture = Image.open(io.BytesIO(mapped.content))
    alpha = np.asarray(picture.getchannel("A"))  # the transparency map, as `deepdream class --alpha channel`
    assert picture.mode == "RGBA" and picture.size == (64, 64) and alpha.min() == 0 and alpha.max() == 255
    styled = client.post(
        "/api/style",
        data={"iterations": "2", "optimizer": "adam"},
        files=[("image", ("cat.png", small_png(), "image/png")), ("style", ("flat.png", png_of(40, 40), "image/png"))],
    )
    assert styled.status_code == 200, styled.text
    assert Image.open(io.BytesIO(styled.content)).size == (64, 48)
    meta = metadata(styled)
    assert meta["mode"] == "style" and meta["style_files"] == ["flat.png"] and meta["settings"]["iterations"] == 2
    no_style = client.post("/api/style", files={"image": ("cat.png", small_png(), "image/png")})
    assert no_style.status_code == 400 and "'style'" in no_style.json()["error"]


def test_backbones_and_layers_as_json(client):
    backbones = client.get("/api/backbones").json()
    assert {b["name"] for b in backbones} >= {"efficientnet-lite2", "vgg16"}
    assert all(set(b) == {"name", "description", "available"} for b in backbones)
    layers = client.get("/api/layers", params={"backbone": "vgg16"}).json()
    assert layers["backbone"] == "vgg16" and layers["default"]
    assert {"name": "block4_conv3", "channels": 512, "stride": 8} in layers["layers"]
    default = client.get("/api/layers").json()
    assert default["backbone"] == "efficientnet-lite2"
    bad = client.get("/api/layers", params={"backbone": "alexnet"})
    assert bad.status_code == 400 and "Unknown backbone 'alexnet'" in bad.json()["error"]


def test_the_server_listens_on_loopback_only(server):
    assert server.address[0] == "127.0.0.1"


def test_serve_without_the_web_extra_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # as where the web extra is not installed
    result = cli("serve")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (
        "deepdream: error: The web studio needs the web extra (gradio missing): pip install "
        '"deepdream-studio[web]" (or pip install ".[web]" from a clone).'
    )


@pytest.mark.slow  # `deepdream serve` in a process of its own: a server that did start would not stop here
def test_serve_on_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", port, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"deepdream: error: Cannot listen on 127.0.0.1:{port} (Address already in use); "
        f"another server may be using it: pick another --port."
    )


@pytest.mark.parametrize("path", ["/api/dream", "/api/class", "/api/style"])
def test_a_get_on_a_post_endpoint_is_405_saying_how_to_call_it(client, path):
    response = client.get(path)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["error"].startswith(f"{path} takes POST with a multipart form (")


def test_class_paintings_follow_each_requests_seed(client):
    """A painting prepared for one request is reused for the next with other seeds: each answer is
    its own seed's painting (the same seed, the same bytes)."""

    def paint(seed):
        answer = client.post("/api/class", data={"class": "lemon", "size": "64x64", "steps": "2", "seed": seed})
        assert answer.status_code == 200, answer.text
        return answer.content

    first, other, again = paint("0"), paint("7"), paint("0")
    assert first == again and first != other
