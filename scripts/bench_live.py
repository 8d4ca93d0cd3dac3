"""Live dreams through a real `deepdream serve` (JSON on stdout): frames per second end to end, latency,
and flicker of flow-carried frames against `{"independent": true}`, on a panning clip.

    python scripts/bench_live.py > live.json
    python scripts/bench_live.py --frames 60 --size 320x240 --settings '{"step-size": 6}'

The clip is made here (as scripts/bench_motion.py's motions case does): a picture panned 3 px a frame,
H.264, so the camera's motion is known. A `deepdream serve` is started on a free port (as a user
runs it) and the clip's frames are sent to `/api/live` as JPEG (quality 90, as a browser does):
  closed   closed loop with the live defaults (`{}` or --settings): send a frame, wait for its
           answer, send the next. fps = frames after the first / their time; latency = send to
           answer, per frame (p50, p90, p99, max). The first frame (its shape traced) is apart.
  flicker  the answers of `closed` and of the same clip with `{"independent": true}`, decoded:
           mean |frame_k - frame_{k-1} moved by the known pan| (bench_motion.motion_flicker), and
           strength (mean |dreamt - raw|), so a stabiliser that wins by dreaming fainter shows;
           ratio = carried / independent (the bar: at most 0.7). Both runs are in this one run.
           build_up: the strength of frame k, carried and independent (the dream growing).
  open     open loop: frames sent at --camera-fps whatever the answers (a camera does not wait);
           frames still waiting when the next comes are dropped by the server: answered and
           dropped counts, and the latency of the answered ones (bounded: about two frames' work).
`uptime`'s load is reported before and after: other processes on the machine slow every figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(seconds: list[float]) -> dict:
    values = np.array(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p90_ms": round(float(np.percentile(values, 90)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "max_ms": round(float(values.max()), 1),
        "n": len(seconds),
    }


def jpeg(rgb, quality=90) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def decoded(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def start_server(port: int):
    import httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen(
        [sys.executable, "-m", "deepdream", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    start = time.perf_counter()
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/live", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.perf_counter() - start > 300:
            server.kill()
            raise SystemExit(f"deepdream serve did not start: {server.stdout.read()[-2000:]}")
        time.sleep(0.5)


def connect(port: int):
    from websockets.sync.client import connect as ws_connect

    return ws_connect(f"ws://127.0.0.1:{port}/api/live", max_size=None, open_timeout=60)


def ready(ws, settings: dict) -> dict:
    ws.send(json.dumps(settings))
    answer = json.loads(ws.recv(timeout=600))
    if "error" in answer:
        raise SystemExit(f"the server refused the settings: {answer['error']}")
    return answer


def closed_loop(port: int, raws, settings: dict) -> dict:
    """Each frame sent when the last one's answer came: its latency, and the answers."""
    with connect(port) as ws:
        t = time.perf_counter()
        ready(ws, settings)
        prepare = time.perf_counter() - t
        latencies, outs = [], []
        start = None
        for index, raw in enumerate(raws):
            if index == 1:
                start = time.perf_counter()
            t = time.perf_counter()
            ws.send(jpeg(raw))
            answer = ws.recv(timeout=600)
            latencies.append(time.perf_counter() - t)
            if isinstance(answer, str):
                raise SystemExit(f"frame {index + 1}: {answer}")
            outs.append(decoded(answer))
        elapsed = time.perf_counter() - start
    return {
        "prepare_s": round(prepare, 2),
        "first_frame_ms": round(latencies[0] * 1000, 1),
        "fps": round((len(raws) - 1) / elapsed, 2),
        "latency": percentiles(latencies[1:]),
        "outs": outs,
    }


def open_loop(port: int, raws, settings: dict, fps: float) -> dict:
    """Frames sent at `fps` whatever the answers; the server drops the ones that wait too long."""
    with connect(port) as ws:
        ready(ws, settings)
        ws.send(jpeg(raws[0]))  # warm: the shape traced
        ws.recv(timeout=600)
        sent: list[float] = []
        payloads = [jpeg(raw) for raw in raws]

        def camera():
            start = time.perf_counter()
            for index, payload in enumerate(payloads):
                time.sleep(max(0.0, start + index / fps - time.perf_counter()))
                sent.append(time.perf_counter())
                ws.send(payload)

        thread = threading.Thread(target=camera)
        begin = time.perf_counter()
        thread.start()
        answered, dropped, latencies, position = 0, 0, [], 0
        while answered + dropped < len(raws):
            answer = ws.recv(timeout=600)
            now = time.perf_counter()
            if isinstance(answer, str):
                message = json.loads(answer)
                if "dropped" not in message:
                    raise SystemExit(f"open loop: {message}")
                dropped += message["dropped"]
                position += message["dropped"]
            else:
                latencies.append(now - sent[position])
                answered += 1
                position += 1
        elapsed = time.perf_counter() - begin
        thread.join()
    return {
        "camera_fps": fps,
        "sent": len(raws),
        "answered": answered,
        "dropped": dropped,
        "answered_fps": round(answered / elapsed, 2),
        "latency": percentiles(latencies),
    }


def save_gif(path, raws, outs, solo, side: int, fps: float = 12) -> None:
    """raw | carried | independent, side by side, one GIF frame per clip frame (one palette for all)."""
    from PIL import Image

    height, width = raws[0].shape[:2]
    scale = side / max(height, width)
    size = (round(width * scale), round(height * scale))
    strips = [
        Image.fromarray(np.hstack([np.asarray(Image.fromarray(f).resize(size, Image.LANCZOS)) for f in row]))
        for row in zip(raws, outs, solo, strict=False)
    ]
    palette = strips[len(strips) // 2].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [s.quantize(palette=palette, dither=Image.Dither.NONE) for s in strips]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0, optimize=True)


def main() -> None:
    from bench_motion import make_motion_clip, motion_flicker, strength

    from deepdream.motion import decode

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--source", default="coffee.png", help="the picture the panning clip is made from (samples/)")
    parser.add_argument("--settings", default="{}", help="the stream's settings, JSON by CLI name (default: live's)")
    parser.add_argument("--camera-fps", type=float, default=15.0, help="open loop: frames a second sent")
    parser.add_argument("--open-frames", type=int, default=45)
    parser.add_argument("--look", help="also save the last carried and independent frames side by side here (PNG)")
    parser.add_argument("--gif", help="also save the clip as a GIF here: raw | carried | independent, every frame")
    parser.add_argument("--gif-side", type=int, default=160, help="--gif: each panel's longer side, pixels")
    parser.add_argument("--gif-frames", type=int, default=24, help="--gif: the clip's first frames shown")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    settings = json.loads(args.settings)
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "size": args.size,
        "frames": args.frames,
        "settings": settings,
        "load_before": load(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        clip, mats = make_motion_clip(
            Path(tmp) / "pan.mp4", "pan", width, height, args.frames, source=ROOT / "samples" / args.source
        )
        raws = list(decode(clip))
        port = free_port()
        server = start_server(port)
        try:
            carried = closed_loop(port, raws, settings)
            alone = closed_loop(port, raws, {**settings, "independent": True})
            opened = open_loop(port, (raws * 4)[: args.open_frames], settings, args.camera_fps)
        finally:
            server.terminate()
            server.wait(60)
    outs, solo = carried.pop("outs"), alone.pop("outs")
    report["closed"] = carried
    report["closed_independent"] = alone
    report["flicker"] = {
        "raw": round(motion_flicker(raws, mats), 3),
        "carried": round(motion_flicker(outs, mats), 3),
        "independent": round(motion_flicker(solo, mats), 3),
        "strength_carried": round(strength(outs, raws), 3),
        "strength_independent": round(strength(solo, raws), 3),
    }
    report["flicker"]["ratio"] = round(report["flicker"]["carried"] / report["flicker"]["independent"], 3)
    # the dream building up: strength of frame k, carried and independent
    report["build_up"] = {
        f"frame {k}": [
            round(strength([outs[k - 1]], [raws[k - 1]]), 2),
            round(strength([solo[k - 1]], [raws[k - 1]]), 2),
        ]
        for k in (1, 2, 3, 5, 10, 20, 40)
        if k <= len(raws)
    }
    report["flicker"]["bar"] = 0.7
    report["open"] = opened
    report["load_after"] = load()
    if args.look:
        from PIL import Image

        Image.fromarray(np.hstack([raws[-1], outs[-1], solo[-1]])).save(args.look)
    if args.gif:
        save_gif(args.gif, raws[: args.gif_frames], outs[: args.gif_frames], solo[: args.gif_frames], args.gif_side)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
