"""Security and limits of `deepdream serve` (issue 17), through a real server (uvicorn on 127.0.0.1)
and real HTTP: the studio takes only files uploaded to it, the server keeps to its own folder and
removes it, a request over the work budget is refused at once, a render whose client left or that
ran past the timeout stops, cheap calls never wait behind renders, Ctrl+C ends the process mid-render,
the server never downloads and its errors show no paths of the machine."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install '.[web]'")
httpx = pytest.importorskip("httpx", reason="httpx (installed with gradio) is needed to call the API")

from conftest import SAMPLES  # noqa: E402
from PIL import Image  # noqa: E402
from test_web_api import Running, small_png  # noqa: E402

TINY = {"steps": "1", "octaves": "1"}
#: A render that would run for minutes (3000 steps, within the default budget at 64 px), to be stopped.
ENDLESS = {"steps": "3000", "octaves": "1", "backbone": "vgg16"}


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def app():
    from deepdream.web import create_app

    made = create_app()
    running = Running(made)
    made.state.url = running.url
    yield made
    running.stop()


@pytest.fixture(scope="module")
def client(app):
    with httpx.Client(base_url=app.state.url, timeout=300) as c:
        yield c


def studio_values(picture, **changes) -> list:
    """The studio's render inputs, in their order (the page's defaults, a tiny dream; `changes` by name)."""
    from test_web_studio import page_values

    return page_values(picture=picture, **{"mode": "dream", "steps": 1, "octaves": 1, "max_side": 64, **changes})


def file_data(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}


# ---------------------------------------------------------------------------- item 1: files of the server


def test_the_studio_refuses_any_file_not_uploaded_to_it_and_copies_nothing(app, client):
    folder = app.state.folder
    before = files_under(folder)
    outside = str(SAMPLES / "chelsea.png")  # a picture elsewhere on disk
    cases = [
        ("/gradio_api/call/render", {"data": studio_values(file_data("/etc/passwd"))}, "'/etc/passwd'"),
        ("/gradio_api/call/render", {"data": studio_values(file_data(outside))}, repr(outside)),
        ("/gradio_api/call/render", {"data": studio_values({"path": "/etc/passwd"})}, "'/etc/passwd'"),  # no meta
        (
            "/gradio_api/call/render",
            {"data": studio_values(file_data(str(app.state.uploads / ".." / ".." / "x")))},
            None,
        ),
        (
            "/gradio_api/queue/join",
            {"data": studio_values(file_data("/etc/passwd")), "fn_index": 2, "session_hash": "x1"},
            "'/etc/passwd'",
        ),
        (
            "/gradio_api/run/render",
            {"data": studio_values(file_data("http://127.0.0.1:9/x.png"))},
            "'http://127.0.0.1:9/x.png'",
        ),
    ]
    for route, body, named in cases:
        answer = client.post(route, json=body)
        assert answer.status_code == 403, (route, answer.text)
        error = answer.json()["error"]
        assert error.endswith("was not uploaded to this server; only pictures uploaded through the page can be used.")
        if named:
            assert error == (
                f"The file {named} was not uploaded to this server; only pictures uploaded through "
                f"the page can be used."
            )
    assert files_under(folder) == before  # nothing read, nothing copied
    assert client.get("/gradio_api/file=/etc/passwd").status_code == 403


def test_an_uploaded_picture_renders_inside_the_servers_folder(app, client):
    uploaded = client.post("/gradio_api/upload", files={"files": ("cat.png", small_png(), "image/png")})
    assert uploaded.status_code == 200
    path = uploaded.json()[0]
    assert Path(path).is_relative_to(app.state.uploads)
    started = client.post("/gradio_api/call/render", json={"data": studio_values(file_data(path))})
    assert started.status_code == 200, started.text
    events = client.get(f"/gradio_api/call/render/{started.json()['event_id']}").text
    last = json.loads(events.strip().splitlines()[-1].removeprefix("data: "))
    assert last[1].startswith("Done: 64x48")
    assert Path(last[0]["path"]).is_relative_to(app.state.folder)  # results live in the server's folder


def test_the_server_removes_its_folder_when_it_stops():
    from deepdream.web import create_app

    app = create_app()
    running = Running(app)
    folder = app.state.folder
    assert folder.is_dir() and folder.name.startswith("deepdream-serve-")
    assert os.environ["GRADIO_TEMP_DIR"] == str(app.state.uploads)
    with httpx.Client(base_url=running.url, timeout=60) as c:
        assert c.post("/gradio_api/upload", files={"files": ("cat.png", small_png(), "image/png")}).status_code == 200
    assert files_under(folder)
    running.stop()
    assert not folder.exists()
    assert not os.environ.get("GRADIO_TEMP_DIR", "").startswith(str(folder))


def test_the_studio_reads_pictures_only_from_its_uploads(tmp_path):
    import gradio as gr

    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "link.png").symlink_to(SAMPLES / "chelsea.png")
    render = make_render(Service(), tmp_path, uploads)
    for path in (
        "/etc/passwd",
        str(SAMPLES / "chelsea.png"),
        str(uploads / "link.png"),
        str(uploads / ".." / "uploads" / ".." / "x.png"),
    ):
        with pytest.raises(gr.Error) as refused:
            list(render(*studio_values(path)))
        assert refused.value.message == "The picture was not uploaded through this page; drop it on the page again."


# ---------------------------------------------------------------------------- item 2: the budget


@pytest.mark.parametrize(
    "route, fields, files, words",
    [
        (
            "/api/dream",
            {**TINY},
            {"image": ("big.png", png(600, 400), "image/png")},
            "The picture is 600x400 pixels, which is over this server's limit of 512 pixels on the longer side; send "
            "max-side=512 (or less) to shrink it first, or start the server with a larger --max-side.",
        ),
        (
            "/api/dream",
            {"steps": "2000", "octaves": "4", "max-side": "400"},
            {"image": ("big.png", png(600, 400), "image/png")},
            "This render is about 470 million pixel-steps (400x267, 4 octaves of 2000 steps), over this server's "
            "budget of 150 million; use fewer steps, octaves or iterations or a smaller picture, or start the server "
            "with a larger --max-work.",
        ),
        (
            "/api/dream",
            {**TINY, "max-side": "512"},
            {"image": ("huge.png", "9400x9400", "image/png")},
            "'huge.png' is 9400x9400 pixels, over the 50 megapixels this server decodes; shrink it before uploading, "
            "or start the server with --max-side 0.",
        ),
        (
            "/api/class",
            {"class": "goldfish", "steps": "2000"},
            None,
            "This render is about 532 million pixel-steps (256x256, 2000 painting steps), over this server's budget "
            "of 150 million; use fewer steps, octaves or iterations or a smaller picture, or start the server with a "
            "larger --max-work.",
        ),
        (
            "/api/class",
            {"class": "goldfish", "size": "9400x9400"},
            None,
            "The size 9400x9400 is over this server's limit of 512 pixels on the longer side; ask for a smaller size, "
            "or start the server with a larger --max-side.",
        ),
        (
            "/api/style",
            {"iterations": "5000"},
            {"image": ("c.png", png(300, 200), "image/png"), "style": ("s.png", png(64, 64), "image/png")},
            "This render is about 300 million pixel-steps (300x200, 1 scale of 5000 iterations), over this server's "
            "budget of 150 million; use fewer steps, octaves or iterations or a smaller picture, or start the server "
            "with a larger --max-work.",
        ),
        (
            "/api/dream",
            {"steps": "1000000000"},
            {"image": ("c.png", png(64, 48), "image/png")},
            "--steps must be at most 10,000 (got 1000000000).",
        ),
        (
            "/api/dream",
            {"octaves": "1000"},
            {"image": ("c.png", png(64, 48), "image/png")},
            "--octaves must be at most 32 (got 1000).",
        ),
        (
            "/api/dream",
            {"step-size": "1e300"},
            {"image": ("c.png", png(64, 48), "image/png")},
            "--step-size must be at most 255 (got 1e+300).",
        ),
    ],
)
def test_a_request_over_the_budget_is_refused_at_once(client, route, fields, files, words):
    if files and files["image"][1] == "9400x9400":  # 88 megapixels in 12 kB: refused before it is decoded
        buffer = io.BytesIO()
        Image.new("1", (9400, 9400)).save(buffer, format="PNG")
        files = {"image": ("huge.png", buffer.getvalue(), "image/png")}
    answer = client.post(route, data=fields, files=files)  # refused by the checks before any render is queued
    assert answer.status_code == (400 if words.startswith("--") else 413), answer.text
    assert answer.json() == {"error": words}


@pytest.mark.slow  # renders that wait on each other (seconds)
def test_a_render_whose_client_left_stops_and_cheap_calls_do_not_wait(app, client):
    service = app.state.service
    client.get("/api/layers", params={"backbone": "vgg16"})  # loaded once, as any first call does

    def leave():
        with httpx.Client(base_url=app.state.url, timeout=3) as impatient, pytest.raises(httpx.ReadTimeout):
            impatient.post(
                "/api/dream",
                data={**ENDLESS, "max-side": "64"},
                files={"image": ("c.png", png(64, 48), "image/png")},
            )

    gone = threading.Thread(target=leave)
    gone.start()
    deadline = time.monotonic() + 10
    while not service.waiting("vgg16") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.waiting("vgg16") == 1  # the endless render runs
    layers = client.get("/api/layers", params={"backbone": "vgg16"})
    backbones = client.get("/api/backbones")
    assert layers.status_code == backbones.status_code == 200
    assert service.waiting("vgg16") == 1  # answered while the render still runs: not behind it
    gone.join()
    deadline = time.monotonic() + 10
    while service.waiting("vgg16") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.waiting("vgg16") == 0  # the client hung up: the render stopped at its next step


def test_a_request_over_the_timeout_is_stopped_with_a_503():
    from deepdream.web import create_app
    from deepdream.web.service import Limits

    app = create_app(studio=False, limits=Limits(max_work=None, timeout=2))
    running = Running(app)
    try:
        with httpx.Client(base_url=running.url, timeout=60) as c:
            start = time.perf_counter()
            answer = c.post("/api/dream", data=ENDLESS, files={"image": ("c.png", png(64, 48), "image/png")})
            took = time.perf_counter() - start
            assert answer.status_code == 503
            assert answer.json() == {
                "error": "The render took over 2 s, this server's limit per request, and was "
                "stopped; ask for less work, or start the server with a larger "
                "--timeout."
            }
            assert took < 10
            deadline = time.monotonic() + 10
            while app.state.service.waiting("vgg16") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert app.state.service.waiting("vgg16") == 0
    finally:
        running.stop()


# ---------------------------------------------------------------------------- items 4 and 5


@pytest.mark.slow  # a guided dream through the API (seconds)
def test_layer_auto_with_a_guide_works_through_the_api(client):
    answer = client.post(
        "/api/dream",
        data={**TINY, "layer": "auto", "backbone": "vgg16", "tile-size": "64"},
        files=[("image", ("cat.png", small_png(), "image/png")), ("guide", ("gravel.png", png(64, 64), "image/png"))],
    )
    assert answer.status_code == 200, answer.text
    settings = json.loads(Image.open(io.BytesIO(answer.content)).text["deepdream"])["settings"]
    assert len(settings["layers"]) == 1 and settings["layers"][0] != "auto"
    assert settings["layers"][0].startswith("block")


def test_the_server_never_downloads_and_its_errors_show_no_paths(client, monkeypatch, tmp_path):
    monkeypatch.delenv("DEEPDREAM_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("DEEPDREAM_WEIGHTS_DIR", str(tmp_path / "user_weights"))
    start = time.perf_counter()
    answer = client.post(
        "/api/dream", data={**TINY, "backbone": "inceptionv3"}, files={"image": ("cat.png", small_png(), "image/png")}
    )
    assert time.perf_counter() - start < 10
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "(not found, and the server never downloads weights: run `deepdream weights` on it first)" in error
    assert str(tmp_path) not in error and "<tmp>/" in error
    assert str(Path.home()) + "/" not in error


def test_a_huge_form_value_is_not_echoed_whole(client):
    answer = client.post(
        "/api/dream", data={"steps": "9" * 1_000_000}, files={"image": ("cat.png", small_png(), "image/png")}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error.startswith("--steps must be a whole number (got '99999") and error.endswith("(1,000,002 characters)).")
    assert len(error) < 150


def test_the_studio_stops_a_render_over_the_timeout(tmp_path):
    import gradio as gr

    from deepdream.web.service import Limits, Service
    from deepdream.web.studio_render import make_render

    service = Service(limits=Limits(max_work=None, timeout=2))
    (tmp_path / "cat.png").write_bytes(small_png())
    values = studio_values(str(tmp_path / "cat.png"), backbone="vgg16", steps=10000)
    start = time.perf_counter()
    with pytest.raises(gr.Error) as stopped:
        list(make_render(service, tmp_path, tmp_path)(*values))
    assert stopped.value.message.startswith("The render took over 2 s, this server's limit per request")
    deadline = time.monotonic() + 10
    while service.waiting("vgg16") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.waiting("vgg16") == 0 and time.perf_counter() - start < 15
    service.close()


def test_serve_limits_are_checked_in_one_line():
    from conftest import run_cli

    for flag, value in (("--max-work", "-1"), ("--timeout", "nan"), ("--max-side", "-5")):
        result = run_cli("serve", flag, value, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [
            f"deepdream: error: {flag} must be a number of at least 0 (0: no limit; got {float(value):g})."
        ]


def test_the_studios_zoom_refuses_a_huge_timeline_and_a_long_clip_over_http(app, client):
    """Through Gradio's own API: a megabyte of timeline is said in the status line before anything
    is queued, and 100,000 frames are refused by the frames slider's own bound (the page's limit, the
    server's 120). (The browser test renders a clip through the page.)"""
    uploaded = client.post("/gradio_api/upload", files={"files": ("cat.png", small_png(), "image/png")})
    picture = file_data(uploaded.json()[0])
    zoom = {"mode": "zoom", "frames": 3, "frame_steps": 1}
    cases = [
        (dict(timeline="#" * 1_000_000), "**Error:** The timeline is 1,000,000 characters; the limit is 10,000."),
        (dict(frames=100_000, timeline=""), "Value 100000 is greater than maximum value 120."),
    ]
    for changes, words in cases:
        started = client.post("/gradio_api/call/render", json={"data": studio_values(picture, **{**zoom, **changes})})
        assert started.status_code == 200, started.text
        events = client.get(f"/gradio_api/call/render/{started.json()['event_id']}").text
        assert words in events, (words, events[-300:])
