"""The docs' screenshot of the studio after a real dream: a `deepdream serve` on a free port, headless
Chromium (Selenium) uploads a photo, renders it at the page's defaults, and the page is saved as a PNG.

    python scripts/studio_screenshot.py                       # docs/images/studio.png
    python scripts/studio_screenshot.py --photo samples/coffee.png -o /tmp/studio.png

Needs the web and test extras (pip install ".[test]") and Chromium with its driver
(apt-get install chromium chromium-driver).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(port: int):
    """`deepdream serve` on `port`, until it answers; stopped after."""
    process = subprocess.Popen([sys.executable, "-m", "deepdream", "serve", "--port", str(port)])
    try:
        for _ in range(900):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None:
                raise SystemExit("deepdream serve ended before it answered")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=60)


def wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise SystemExit(f"timed out after {seconds:.0f} s waiting for {what}")


def shoot(url: str, photo: Path, out: Path, width: int, height: int) -> str:
    """Upload `photo`, render at the defaults, save the page; the status line at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="deepdream-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            find = lambda selector: browser.find_elements(By.CSS_SELECTOR, selector)  # noqa: E731
            browser.get(url)
            wait(lambda: find("#render"), 120, "the studio page")
            wait(lambda: find("#layers input"), 60, "the layer list")
            find("#picture input[type=file]")[0].send_keys(str(photo.resolve()))
            wait(lambda: find("#picture img"), 60, "the uploaded picture's preview")
            time.sleep(0.5)
            find("#render")[0].click()
            status = wait(
                lambda: (lambda t: t if t.startswith("Done") or "rror" in t else None)(find("#status")[0].text),
                600,
                "the render",
            )
            wait(lambda: find("#result img"), 60, "the result picture")
            browser.execute_script("window.scrollTo(0, 0)")
            time.sleep(1.0)
            browser.save_screenshot(str(out))
            return status
        finally:
            browser.quit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", type=Path, default=ROOT / "samples" / "chelsea.png")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "images" / "studio.png")
    parser.add_argument("--size", default="1366x900", help="the browser window, WxH")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    with server(free_port()) as url:
        status = shoot(url, args.photo, args.output, width, height)
    print(f"{args.output}: {status}")
    return 0 if status.startswith("Done") else 1


if __name__ == "__main__":
    sys.exit(main())
