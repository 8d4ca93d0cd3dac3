"""The studio: its render generator (progress with a picture per octave, a result PNG carrying its
settings, the command that makes it again), and the page in a real headless Chromium driven by
Selenium: load, upload a picture, render, read the result back, screenshot."""

from __future__ import annotations

import io
import json
import os
import shlex
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install '.[web]'")

from conftest import SAMPLES
from PIL import Image

gr = pytest.importorskip("gradio")

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: Set to a path to also save the page's screenshot there (docs/images/studio.png for the docs).
SCREENSHOT_ENV = "DEEPDREAM_STUDIO_SCREENSHOT"


def page_values(mode="dream", picture=None, **changes):
    """The page's values in the order the render takes them (defaults as the page shows them)."""
    from deepdream.web.studio_render import render_inputs
    from deepdream.web.studio_zoom import EXAMPLE_TIMELINE

    values = dict(
        mode=mode,
        picture=picture,
        guide_picture=None,
        style_picture=None,
        regions=None,
        region_1="",
        region_2="",
        region_3="",
        backbone="efficientnet-lite2",
        layers=[],
        target_class=None,
        size="256x256",
        param="fourier",
        alpha="none",
        steps=12,
        octaves=6,
        step_size=4.0,
        keep_subject=0.0,
        seed=0,
        jitter=32,
        scale_jitter=0.05,
        rotate_jitter=5.0,
        normalize="mean",
        score="l2",
        preserve_colors=False,
        max_side=512,
        octave_scale=1.4,
        blur=0.0,
        chroma=0.3,
        iterations=100,
        style_weight=30.0,
        preset="classic",
        timeline=EXAMPLE_TIMELINE,
        frames=48,
        fps=12.0,
        zoom=1.3,
        rotate=0.0,
        frame_steps=3,
        frame_octaves=1,
    )
    values.update(changes)
    assert set(render_inputs()) == set(values), "the page's inputs are the settings' controls and the page's own"
    return [values[name] for name in render_inputs()]


def test_render_shows_each_octave_then_the_result_with_its_settings_and_command(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    try:
        render = make_render(service, tmp_path, SAMPLES)  # the samples play the uploads folder
        updates = list(
            render(*page_values(picture=str(SAMPLES / "chelsea.png"), steps=1, octaves=2, max_side=96, seed=4))
        )
    finally:
        service.close()
    pictures = [u[0] for u in updates if isinstance(u[0], np.ndarray)]
    assert [p.shape for p in pictures] == [(46, 69, 3), (64, 96, 3)]  # one per octave, smallest first
    result, status, download, command = updates[-1]
    assert status.startswith("Done: 96x64") and result == download
    image = Image.open(download)
    assert image.size == (96, 64)
    meta = json.loads(image.text["deepdream"])
    assert meta["input"] == "chelsea.png" and meta["settings"]["seed"] == 4 and meta["settings"]["octaves"] == 2
    assert command == (
        "deepdream dream chelsea.png -o chelsea_classic_s4.png --octaves 2 --steps 1 --seed 4 --max-side 96"
    )
    assert shlex.split(command)[:3] == ["deepdream", "dream", "chelsea.png"]


def test_regions_painted_on_the_page_dream_each_objective_in_its_own_place(tmp_path):
    """Two layers of the region editor (left half, right half), each with its objective: the render's
    settings name the masks as the command does, the masks come with the result (the command reads
    them), and each half changes by its own objective."""
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    height, width = 64, 96
    left = np.zeros((height, width, 4), np.uint8)
    left[:, : width // 2] = (255, 255, 255, 255)
    right = np.zeros_like(left)
    right[:, width // 2 :] = (255, 255, 255, 255)
    editor = {"background": None, "layers": [left, right], "composite": None}
    service = Service()
    try:
        render = make_render(service, tmp_path, SAMPLES)
        common = dict(picture=str(SAMPLES / "chelsea.png"), steps=3, octaves=1, max_side=96, jitter=0)
        done = list(render(*page_values(regions=editor, region_1="block1a_out", region_2="block5a_expand", **common)))[
            -1
        ]
        with pytest.raises(gr.Error) as unpainted:
            list(
                render(
                    *page_values(
                        regions={"layers": [left]}, region_1="block2b_expand", region_2="block5a_expand", **common
                    )
                )
            )
    finally:
        service.close()
    result, status, downloads, command = done
    assert "region1.png, region2.png" in status and [Path(d).name for d in downloads] == [
        "chelsea_classic_s0.png",
        "region1.png",
        "region2.png",
    ]
    assert np.asarray(Image.open(downloads[1])).tolist() == (left[..., 3]).tolist()
    words = shlex.split(command)
    assert words[words.index("--layer") + 1] == "block1a_out@region1.png"
    assert "block5a_expand@region2.png" in words
    meta = json.loads(Image.open(downloads[0]).text["deepdream"])["settings"]
    assert meta["layers"] == ["block1a_out@region1.png", "block5a_expand@region2.png"]
    assert unpainted.value.message.startswith("Region 2 names 'block5a_expand'; paint where it acts on layer 2")
    photo = np.asarray(
        Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((width, height), Image.LANCZOS), np.float32
    )
    dreamt = np.asarray(Image.open(downloads[0]).convert("RGB"), np.float32)
    fine = np.abs(np.diff(dreamt - photo, axis=1)).mean(axis=(0, 2))  # a shallow layer: pixel-fine change
    assert fine[: width // 2 - 8].mean() > 1.3 * fine[width // 2 + 8 :].mean()


@pytest.mark.slow  # a class painting and a style transfer through the page (seconds)
def test_class_painting_and_style_transfer_from_the_page(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    try:
        render = make_render(service, tmp_path, SAMPLES)
        painted = list(
            render(*page_values(mode="class painting", target_class="golden retriever", size="80x64", steps=1))
        )[-1]
        maco = list(
            render(
                *page_values(
                    mode="class painting", target_class="lemon", size="64x64", steps=1, param="maco", alpha="channel"
                )
            )
        )[-1]
        styled = list(
            render(
                *page_values(
                    mode="style transfer",
                    picture=str(SAMPLES / "chelsea.png"),
                    style_picture=str(SAMPLES / "gravel.png"),
                    backbone="vgg16",
                    max_side=64,
                    iterations=2,
                )
            )
        )[-1]
    finally:
        service.close()
    assert Image.open(painted[2]).size == (80, 64) and Path(painted[2]).name == "golden_retriever_s0.png"
    assert painted[3] == "deepdream class 'golden retriever' -o golden_retriever_s0.png --size 80x64 --steps 1"
    assert maco[3] == "deepdream class lemon -o lemon_s0.png --size 64x64 --steps 1 --param maco --alpha channel"
    assert json.loads(Image.open(maco[2]).text["deepdream"])["settings"]["param"] == "maco"
    assert Image.open(painted[2]).mode == "RGB"
    lemon = np.asarray(Image.open(maco[2]))  # the transparency map as its alpha: 0 (least) to 255 (most)
    assert lemon.shape == (64, 64, 4) and lemon[..., 3].min() == 0 and lemon[..., 3].max() == 255
    assert Image.open(styled[2]).size == (64, 43)
    assert styled[3] == (
        "deepdream style chelsea.png -o chelsea_style_s0.png --iterations 2 --style gravel.png --max-side 64"
    )


def test_a_mistake_on_the_page_is_shown_as_its_one_line_message(tmp_path):
    import gradio as gr

    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    render = make_render(Service(), tmp_path, tmp_path)
    with pytest.raises(gr.Error) as missing:
        list(render(*page_values(picture=None)))
    assert missing.value.message == "Drop a picture on the page first."
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with pytest.raises(gr.Error) as bad:
        list(render(*page_values(picture=str(text))))
    assert bad.value.message.startswith("'notes.txt' is not an image deepdream can read")
    with pytest.raises(gr.Error) as painted:
        list(render(*page_values(mode="class painting", target_class=None)))
    assert painted.value.message.startswith("Name the class to paint")


# ----------------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(
            f"needs Chromium and its driver ({CHROMIUM}, {CHROMEDRIVER}): apt-get install chromium chromium-driver"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install '.[test]'")
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="deepdream-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def studio_url():
    from test_web_api import Running

    from deepdream.web import create_app

    running = Running(create_app())
    yield running.url + "/"
    running.stop()


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.mark.slow  # a browser
def test_the_page_in_chromium_uploads_renders_and_gives_the_result(browser, studio_url, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def find(selector):
        return browser.find_elements(By.CSS_SELECTOR, selector)

    def set_number(selector, value):
        field = find(selector)[0]
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(str(value), Keys.TAB)

    browser.set_window_size(1400, 1000)
    browser.get(studio_url)
    _wait(lambda: find("#render"), 60, "the studio page")
    assert "deepdream studio" in browser.title
    _wait(lambda: find("#layers input"), 30, "the layer list")
    find("#picture input[type=file]")[0].send_keys(str(SAMPLES / "chelsea.png"))
    _wait(lambda: find("#picture img"), 30, "the uploaded picture's preview")
    set_number("#steps input[type=number]", 1)
    set_number("#octaves input[type=number]", 2)
    browser.find_element(By.XPATH, "//button[contains(., 'More options')]").click()
    _wait(lambda: find("#max-side input"), 10, "the more options panel")
    set_number("#max-side input", 96)
    time.sleep(0.5)  # let the page take the last value
    find("#render")[0].click()
    statuses = []

    def done():
        text = find("#status")[0].text
        if not statuses or statuses[-1] != text:
            statuses.append(text)
        return text.startswith("Done") or "rror" in text

    _wait(done, 180, "the render")
    assert statuses[-1].startswith("Done: 96x64"), statuses
    source = _wait(lambda: (find("#result img") or [None])[0], 30, "the result picture").get_attribute("src")
    result = Image.open(io.BytesIO(urllib.request.urlopen(source, timeout=30).read()))
    assert result.size == (96, 64)
    assert json.loads(result.text["deepdream"])["settings"]["max_side"] == 96
    command = find("#command textarea")[0].get_attribute("value")
    assert command == "deepdream dream chelsea.png -o chelsea_classic_s0.png --octaves 2 --steps 1 --max-side 96"
    links = [a.get_attribute("href") for a in find("#download a")]
    assert links and links[0].endswith("chelsea_classic_s0.png")
    # no error popped up on the way (the page's first calls come in on several threads at once)
    assert [t.text for t in find("[data-testid='toast-body']")] == []

    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(max(int(height), 900), 2200))
    time.sleep(0.5)
    shot = tmp_path / "studio.png"
    assert browser.save_screenshot(str(shot))
    assert Image.open(shot).size[0] >= 1000
    if os.environ.get(SCREENSHOT_ENV):
        Path(os.environ[SCREENSHOT_ENV]).write_bytes(shot.read_bytes())


def test_a_preset_chosen_on_the_page_is_rendered_and_named_in_the_command(tmp_path):
    """The preset menu sets the controls to the preset's values (its step size and chroma, as the
    page passes them here); the render carries the preset, and the command names the preset
    instead of its options."""
    from deepdream.settings import PRESETS
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    subtle = PRESETS["subtle"].values
    service = Service()
    try:
        render = make_render(service, tmp_path, SAMPLES)
        done = list(
            render(
                *page_values(
                    picture=str(SAMPLES / "chelsea.png"),
                    preset="subtle",
                    steps=1,
                    octaves=1,
                    step_size=subtle["step_size"],
                    chroma=subtle["chroma"],
                    max_side=64,
                )
            )
        )[-1]
    finally:
        service.close()
    meta = json.loads(Image.open(done[2]).text["deepdream"])["settings"]
    assert (
        meta["preset"] == "subtle" and meta["chroma"] == subtle["chroma"] and meta["step_size"] == subtle["step_size"]
    )
    assert (
        done[3]
        == "deepdream dream chelsea.png -o chelsea_subtle_s0.png --octaves 1 --steps 1 --max-side 64 --preset subtle"
    )


# ------------------------------------------------------------- cancel, time left, the command before Render


def test_cancel_stops_the_render_at_its_next_step_and_the_status_says_so(tmp_path):
    """The page's Cancel (`render.cancel(token)`) stops the render on the server at its next step:
    no progress after it, the status says cancelled, no result written. The status speaks the
    mode's words and gives the time left from the steps done."""
    import threading

    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    updates: list = []
    try:
        render = make_render(service, tmp_path, SAMPLES)
        values = page_values(picture=str(SAMPLES / "chelsea.png"), steps=200, octaves=2, max_side=64)
        stepping = threading.Event()

        def watch():
            for update in render(*values, token="page-1"):
                updates.append(update)
                if "step 3/" in str(update[1]):
                    stepping.set()

        thread = threading.Thread(target=watch)
        thread.start()
        assert stepping.wait(120), updates
        render.cancel("page-1")
        at = len([u for u in updates if "step" in str(u[1])])
        thread.join(60)
        assert not thread.is_alive()
    finally:
        service.close()
    statuses = [u[1] for u in updates if isinstance(u[1], str)]
    assert statuses[-1].startswith("Cancelled"), statuses
    steps = [s for s in statuses if s.startswith("Octave")]
    assert len(steps) <= at + 3, steps  # stopped at its next step (a status or two were on the way)
    assert steps[-1].endswith("s left") and "step 200/200" not in steps[-1], steps
    assert not list(tmp_path.glob("*/*.png"))


def test_a_class_painting_says_painting_step_and_the_command_follows_the_controls():
    import queue

    from deepdream.render.events import DreamProgress
    from deepdream.web.studio_progress import reporter
    from deepdream.web.studio_render import preview

    events: queue.Queue = queue.Queue()

    report = reporter(events, "class painting")
    report(DreamProgress(1, 1, 3, 40, (64, 64), 0.0, ((64, 64),)))
    assert events.get()[0] == "Painting step 3 of 40"  # not "Octave 1/1"
    # the command before Render: no class unless one is chosen; "" (the "none" choice) is none
    plain = "deepdream dream picture.png -o picture_classic_s0.png --max-side 512"
    assert preview(*page_values(target_class="")) == plain
    assert "--class lemon" in preview(*page_values(target_class="lemon"))
    assert preview(*page_values(mode="class painting", target_class=None)).startswith("# not yet: Name the class")
    guided = preview(*page_values(mode="guided dream", picture="/up/x/coffee.png", guide_picture="/up/y/brick.png"))
    assert guided == "deepdream dream coffee.png -o coffee_guided_s0.png --guide brick.png --max-side 512"


def _in_view(browser, element) -> bool:
    box = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right, "
        "window.innerHeight, window.innerWidth];",
        element,
    )
    top, bottom, left, right, height, width = box
    return top >= 0 and bottom <= height and left >= 0 and right <= width and bottom > top


@pytest.mark.slow  # a browser and three small renders
def test_the_page_on_a_laptop_screen_keeps_no_class_between_modes_keeps_results_and_cancels(browser, studio_url):
    """At 1366x768 Render and the result are both in view; a class painting's class does not carry
    into a dream (the command says so before Render, and the result's settings after); the history
    keeps both results; Cancel stops a long render and the status says so."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from deepdream.settings import PRESETS, DreamSettings

    def find(selector):
        return browser.find_elements(By.CSS_SELECTOR, selector)

    def command():
        return find("#command textarea")[0].get_attribute("value")

    def status():
        return find("#status")[0].text

    def set_number(selector, value):
        field = find(selector)[0]
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(str(value), Keys.TAB)

    def mode(name):
        browser.find_element(By.XPATH, f"//*[@id='mode']//label[contains(., '{name}')]").click()

    browser.set_window_size(1366, 768)
    browser.get(studio_url)
    _wait(lambda: find("#render"), 60, "the studio page")
    _wait(lambda: find("#layers input"), 30, "the layer list")
    assert _in_view(browser, find("#render")[0]) and _in_view(browser, find("#result")[0])
    _wait(lambda: command().startswith("deepdream dream picture.png"), 30, "the command before anything is done")

    def preset(name):
        box = find("#preset input")[0]
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(name)
        time.sleep(0.5)
        box.send_keys(Keys.ENTER)

    def octaves():
        return find("#octaves input[type=number]")[0].get_attribute("value")

    # "↺ its values" puts back the preset's own values, not the fields' defaults
    own = str(PRESETS["intense"].values["octaves"])
    preset("intense")
    _wait(lambda: octaves() == own, 30, "intense's octaves")
    set_number("#octaves input[type=number]", 2)
    find("#preset-reset")[0].click()
    _wait(lambda: octaves() == own, 30, "intense's octaves put back")
    preset("classic")
    _wait(lambda: octaves() == str(DreamSettings.default("octaves")), 30, "classic's octaves")

    mode("class painting")
    _wait(lambda: command().startswith("# not yet: Name the class"), 30, "the command asking for a class")
    box = find("#class input")[0]
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("lemon")
    time.sleep(0.5)
    box.send_keys(Keys.ENTER)
    _wait(lambda: command().startswith("deepdream class lemon"), 30, "the class painting's command")
    mode("dream")
    _wait(lambda: command().startswith("deepdream dream picture.png"), 30, "the dream's command")
    assert "--class" not in command()
    find("#picture input[type=file]")[0].send_keys(str(SAMPLES / "chelsea.png"))
    _wait(lambda: find("#picture img"), 30, "the uploaded picture's preview")
    set_number("#steps input[type=number]", 1)
    set_number("#octaves input[type=number]", 1)
    set_number("#seed input[type=number]", 3)
    _wait(lambda: "chelsea_classic_s3.png" in command(), 30, "the command following the controls")
    assert "--class" not in command()

    def rendered(count):
        find("#render")[0].click()
        _wait(lambda: len(find("#history img")) >= count or "rror" in status(), 180, f"render {count}")
        assert status().startswith("Done"), status()

    rendered(1)
    source = _wait(lambda: (find("#result img") or [None])[0], 30, "the result picture").get_attribute("src")
    meta = json.loads(Image.open(io.BytesIO(urllib.request.urlopen(source, timeout=30).read())).text["deepdream"])
    assert meta["settings"]["target_class"] is None and meta["settings"]["seed"] == 3
    set_number("#seed input[type=number]", 4)
    _wait(lambda: "chelsea_classic_s4.png" in command(), 30, "the new seed in the command")
    rendered(2)
    assert len(find("#history img")) == 2
    if os.environ.get("DEEPDREAM_HISTORY_SHOT"):
        browser.execute_script("document.getElementById('history').scrollIntoView()")
        browser.save_screenshot(os.environ["DEEPDREAM_HISTORY_SHOT"])

    set_number("#steps input[type=number]", 400)
    time.sleep(0.5)
    find("#render")[0].click()
    _wait(lambda: "/400, about" in status(), 120, "the long render's steps and time left")
    assert find("#result.stale") or find("#result .stale") or "stale" in find("#result")[0].get_attribute("class")
    find("#cancel")[0].click()
    _wait(lambda: status().startswith("Cancelled"), 60, "the render cancelled")
    assert len(find("#history img")) == 2 and find("#result img")  # the last result is still shown


def test_a_guided_dream_takes_several_guides_as_the_cli_does(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render, preview

    guides = [(str(SAMPLES / "brick.png"), None), (str(SAMPLES / "gravel.png"), None)]  # a gallery's value
    values = page_values(
        mode="guided dream", picture=str(SAMPLES / "coffee.png"), guide_picture=guides, steps=1, octaves=1, max_side=64
    )
    expected = "deepdream dream coffee.png -o coffee_guided_s0.png --octaves 1 --steps 1 --guide brick.png"
    expected += " --guide gravel.png --max-side 64"
    assert preview(*values) == expected
    service = Service()
    try:
        done = list(make_render(service, tmp_path, SAMPLES)(*values))[-1]
    finally:
        service.close()
    assert done[3] == expected
    assert len(json.loads(Image.open(done[2]).text["deepdream"])["settings"]["guide"]) == 2


def test_one_region_painted_the_rest_of_the_picture_dreams_with_the_networks_own_layers(tmp_path):
    """As the regions' help says: outside the painted region the picture dreams as without regions
    (the network's own layers here), in a mask of its own (rest.png, offered with the region's)."""
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    height, width = 64, 96
    left = np.zeros((height, width, 4), np.uint8)
    left[:, : width // 2] = (255, 255, 255, 255)
    service = Service()
    try:
        render = make_render(service, tmp_path, SAMPLES)
        values = page_values(
            picture=str(SAMPLES / "chelsea.png"), steps=3, octaves=1, max_side=96, jitter=0,
            regions={"layers": [left]}, region_1="block1a_out",
        )  # fmt: skip
        result, status, downloads, command = list(render(*values))[-1]
        own = [name for name, _ in service.backbone("efficientnet-lite2").default_layers]
    finally:
        service.close()
    assert [Path(d).name for d in downloads] == ["chelsea_classic_s0.png", "region1.png", "rest.png"]
    meta = json.loads(Image.open(downloads[0]).text["deepdream"])["settings"]
    assert [layer.split("=")[0].split("@")[0] for layer in meta["layers"][:-1]] == own
    assert all(layer.endswith("@rest.png") for layer in meta["layers"][:-1])
    assert meta["layers"][-1] == "block1a_out@region1.png" and "rest.png" in command
    assert np.asarray(Image.open(downloads[2]))[:, -1].min() == 255  # the right edge is the rest
    photo = np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((width, height), Image.LANCZOS))
    dreamt = np.asarray(Image.open(downloads[0]).convert("RGB"), np.float32)
    assert np.abs(dreamt - photo)[:, width // 2 + 8 :].mean() > 2  # the rest was dreamt


def test_an_error_is_said_once_in_the_status_and_the_last_result_stays_then_results_are_kept(tmp_path):
    """The page's render (`page_render`): a mistake comes as one status line (no exception, so no
    error badge on every output) and leaves the result pane as it was, only no longer dimmed; a
    result joins the history, which "dream again" takes the picture from."""
    from deepdream.web import studio_session as session
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    try:
        run = session.page_render(make_render(service, tmp_path, SAMPLES))
        failed = list(run("page", [], *page_values(picture=None)))
        done = list(
            run("page", [], *page_values(picture=str(SAMPLES / "chelsea.png"), steps=1, octaves=1, max_side=64))
        )
    finally:
        service.close()
    assert failed[0][0]["elem_classes"] == ["stale"] and failed[0][0]["label"] == session.PREVIOUS
    assert failed[-1][1] == "**Error:** Drop a picture on the page first."
    assert "value" not in failed[-1][0] and failed[-1][0]["elem_classes"] == []  # the last result stays
    path, status, download, command, gallery, history = done[-1]
    assert status.startswith("Done") and history == [(path, f"chelsea_classic_s0.png: {command}")] == gallery
    assert session.again(history, 0) == path and session.again([("a.png", ""), *history], 1) == path
