"""The HTTP API's cost per render over the CLI's, at the same settings, in the same run (JSON out).

    python scripts/bench_web.py --size 256 --steps 2 --octaves 1 --requests 10 > web.json

Three ways to make the same dream of samples/chelsea.png shrunk to `size` px:
  engine   `Dreamer.run` in this process, prepared once (the render alone; median of `requests`);
  api      `POST /api/dream` to a warm `deepdream serve` (started here, one request to warm it),
           `requests` requests one after another: the client's wall time each, and the render time
           the server reports (Server-Timing), so the API's own cost is told apart from the render's;
  cli      `deepdream dream IN -o OUT` as a whole process, `cli-runs` times (start-up, TensorFlow
           import, model load and trace included: what each CLI render pays and a warm server does not).
The outputs of the three are checked to hold the same pixels.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summary(values: list[float]) -> dict:
    return {
        "median_ms": ms(statistics.median(values)),
        "min_ms": ms(min(values)),
        "max_ms": ms(max(values)),
        "n": len(values),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="longer side of the input, px")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--octaves", type=int, default=1)
    parser.add_argument("--backbone", default="efficientnet-lite2")
    parser.add_argument("--requests", type=int, default=10, help="renders timed in process and through the API")
    parser.add_argument("--cli-runs", type=int, default=3, help="whole `deepdream dream` processes timed")
    args = parser.parse_args()

    import httpx
    import numpy as np
    from PIL import Image

    from deepdream import images
    from deepdream.render.prepare import prepare
    from deepdream.settings import DreamSettings

    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    source = Image.open(ROOT / "samples" / "chelsea.png").convert("RGB")
    source.thumbnail((args.size, args.size), Image.LANCZOS)
    picture = work / "chelsea.png"
    source.save(picture)
    data = picture.read_bytes()
    settings = DreamSettings(backbone=args.backbone, steps=args.steps, octaves=args.octaves)
    form = {"backbone": args.backbone, "steps": str(args.steps), "octaves": str(args.octaves)}

    # engine: Dreamer.run in this process
    start = time.perf_counter()
    dreamer = prepare(settings)
    prepare_s = time.perf_counter() - start
    loaded = images.load_image(picture)
    engine_out = dreamer.run(loaded)  # warm
    runs = []
    for _ in range(args.requests):
        start = time.perf_counter()
        engine_out = dreamer.run(loaded)
        runs.append(time.perf_counter() - start)
    engine_pixels = np.clip(np.round(engine_out.rgb), 0, 255).astype(np.uint8)

    # api: a warm `deepdream serve`
    port = free_port()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    server = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        with httpx.Client(base_url=url, timeout=600) as client:
            while True:
                try:
                    client.get("/api/backbones")
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.perf_counter() - start > 180:
                        raise SystemExit("deepdream serve did not start") from None
                    time.sleep(0.2)
            up_s = time.perf_counter() - start

            def request():
                begin = time.perf_counter()
                response = client.post("/api/dream", files={"image": ("chelsea.png", data, "image/png")}, data=form)
                wall = time.perf_counter() - begin
                response.raise_for_status()
                render = float(response.headers["server-timing"].split("dur=")[1]) / 1000
                return wall, render, response.content

            first_wall, _, _ = request()  # warm: model load, trace
            walls, renders = [], []
            for _ in range(args.requests):
                wall, render, body = request()
                walls.append(wall)
                renders.append(render)
        api_pixels = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    finally:
        server.terminate()
        server.wait(60)

    # cli: whole processes
    cli = []
    out = work / "out.png"
    for _ in range(args.cli_runs):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "deepdream",
                "dream",
                str(picture),
                "-o",
                str(out),
                "--overwrite",
                "-q",
                "--backbone",
                args.backbone,
                "--steps",
                str(args.steps),
                "--octaves",
                str(args.octaves),
            ],
            check=True,
            env=env,
        )
        cli.append(time.perf_counter() - start)
    cli_pixels = np.asarray(Image.open(out).convert("RGB"))

    engine_ms = statistics.median(runs)
    api_ms = statistics.median(walls)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "settings": {
            "size": list(source.size),
            "backbone": args.backbone,
            "steps": args.steps,
            "octaves": args.octaves,
        },
        "engine": {"prepare_ms": ms(prepare_s), "run": summary(runs)},
        "api": {
            "server_up_ms": ms(up_s),
            "first_request_ms": ms(first_wall),
            "request": summary(walls),
            "server_render": summary(renders),
            "overhead_vs_engine_ms": ms(api_ms - engine_ms),
            "overhead_vs_server_render_ms": ms(
                statistics.median([w - r for w, r in zip(walls, renders, strict=False)])
            ),
        },
        "cli": {"process": summary(cli), "vs_api_request_ms": ms(statistics.median(cli) - api_ms)},
        "same_pixels": bool(np.array_equal(engine_pixels, api_pixels) and np.array_equal(api_pixels, cli_pixels)),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
