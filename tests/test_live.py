"""Live dreams: the settings a stream takes, `LiveDreamer` frame by frame, the `/api/live` WebSocket
through a real server (uvicorn on 127.0.0.1 in a thread) and a real client (`websockets`), and the
studio's Live tab in headless Chromium fed by a fake camera playing a small clip. Frames are tiny
(64x48 to 160x120), so each is dreamt in well under a second."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from html.parser import HTMLParser

import numpy as np
import pytest

pytest.importorskip("cv2", reason="live dreams need OpenCV: pip install '.[video]'")
pytest.importorskip("fastapi", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install '.[web]'")
websockets = pytest.importorskip("websockets", reason="the web extra is not installed: pip install '.[web]'")

from conftest import SAMPLES  # noqa: E402
from PIL import Image  # noqa: E402

TINY = {"steps": 1, "octaves": 1}
#: Set to a path to also save a screenshot of the Live tab there.
SCREENSHOT_ENV = "DEEPDREAM_LIVE_SCREENSHOT"
#: Set to a path to also save a GIF there: the frames sent and dreamt, side by side, as the tab shows
#: them (the fake camera then plays a 320x240 portrait, still for 4 s, then panned).
GIF_ENV = "DEEPDREAM_LIVE_GIF"


def frames(width=64, height=48, count=6, shift=2):
    """`count` frames of a photo panned by `shift` pixels a frame (uint8 RGB)."""
    big = np.asarray(Image.open(SAMPLES / "astronaut.png").convert("RGB").resize((width + shift * count, height)))
    return [np.ascontiguousarray(big[:, shift * i : shift * i + width]) for i in range(count)]


def encoded(rgb, fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt)
    return buffer.getvalue()


# ------------------------------------------------------------------------------- settings and engine


def test_live_settings_are_light_under_what_the_client_gives_and_a_preset_keeps_its_look():
    from deepdream.web.live import canonical, parse

    settings, fmt = parse(canonical({}))
    assert (settings.dream.octaves, settings.dream.steps, settings.dream.max_side) == (1, 2, 320)
    assert (settings.frame_steps, settings.frame_octaves, settings.spread_octaves, settings.blend) == (
        1,
        6,
        True,
        0.995,
    )
    assert (settings.independent, fmt) == (False, "JPEG")
    settings, fmt = parse(
        canonical(
            {
                "preset": "intense",
                "step-size": 6,
                "independent": True,
                "format": "png",
                "layer": ["block5a_expand"],
                "frame-steps": 2,
            }
        )
    )
    assert settings.dream.preset == "intense" and settings.dream.chroma == 0.8  # the preset's look
    assert (settings.dream.octaves, settings.dream.steps) == (1, 2)  # the live cost, not the preset's 5 x 16
    assert settings.dream.step_size == 6.0 and settings.dream.layers == ("block5a_expand",)
    assert settings.independent and settings.frame_steps == 2 and fmt == "PNG"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps": 0}, "--steps must be at least 1 (got 0)."),
        ({"stepz": 2}, "'stepz' is not a live setting. Did you mean 'steps'?"),
        ({"start": 1}, "'start' applies to a clip, not a live stream."),
        ({"mask": "/etc/passwd"}, "--mask names a file on the server, which the web API does not take"),
        ({"format": "gif"}, "format must be jpeg or png (got 'gif')."),
        ({"blend": 2}, "--blend must be at most 1"),
        ({"spread-octaves": "maybe"}, "--spread-octaves is on or off: give true or false (got 'maybe')."),
        ({"frame-octaves": 1000}, "--frame-octaves must be at most 32 (got 1000)."),
        (
            {"layer": ["block5a_expand@sky.png"]},
            "--layer WHAT@MASK dreams in a region, and a live stream has no mask to "
            "give it; give --layer without @MASK.",
        ),
    ],
)
def test_bad_live_settings_are_one_line(fields, message):
    from deepdream.errors import SettingsError
    from deepdream.web.live import canonical, parse

    with pytest.raises(SettingsError) as error:
        parse(canonical(fields))
    assert str(error.value).startswith(message)


def test_a_message_to_the_client_is_one_line_with_no_path_of_the_servers():
    import tempfile

    from deepdream.web.live import one_line

    assert (
        one_line(f"Cannot read\n  {tempfile.gettempdir()}/deepdream-serve-x/frame.png:\ttruncated")
        == "Cannot read <tmp>/deepdream-serve-x/frame.png: truncated"
    )


def test_the_live_dreamer_carries_detail_frame_to_frame_and_keeps_each_frame_size():
    from deepdream.motion.live import LiveDreamer, live_settings
    from deepdream.render.prepare import prepare

    clip = frames(80, 60, count=4)
    settings = live_settings(dream=TINY)
    dreamer = prepare(settings.dream)  # one network, traced once, for both streams
    carried = LiveDreamer(settings, dreamer)
    alone = LiveDreamer(settings.replace(independent=True), dreamer)
    out = [carried.next(f) for f in clip]
    solo = [alone.next(f) for f in clip]
    assert carried.prepared is alone.prepared is dreamer
    assert all(o.shape == (60, 80, 3) and o.dtype == np.uint8 for o in out)
    assert np.array_equal(out[0], solo[0])  # the first frame has nothing to carry
    assert not np.array_equal(out[2], solo[2])  # later ones start from the carried detail
    # a frame over the dream's max-side is dreamt shrunk and brought back to its size; a new size starts afresh
    carried.change(live_settings(dream={**TINY, "max_side": 48}))
    big = carried.next(np.asarray(Image.fromarray(clip[0]).resize((120, 90))))
    assert big.shape == (90, 120, 3) and carried._frames.previous_raw.shape == (36, 48, 3)


def test_spread_octaves_dream_each_carried_frame_at_one_octave_in_turn_smallest_first():
    from deepdream.motion.live import LiveDreamer, live_settings
    from deepdream.motion.video import octave_turn
    from deepdream.render.prepare import prepare

    settings = live_settings(dream={**TINY, "octave_scale": 1.4}, frame_octaves=3, spread_octaves=True)
    turns = [octave_turn(settings, index) for index in range(2, 8)]
    assert [(round(shrink, 2), steps) for shrink, steps in turns[:3]] == [(1.96, 2), (1.4, 1), (1.0, 1)]
    assert turns[3:] == turns[:3]  # then again, the smallest first
    still = frames(128, 96, count=1)[0]
    dreamer = prepare(settings.dream)
    spread, plain = LiveDreamer(settings, dreamer), LiveDreamer(settings.replace(spread_octaves=False), dreamer)
    for stream in (spread, plain):
        stream.next(still)
    starts = {id(s): s._frames.previous.astype(np.float32) for s in (spread, plain)}
    changes = {id(s): s.next(still).astype(np.float32) - starts[id(s)] for s in (spread, plain)}

    def roughness(change):  # the change's fine detail: mean |change - its 3x3 mean| over mean |change|
        import cv2

        return float(np.abs(change - cv2.blur(change, (3, 3))).mean() / np.abs(change).mean())

    # frame 2 dreams the smallest octave, 1.96x smaller (2 steps): a change as large, and smoother
    # (measured: 3.4 levels, roughness 0.37, against 4.6 and 0.67 for a step at full size)
    assert np.abs(changes[id(spread)]).mean() > 0.5 * np.abs(changes[id(plain)]).mean() > 1
    assert roughness(changes[id(spread)]) < 0.7 * roughness(changes[id(plain)])


# ------------------------------------------------------------------------------- the WebSocket


@pytest.fixture(scope="module")
def server():
    from test_web_api import Running

    from deepdream.web import create_app

    running = Running(create_app(studio=False))
    yield running
    running.stop()


def connect(server, **options):
    from websockets.sync.client import connect as ws_connect

    return ws_connect(server.url.replace("http://", "ws://") + "/api/live", max_size=None, open_timeout=30, **options)


def answer(ws, timeout=120):
    message = ws.recv(timeout=timeout)
    return json.loads(message) if isinstance(message, str) else message


def test_frames_in_same_size_dreamt_frames_out_mistakes_answered_and_the_stream_goes_on(server):
    clip = frames()
    with connect(server) as ws:
        ws.send(json.dumps(TINY))
        ready = answer(ws)
        assert ready["format"] == "jpeg" and ready["settings"]["dream"]["steps"] == 1
        outs = []
        for frame in clip[:3]:
            ws.send(encoded(frame))
            data = answer(ws)
            assert isinstance(data, bytes), data
            picture = Image.open(io.BytesIO(data))
            assert picture.format == "JPEG" and picture.size == (64, 48)
            outs.append(np.asarray(picture.convert("RGB")).astype(float))
        assert np.abs(outs[2] - clip[2]).mean() > 2  # dreamt, not sent back

        ws.send(b"this is not a picture")
        assert answer(ws) == {"error": "The frame is not a picture; send each frame as a JPEG or PNG picture."}
        whole = encoded(clip[3])
        ws.send(whole[: len(whole) // 2])  # a truncated JPEG: its header says a size, its data stops
        assert answer(ws)["error"].startswith("The frame could not be decoded")
        ws.send(encoded(np.zeros((40, 2100, 3), np.uint8), "PNG"))  # oversize, refused from its header
        assert answer(ws) == {
            "error": "The frame is 2100x40 pixels, over the 2048 pixels on the longer side a live "
            "frame may have; send smaller frames (they are dreamt at max-side anyway)."
        }
        ws.send(json.dumps({"steps": 0}))
        assert answer(ws) == {"error": "--steps must be at least 1 (got 0)."}
        ws.send("not json")
        assert answer(ws)["error"].startswith("Live settings are a JSON object")
        ws.send(encoded(clip[3], "PNG"))  # the stream goes on, with the settings before the bad ones
        assert Image.open(io.BytesIO(answer(ws))).size == (64, 48)

        ws.send(json.dumps({"format": "png", "step-size": 6}))  # a change mid-stream, merged
        changed = answer(ws)
        assert changed["format"] == "png" and changed["settings"]["dream"]["step_size"] == 6.0
        assert changed["settings"]["dream"]["steps"] == 1  # kept from the first message
        ws.send(encoded(clip[4]))
        picture = Image.open(io.BytesIO(answer(ws)))
        assert picture.format == "PNG" and picture.size == (64, 48)

        ws.send(json.dumps({"max-side": 48}))  # a smaller dream: the frame shrunk, dreamt, brought back
        assert answer(ws)["settings"]["dream"]["max_side"] == 48
        ws.send(encoded(clip[5]))
        got = answer(ws)
        assert isinstance(got, bytes), got
        assert Image.open(io.BytesIO(got)).size == (64, 48)


def test_frames_faster_than_dreamt_drop_the_waiting_ones_and_every_frame_is_answered(server):
    clip = frames(count=5)
    with connect(server) as ws:
        ws.send(json.dumps(TINY))
        assert "settings" in answer(ws)
        for frame in clip:  # all at once: while one is dreamt, each newer one replaces the one waiting
            ws.send(encoded(frame))
        dreamt = dropped = 0
        while dreamt + dropped < len(clip):
            got = answer(ws)
            if isinstance(got, bytes):
                dreamt += 1
            else:
                dropped += got["dropped"]
        assert dropped >= 2 and 1 <= dreamt <= 3, (dreamt, dropped)


def test_over_the_servers_limits_a_page_of_another_site_and_too_many_streams_are_refused(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused, connect(server, origin="http://evil.example"):
        pass
    assert refused.value.response.status_code == 403
    with connect(server, origin=server.url):  # the server's own page may
        pass
    with connect(server) as ws:
        ws.send(json.dumps({"max-side": 1000}))
        ws.send(encoded(np.zeros((600, 800, 3), np.uint8)))  # 800 px dreamt: over the server's --max-side 512
        assert answer(ws)["settings"]["dream"]["max_side"] == 1000
        assert answer(ws)["error"].startswith(
            "The picture is 800x600 pixels, which is over this server's limit of 512 pixels on the longer side"
        )
    from deepdream.web.live import MAX_STREAMS

    with contextlib.ExitStack() as opened:
        for _ in range(MAX_STREAMS):
            opened.enter_context(connect(server))
        time.sleep(0.5)
        with connect(server) as extra:
            assert "live streams at once" in answer(extra, 30)["error"]


class Controls(HTMLParser):
    """The Live page's strength slider (its attributes) and size options (their numbers, the selected)."""

    def __init__(self, page: str):
        super().__init__()
        self.slider, self.sizes, self.chosen = {}, [], []
        self.in_size = self.selected = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("id") == "strength":
            self.slider = {name: float(attrs[name]) for name in ("min", "max", "step", "value")}
        self.in_size = (tag == "select" and attrs.get("id") == "size") or (self.in_size and tag == "option")
        self.selected = tag == "option" and "selected" in attrs

    def handle_endtag(self, tag):
        if tag == "select":
            self.in_size = False

    def handle_data(self, data):
        if self.in_size and self.lasttag == "option" and data.strip():
            self.sizes.append(int(data))
            self.chosen += [int(data)] * self.selected


def test_the_live_pages_strength_and_sizes_are_the_settings_and_the_servers_limit(server):
    import dataclasses

    import httpx

    from deepdream.motion.live import LIVE_DREAM, LIVE_SIDES
    from deepdream.settings import DreamSettings
    from deepdream.web.live_page import page_html

    ui = next(f.metadata["ui"] for f in dataclasses.fields(DreamSettings) if f.name == "step_size")
    page = Controls(httpx.get(server.url + "/live", timeout=30).text)
    assert page.slider == {"min": ui.low, "max": ui.high, "step": ui.step, "value": DreamSettings.default("step_size")}
    limit = server.app.state.service.limits.max_side
    assert limit == 512 and page.sizes == [side for side in LIVE_SIDES if side <= limit] == [240, 320, 480]
    assert page.chosen == [LIVE_DREAM["max_side"]] == [320]
    # a server that dreams at most 300 px offers what it can dream; at most 200, only that
    assert (Controls(page_html(300)).sizes, Controls(page_html(300)).chosen) == ([240], [240])
    assert (Controls(page_html(200)).sizes, Controls(page_html(200)).chosen) == ([200], [200])


def test_a_client_that_never_waits_for_its_settings_answers_is_closed(server):
    from websockets.exceptions import ConnectionClosed

    from deepdream.web.live import MAX_WAITING_TEXTS

    with connect(server) as ws:
        sent = 0
        try:  # the server may close the stream while the client is still sending
            for _ in range(MAX_WAITING_TEXTS + 20):
                ws.send(json.dumps(TINY))
                sent += 1
        except ConnectionClosed:
            pass
        answers = []
        with pytest.raises(ConnectionClosed):
            while True:
                answers.append(answer(ws, 60))
        assert ws.close_code == 1008 and "settings messages waiting" in ws.close_reason
        assert len(answers) < MAX_WAITING_TEXTS + 20 and sent > MAX_WAITING_TEXTS
        assert all("settings" in a for a in answers)


def test_a_client_that_goes_leaves_no_work_behind(server):
    """Frames waiting are dropped, and the frame being dreamt stops at its next step: three frames of
    3,000 steps each would take minutes, and the queue empties while the first is dreamt."""
    service = server.app.state.service
    with connect(server) as ws:
        ws.send(json.dumps({"steps": 3000, "octaves": 1}))
        assert "settings" in answer(ws)
        for frame in frames(count=3):
            ws.send(encoded(frame))
        started = time.monotonic()
        while not service.busy() and time.monotonic() < started + 120:  # the first frame is being dreamt
            time.sleep(0.05)
        assert service.busy()
    gone = time.monotonic()
    while service.busy() and time.monotonic() < gone + 60:
        time.sleep(0.05)
    assert not service.busy()


# ------------------------------------------------------------------------------- the Live tab


def write_y4m(path, clip, fps=10):
    """A raw YUV 4:2:0 clip (what Chromium's fake camera plays), written with OpenCV's colour conversion."""
    import cv2

    height, width = clip[0].shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in clip:
            out.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@pytest.mark.slow
def test_the_live_tab_in_chromium_dreams_the_camera_beside_it(tmp_path):
    from test_web_api import Running
    from test_web_studio import CHROMEDRIVER, CHROMIUM, _wait

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"needs Chromium and its driver ({CHROMIUM}, {CHROMEDRIVER})")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install '.[test]'")
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from deepdream.web import create_app

    gif = os.environ.get(GIF_ENV)
    # the GIF's camera: a portrait held still for 4 s (the dream growing), then panned 2 px a frame
    pan = frames(320, 240, count=40, shift=2) if gif else frames(160, 120, count=12, shift=3)
    clip = [pan[0]] * 40 + pan if gif else pan
    camera = write_y4m(tmp_path / "camera.y4m", clip)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    running = Running(create_app())
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    try:
        driver.get(running.url + "/")
        tab = _wait(
            lambda: [b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]") if b.text.strip() == "Live"],
            60,
            "the Live tab",
        )[0]

        def clicked():  # a loaded machine's page may still hold Gradio's loading cover over the tab
            try:
                tab.click()
            except ElementClickInterceptedException:
                return False
            return True

        _wait(clicked, 60, "the Live tab clickable")
        frame = _wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#live iframe"), 30, "the Live page")[0]
        driver.switch_to.frame(frame)
        _wait(lambda: driver.find_elements(By.ID, "start"), 30, "the Start button")[0].click()

        def shown():
            count = int(driver.find_element(By.ID, "dreamt").get_attribute("data-frames") or 0)
            return count >= 4 and count

        _wait(shown, 180, "four dreamt frames")
        # the dreamt frame beside the source: same size, and not the source sent back
        difference = driver.execute_script("""
            const a = document.getElementById('source'), b = document.getElementById('dreamt');
            if (a.width !== b.width || a.height !== b.height) return -1;
            const p = a.getContext('2d').getImageData(0, 0, a.width, a.height).data;
            const q = b.getContext('2d').getImageData(0, 0, b.width, b.height).data;
            let sum = 0; for (let i = 0; i < p.length; i++) sum += Math.abs(p[i] - q[i]);
            return sum / p.length;""")
        assert difference > 2, difference
        before = driver.execute_script("return document.getElementById('dreamt').toDataURL()")
        _wait(
            lambda: driver.execute_script("return document.getElementById('dreamt').toDataURL()") != before,
            60,
            "the next dreamt frame",
        )
        assert "frames dreamt" in driver.find_element(By.ID, "stats").text
        assert "rror" not in driver.find_element(By.ID, "status").text

        if os.environ.get(SCREENSHOT_ENV):  # the page as a user sees it, for the README
            driver.switch_to.default_content()
            driver.set_window_size(1300, 720)
            time.sleep(1.0)
            driver.save_screenshot(os.environ[SCREENSHOT_ENV])
            driver.switch_to.frame(frame)

        if gif:
            save_gif(driver, shown, gif, count=36)

        # the controls change the stream's settings while it runs (a settings message each)
        def status():
            return driver.find_element(By.ID, "status").text

        driver.execute_script(
            "const s = document.getElementById('strength'); s.value = '7';s.dispatchEvent(new Event('change'));"
        )
        _wait(lambda: status().endswith("strength 7."), 60, "the stronger dream")
        Select(driver.find_element(By.ID, "preset")).select_by_value("subtle")
        _wait(
            lambda: status().startswith("Dreaming with subtle") and status().endswith("strength 2."),
            60,
            "the subtle preset (its own strength)",
        )
        _wait(lambda: driver.find_element(By.CSS_SELECTOR, "#layer option[value=block6a_expand]"), 30, "its layers")
        Select(driver.find_element(By.ID, "layer")).select_by_value("block5a_expand")
        _wait(lambda: "block5a_expand" in status(), 60, "the layer chosen")
        count = int(shown())
        _wait(lambda: int(shown() or 0) > count + 1, 60, "frames dreamt with the new settings")
        snapshot_and_record(driver, status)
        driver.find_element(By.ID, "stop").click()
        assert "Stopped" in driver.find_element(By.ID, "status").text

        # a video file instead of the camera: its picker shows once "video file" is chosen, before Start
        assert not driver.find_element(By.ID, "file").is_displayed()
        Select(driver.find_element(By.ID, "source-kind")).select_by_value("file")
        assert driver.find_element(By.ID, "file").is_displayed()
        # the clip's own size (240x160) is sent and dreamt
        driver.find_element(By.ID, "file").send_keys(str(SAMPLES / "pan.mp4"))
        _wait(
            lambda: driver.find_element(By.ID, "source").get_attribute("width") == "240" and shown(),
            120,
            "dreamt frames of the video file",
        )
        assert driver.find_element(By.ID, "dreamt").get_attribute("height") == "160"
        driver.find_element(By.ID, "stop").click()
    finally:
        driver.quit()
        running.stop()


def _saved(driver) -> bytes:
    """The bytes of the page's last download (the blob its link points at)."""
    import base64

    data = driver.execute_async_script("""
        const done = arguments[arguments.length - 1], link = document.getElementById('saved');
        if (!link.href) { done(null); return; }
        fetch(link.href).then((r) => r.arrayBuffer()).then((b) => {
          let s = ''; new Uint8Array(b).forEach((x) => { s += String.fromCharCode(x); }); done(btoa(s));
        });""")
    return base64.b64decode(data) if data else b""


def snapshot_and_record(driver, status) -> None:
    """Snapshot: the dreamt frame as a PNG carrying the stream's settings; Record: a WebM clip of the
    dreamt stream; the controls row keeps its place whatever the preset's description."""
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from test_web_studio import _wait

    driver.find_element(By.ID, "snapshot").click()
    _wait(lambda: driver.find_element(By.ID, "saved").get_attribute("download"), 30, "the snapshot")
    png = Image.open(io.BytesIO(_saved(driver)))
    size = [int(driver.find_element(By.ID, "dreamt").get_attribute(a)) for a in ("width", "height")]
    assert png.format == "PNG" and list(png.size) == size
    meta = json.loads(png.text["deepdream"])
    assert meta["mode"] == "live" and meta["settings"]["dream"]["layers"] == ["block5a_expand"]
    assert driver.find_element(By.ID, "saved").get_attribute("download").startswith("live_subtle_f")

    driver.find_element(By.ID, "record").click()
    time.sleep(2.5)
    driver.find_element(By.ID, "record").click()
    _wait(lambda: driver.find_element(By.ID, "saved").get_attribute("download").endswith(".webm"), 30, "the clip")
    clip = _saved(driver)
    assert clip[:4] == bytes.fromhex("1a45dfa3") and len(clip) > 1000  # a WebM (EBML) file with frames

    strength = driver.find_element(By.ID, "strength")
    places = set()
    for name in ("classic", "subtle", "swirls"):
        if driver.find_elements(By.CSS_SELECTOR, f"#preset option[value={name}]"):
            Select(driver.find_element(By.ID, "preset")).select_by_value(name)
            places.add((strength.location["x"], strength.location["y"]))
    assert len(places) == 1, places


def save_gif(driver, shown, path, count: int = 12, scale: float = 0.75) -> None:
    """`count` successive dreamt frames beside the frames sent, read from the page's canvases."""
    import base64

    shots, last = [], None
    deadline = time.monotonic() + 10 * count
    while len(shots) < count and time.monotonic() < deadline:
        frame = shown()
        if frame and frame != last:
            urls = driver.execute_script(
                "return ['source', 'dreamt'].map((id) => document.getElementById(id).toDataURL('image/png'))"
            )
            pair = [Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("RGB") for u in urls]
            if pair[0].size == pair[1].size:
                strip = Image.fromarray(np.hstack([np.asarray(p) for p in pair]))
                shots.append(strip.resize((round(strip.width * scale), round(strip.height * scale)), Image.LANCZOS))
            last = frame
        time.sleep(0.03)
    palette = shots[len(shots) // 2].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames_ = [s.quantize(palette=palette, dither=Image.Dither.NONE) for s in shots]
    frames_[0].save(path, save_all=True, append_images=frames_[1:], duration=150, loop=0, optimize=True)
