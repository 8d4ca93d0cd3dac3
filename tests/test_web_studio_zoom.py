"""The studio's zoom: the timeline typed on the page (TOML or JSON) plotted option by option
(value against frame), a bad timeline said in the CLI's own line, the clip rendered frame by frame
with the command (and the timeline file) that makes it again, and hostile timelines and clips
refused before any work."""

from __future__ import annotations

import json
import re
import shlex
from html import escape
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")

from conftest import SAMPLES, cli
from PIL import Image
from test_web_studio import browser, page_values, studio_url  # noqa: F401 (fixtures)

gr = pytest.importorskip("gradio")


def zoom_values(**changes):
    """The page in zoom mode: a tiny clip of the cat (3 frames of 64 px, one step each)."""
    tiny = dict(picture=str(SAMPLES / "chelsea.png"), frames=3, steps=1, octaves=1, frame_steps=1, max_side=64)
    return page_values(mode="zoom", **{**tiny, **changes})


def polylines(html: str, option: str) -> dict:
    """series -> [(x, y), ...] of the plot of `option` in the page's plots."""
    figure = re.search(rf'<figure class="schedule" data-option="{option}".*?</figure>', html).group(0)
    return {
        label: [tuple(map(float, p.split(","))) for p in points.split()]
        for label, points in re.findall(r'<polyline data-series="([^"]+)" points="([^"]+)"', figure)
    }


def test_each_scheduled_option_is_plotted_value_against_frame():
    from deepdream.web.studio_render import timeline_plots

    timeline = (
        'step-size = "0:1, 3:4"\nnormalize = "0:mean, 3:laplacian"\nlayer = "0:block4a_expand, 3:block6a_expand"\n'
        "[translate]\n0 = [0, 0]\n3 = [6, -3]\n"
    )
    html = timeline_plots(*zoom_values(frames=4, timeline=timeline))
    # x: frames 0..3 across 44..292 px; y: the lowest value at 70 px, the highest at 8 px
    assert polylines(html, "step-size") == {"value": [(44.0, 70.0), (126.7, 49.3), (209.3, 28.7), (292.0, 8.0)]}
    pair = polylines(html, "translate")  # dx 0..6 and dy 0..-3 on one scale, -3 to 6
    assert pair["dx"] == [(44.0, 49.3), (126.7, 35.6), (209.3, 21.8), (292.0, 8.0)]
    assert pair["dy"] == [(44.0, 49.3), (126.7, 56.2), (209.3, 63.1), (292.0, 70.0)]
    # a layer schedule moves the weight from one layer to the next (0 at 70 px, 1 at 8 px)
    layers = polylines(html, "layer")
    assert [y for _, y in layers["block4a_expand"]] == [8.0, 28.7, 49.3, 70.0]
    assert [y for _, y in layers["block6a_expand"]] == [70.0, 49.3, 28.7, 8.0]
    # a step rule switches half way: frames 0-1 mean, 2-3 laplacian
    runs = re.findall(r'data-run="([^"]+)" data-frames="([^"]+)"', html)
    assert runs == [("mean", "0-1"), ("laplacian", "2-3")]
    assert timeline_plots(*zoom_values(timeline="")).startswith('<p class="schedules-none">No schedules')
    assert timeline_plots(*page_values(mode="dream")) == ""


def test_a_bad_timeline_is_the_clis_one_line_on_the_page(tmp_path):
    from deepdream.web.studio_render import preview, timeline_plots

    cases = {
        'step-size = "0:1, 48:6"\n': "timeline.toml",  # past the 3-frame clip
        '{"seed": 3}': "timeline.json",  # not a setting that moves
        'step-size = "0:1, 2:300"\n': "timeline.toml",  # over the field's limit
        "step-size = [1, 2\n": "timeline.toml",  # not TOML
    }
    for text, name in cases.items():
        (tmp_path / name).write_text(text)
        said = cli("zoom", SAMPLES / "chelsea.png", "-o", tmp_path / "z.gif", "--frames", "3", "--keyframes", name,
                   cwd=tmp_path)  # fmt: skip
        assert said.returncode == 2, said
        line = said.stderr.strip().removeprefix("deepdream: error: ")
        assert "\n" not in line and "Traceback" not in said.stderr
        html = timeline_plots(*zoom_values(timeline=text))
        assert html == f'<p class="error schedules-error" style="color:#b91c1c">{escape(line)}</p>'
        assert preview(*zoom_values(timeline=text)) == f"# not yet: {line}"


def test_the_zoom_renders_frame_by_frame_and_gives_the_clip_and_its_command(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    timeline = '{"step-size": {"0": 1, "2": 4}}'
    service = Service()
    try:
        updates = list(make_render(service, tmp_path, SAMPLES)(*zoom_values(timeline=timeline, seed=2)))
    finally:
        service.close()
    shown = [u[1] for u in updates if isinstance(u[0], np.ndarray)]
    assert [s.split(",")[0] for s in shown] == ["Frame 1/3", "Frame 2/3", "Frame 3/3"]
    gif, status, downloads, command = updates[-1]
    assert status.startswith("Done: 3 frames of 64x43 in ")
    assert [Path(d).name for d in downloads] == ["chelsea_zoom_s2.gif", "chelsea_zoom_s2_last.png", "timeline.json"]
    clip = Image.open(gif)
    assert (clip.format, clip.size, clip.n_frames) == ("GIF", (64, 43), 3)
    assert Path(downloads[2]).read_text() == timeline
    meta = json.loads(Image.open(downloads[1]).text["deepdream"])
    assert meta["settings"]["dream"]["step_size"] == "0:1, 2:4" and meta["settings"]["frames"] == 3
    lines = command.splitlines()
    assert lines[:3] == ["cat > timeline.json <<'TIMELINE'", timeline, "TIMELINE"]
    assert lines[3] == (
        "deepdream zoom chelsea.png -o chelsea_zoom_s2.gif --keyframes timeline.json --frame-steps 1 --frames 3 "
        "--octaves 1 --steps 1 --seed 2 --max-side 64"
    )


@pytest.mark.slow  # the same clip from the command line too (seconds)
def test_the_pages_command_makes_the_same_clip(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    try:
        gif, _, downloads, command = list(
            make_render(service, tmp_path, SAMPLES)(*zoom_values(timeline='zoom = "0:1.2, 2:1.8"\n'))
        )[-1]
    finally:
        service.close()
    (tmp_path / "chelsea.png").write_bytes((SAMPLES / "chelsea.png").read_bytes())
    (tmp_path / "timeline.toml").write_text(Path(downloads[-1]).read_text())
    words = shlex.split(command.splitlines()[-1])
    assert cli(*words[1:], cwd=tmp_path).returncode == 0
    assert (tmp_path / "chelsea_zoom_s0.gif").read_bytes() == Path(gif).read_bytes()


def test_hostile_timelines_and_clips_are_refused_before_any_work(tmp_path):
    from deepdream.web.service import Service
    from deepdream.web.studio_render import make_render

    service = Service()
    render = make_render(service, tmp_path, SAMPLES)
    cases = {
        "a long text": (
            dict(timeline="#" * 10_001),
            "The timeline is 10,001 characters; the limit is 10,000.",
        ),
        "a huge frame number": (
            dict(timeline='step-size = "0:1, 99999999999:4"'),
            "--step-size keyframe 99999999999:4 is past the clip, whose 3 frames are 0 to 2; move it, or make "
            "more frames.",
        ),
        "nested junk": (
            dict(timeline='{"zoom": {"0": {"a": [[[1]]]}}}'),
            "Keyframes file 'timeline.json': zoom keyframe '0' must be a number, a text or a pair of numbers "
            '(got a dict); write FRAME:VALUE, FRAME:VALUE (frames from 0), e.g. "0:0.5, 48:6", or SECONDSs:VALUE, '
            'e.g. "0s:0.5, 4s:6".',
        ),
        "deep nesting": (
            dict(timeline='{"zoom": ' + "[" * 4000 + "]" * 4000 + "}"),
            "Keyframes file 'timeline.json' is not valid JSON (maximum recursion depth exceeded",
        ),
        "too many frames": (
            dict(frames=500, timeline=""),
            "A zoom of 500 frames is over this server's limit of 120 frames; make fewer frames (a longer clip is "
            "`deepdream zoom` on the command line).",
        ),
        "too much work": (
            dict(frames=120, max_side=512, timeline='frame-steps = "0:3, 119:60"'),
            "This render is about 511 million pixel-steps (451x300, 120 frames: the first 1 octave of 1 step; "
            "the later frames' octaves 1, steps 0:3, 119:60), over this server's budget of 150 million; use fewer "
            "frames, steps, octaves or a smaller picture, or start the server with a larger --max-work.",
        ),
        "a path instead of an upload": (
            dict(picture="/etc/hostname", timeline=""),
            "The picture was not uploaded through this page; drop it on the page again.",
        ),
    }
    try:
        for what, (changes, words) in cases.items():
            with pytest.raises(gr.Error) as refused:
                list(render(*zoom_values(**changes)))
            assert refused.value.message.startswith(words), (what, refused.value.message)
            assert service.waiting("efficientnet-lite2") == 0, what  # nothing was queued
    finally:
        service.close()


# ----------------------------------------------------------------------------------- in Chromium

#: Set to a path to also save the zoom mode's screenshot there (after its clip is made).
ZOOM_SHOT_ENV = "DEEPDREAM_ZOOM_SCREENSHOT"


@pytest.mark.slow  # a browser and a small clip
def test_the_zoom_mode_in_chromium_plots_the_timeline_and_renders_the_clip(browser, studio_url, tmp_path):  # noqa: F811
    """In a real page: picking vgg16 moves the strength to its own 1.5; the zoom mode (which starts
    its controls afresh) shows the
    timeline box with a plot per option; a timeline past the clip shows the CLI's line; the clip
    renders and comes back as an animated GIF with its command."""
    import os
    import time
    import urllib.request

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_web_studio import _wait

    def find(selector):
        return browser.find_elements(By.CSS_SELECTOR, selector)

    def command():
        return find("#command textarea")[0].get_attribute("value")

    def set_text(selector, value):
        field = find(selector)[0]
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(str(value), Keys.TAB)

    def pick(box, name):
        field = find(f"#{box} input")[0]
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(name)
        time.sleep(0.5)
        field.send_keys(Keys.ENTER)

    def shot(path):
        """The whole page, as tall as it is, saved at `path` (none: nothing saved)."""
        if path:
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1366, min(max(int(height), 900), 2400))
            time.sleep(0.5)
            browser.save_screenshot(path)
            browser.set_window_size(1366, 900)

    browser.set_window_size(1366, 900)
    browser.get(studio_url)
    _wait(lambda: find("#render") and find("#layers input"), 60, "the studio page")
    pick("backbone", "vgg16")
    strength = "#step-size input[type=number]"
    _wait(lambda: find(strength)[0].get_attribute("value") == "1.5", 30, "vgg16's own step size")
    _wait(lambda: command().endswith("--backbone vgg16 --max-side 512"), 30, "the vgg16 command")
    browser.find_element(By.XPATH, "//*[@id='mode']//label[contains(., 'zoom')]").click()
    _wait(lambda: find("#timeline textarea"), 30, "the timeline box")
    _wait(lambda: len(find("#timeline-plots figure svg polyline")) == 2, 30, "the example's two plots")
    assert [f.get_attribute("data-option") for f in find("#timeline-plots figure")] == ["zoom", "step-size"]
    shot(os.environ.get(ZOOM_SHOT_ENV, "").replace(".png", "_plots.png"))
    find("#picture input[type=file]")[0].send_keys(str(SAMPLES / "chelsea.png"))
    _wait(lambda: find("#picture img"), 30, "the uploaded picture's preview")
    for selector, value in (("#frames", 3), ("#steps", 1), ("#octaves", 1)):
        set_text(f"{selector} input[type=number]", value)
    _wait(lambda: find("#timeline-plots .error"), 30, "the example's keyframes past a 3-frame clip")
    assert find("#timeline-plots .error")[0].text == (
        "--zoom keyframe 24:1.2 is past the clip, whose 3 frames are 0 to 2; move it, or make more frames."
    )
    browser.execute_script(  # pasted in one go (typed, each key is a preview of the page: seconds)
        "const box = document.querySelector('#timeline textarea'); box.value = arguments[0];"
        "box.dispatchEvent(new Event('input', {bubbles: true}));",
        'step-size = "0:1, 2:3"',
    )
    _wait(lambda: find("#timeline-plots polyline"), 30, "the new timeline's plot")
    points = find("#timeline-plots polyline")[0].get_attribute("points")
    assert points == "44.0,70.0 168.0,39.0 292.0,8.0"
    browser.find_element(By.XPATH, "//button[contains(., 'More options')]").click()
    _wait(lambda: find("#max-side input"), 10, "the more options panel")
    set_text("#max-side input", 64)
    _wait(lambda: "--max-side 64" in command(), 30, "the command following the controls")
    find("#render")[0].click()
    _wait(lambda: find("#status")[0].text.startswith(("Done", "Error")), 240, "the clip")
    assert find("#status")[0].text.startswith("Done: 3 frames of 64x43"), find("#status")[0].text
    source = find("#result img")[0].get_attribute("src")
    clip = Image.open(__import__("io").BytesIO(urllib.request.urlopen(source, timeout=30).read()))
    assert (clip.format, clip.n_frames, clip.size) == ("GIF", 3, (64, 43))
    assert command().splitlines()[-1] == (
        "deepdream zoom chelsea.png -o chelsea_zoom_s0.gif --keyframes timeline.toml --frames 3 --octaves 1 "
        "--steps 1 --max-side 64"
    )  # the mode's start: efficientnet-lite2, as every control
    shot(os.environ.get(ZOOM_SHOT_ENV))
