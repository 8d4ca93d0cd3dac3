"""Live dreams through a real `deepdream serve` (JSON on stdout): how strong and how fast the dream
grows on a still scene and regrows where the camera uncovers something, against the still dream of
the same frame; frames per second, CPU time per frame; flicker of carried frames on a pan against
`{"independent": true}`.

    python scripts/bench_live.py > live.json
    python scripts/bench_live.py --look live_look.png --settings '{"step-size": 6}'

A `deepdream serve` is started on a free port (as a user runs it) and frames are sent to `/api/live`
as JPEG (quality 90, as a browser does), each when the last one's answer came (closed loop):
  still    the still dream of the portrait (--source-still, --size) with the stream's dream options
           and the still defaults (octaves, steps), in this process: its strength (mean |dreamt -
           raw|), its large features' strength (`coarse`: the same at 1/8 size, 8x8 blocks averaged),
           its time.
  scene    one carried stream of that portrait: --still-frames of it as it is (a still camera), then
           --cover-frames with a grey card over its right third (a hand in front of the camera),
           then --uncover-frames as it is again. Still: the strength, and its ratio and the coarse
           strength's to the still dream's, at frames 1, 10, 30, 40 (1 s and 3 s at 10 fps) and at
           1 s and 3 s after the first frame was sent;
           the frame and second it reaches 0.8x the still's. Uncover: the same in the card's box from
           the frame the card goes (the regrow), against the still dream's strength in that box.
           fps, and the server's CPU time per frame (all its threads, /proc) with the cores it kept
           busy (CPU time / wall time), so a loaded machine's slow wall clock can be read through.
  pan      the flicker case: a picture panned 3 px a frame, H.264 (as scripts/bench_motion.py's
           motions case), carried and `{"independent": true}`: fps, latency (p50 ... max), flicker
           (mean |frame_k - frame_{k-1} moved by the known pan|, bench_motion.motion_flicker) and
           strength; ratio = carried / independent (the bar: at most 0.7). build_up: strength of
           pan frame k, carried and independent.
  open     open loop: pan frames sent at --camera-fps whatever the answers (a camera does not wait);
           frames still waiting when the next comes are dropped by the server: answered and
           dropped counts, and the latency of the answered ones (bounded: about two frames' work).
`uptime`'s load is reported before and after: other processes on the machine slow every wall-clock
figure (not the strengths at frame k, nor the flicker: the same bytes every run of the same settings).
"""

from __future__ import annotations

import argparse
import dataclasses
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


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, all its threads, user and system (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def closed_loop(port: int, raws, settings: dict, pid: int | None = None) -> dict:
    """Each frame sent when the last one's answer came: its latency, when its answer came (seconds
    after the first frame was sent), the answers, and the server's CPU time per frame after the first."""
    with connect(port) as ws:
        t = time.perf_counter()
        ready(ws, settings)
        prepare = time.perf_counter() - t
        latencies, outs, at = [], [], []
        start = cpu = None
        for index, raw in enumerate(raws):
            if index == 1:
                start, cpu = time.perf_counter(), cpu_seconds(pid) if pid else None
            t = time.perf_counter()
            if index == 0:
                begin = t
            ws.send(jpeg(raw))
            answer = ws.recv(timeout=600)
            latencies.append(time.perf_counter() - t)
            at.append(time.perf_counter() - begin)
            if isinstance(answer, str):
                raise SystemExit(f"frame {index + 1}: {answer}")
            outs.append(decoded(answer))
        elapsed = time.perf_counter() - start
        used = cpu_seconds(pid) - cpu if pid else None
    out = {
        "prepare_s": round(prepare, 2),
        "first_frame_ms": round(latencies[0] * 1000, 1),
        "fps": round((len(raws) - 1) / elapsed, 2),
        "latency": percentiles(latencies[1:]),
        "outs": outs,
        "at": at,
    }
    if used is not None:
        out["cpu_ms_per_frame"] = round(1000 * used / (len(raws) - 1), 1)
        out["cores_busy"] = round(used / elapsed, 2)
    return out


def coarse(rgb: np.ndarray, factor: int = 8) -> np.ndarray:
    """The picture at 1/factor size, factor x factor blocks averaged: its large features only."""
    height, width = (n // factor * factor for n in rgb.shape[:2])
    blocks = rgb[:height, :width].astype(np.float32).reshape(height // factor, factor, width // factor, factor, 3)
    return blocks.mean(axis=(1, 3))


def strength_of(out: np.ndarray, raw: np.ndarray, box=None, large: bool = False) -> float:
    """Mean |dreamt - raw| in RGB levels, in `box` (x0, y0, x1, y1) or all; `large`: of the pictures'
    large features (`coarse`)."""
    if box is not None:
        x0, y0, x1, y1 = box
        out, raw = out[y0:y1, x0:x1], raw[y0:y1, x0:x1]
    if large:
        out, raw = coarse(out), coarse(raw)
    return float(np.abs(out.astype(np.float32) - raw.astype(np.float32)).mean())


def first_reaching(values, times, target: float):
    """(the 1-based frame, its time) where `values` first reach `target`; (None, None) if never."""
    for index, (value, at) in enumerate(zip(values, times, strict=True)):
        if value >= target:
            return index + 1, round(at, 2)
    return None, None


def growth(outs, raws, at, still, box=None) -> dict:
    """How a stream's dream grows against the still dream's strength (`still`: {"strength",
    "coarse"}, of `box` where given): at frames, [strength, its ratio, the large features' ratio];
    at seconds, the last frame answered by then and its ratios; the frame and second it reaches
    0.8x, of all and of the large features."""
    values = [strength_of(o, r, box) for o, r in zip(outs, raws, strict=True)]
    large = [strength_of(o, r, box, large=True) for o, r in zip(outs, raws, strict=True)]
    out = {"frames": len(outs)}
    for k in (1, 10, 30, 40):
        if k <= len(outs):
            out[f"frame {k}"] = [
                round(values[k - 1], 2),
                round(values[k - 1] / still["strength"], 3),
                round(large[k - 1] / still["coarse"], 3),
            ]
    for second in (1, 3):
        shown = [i for i, t in enumerate(at) if t <= second]
        if shown:
            k = shown[-1]
            out[f"{second} s"] = {
                "frame": k + 1,
                "ratio": round(values[k] / still["strength"], 3),
                "coarse_ratio": round(large[k] / still["coarse"], 3),
            }
    frame, second = first_reaching(values, at, 0.8 * still["strength"])
    out["to_0.8x"] = {"frame": frame, "s": second}
    frame, second = first_reaching(large, at, 0.8 * still["coarse"])
    out["coarse_to_0.8x"] = {"frame": frame, "s": second}
    return out


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
    """raw | carried | independent (or any three rows of frames), side by side, one GIF frame per
    clip frame (one palette for all)."""
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


def portrait(source: Path, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(source).convert("RGB").resize((width, height), Image.LANCZOS)).copy()


def still_dream(raw: np.ndarray, settings: dict) -> tuple[np.ndarray, dict]:
    """The still dream of `raw`: the stream's dream options over the still defaults (not live's
    octaves, steps, size and tile jitters), timed after a first run (the network loaded, traced)."""
    from deepdream.motion.live import LIVE_DREAM
    from deepdream.render.prepare import prepare
    from deepdream.settings import DreamSettings
    from deepdream.web.live import canonical

    names = {f.name for f in dataclasses.fields(DreamSettings)} - set(LIVE_DREAM)
    dream = DreamSettings.from_dict({}, **{k: v for k, v in canonical(settings).items() if k in names})
    dreamer = prepare(dream)
    dreamer.run(raw)
    wall, cpu = time.perf_counter(), time.process_time()
    out = dreamer.run(raw)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {"octaves": dream.octaves, "steps": dream.steps, "s": round(wall, 2), "cpu_s": round(cpu, 2)}
    return out, figures


def scene_figures(run: dict, raws, still_out, parts: tuple[int, int, int], box) -> dict:
    """The still scene's growth and the uncovered box's regrow (`growth`), from a closed loop over
    parts = (still, covered, uncovered) frames."""
    still, covered, _ = parts
    outs, at = run["outs"], run["at"]
    whole = {"strength": strength_of(still_out, raws[0]), "coarse": strength_of(still_out, raws[0], large=True)}
    boxed = {
        "strength": strength_of(still_out, raws[0], box),
        "coarse": strength_of(still_out, raws[0], box, large=True),
    }
    gone = still + covered  # the first frame without the card
    return {
        "fps": run["fps"],
        "cpu_ms_per_frame": run.get("cpu_ms_per_frame"),
        "cores_busy": run.get("cores_busy"),
        "latency": run["latency"],
        "still_dream": {k: round(v, 2) for k, v in whole.items()},
        "still": growth(outs[:still], raws[:still], at[:still], whole),
        "uncover_box": list(box),
        "still_dream_in_box": {k: round(v, 2) for k, v in boxed.items()},
        "uncover": growth(outs[gone:], raws[gone:], [t - at[gone - 1] for t in at[gone:]], boxed, box),
    }


def save_look(path, raws, outs, still_out, parts, at=(10, 30)) -> None:
    """Two rows: raw | the stream's frames `at` (10 and 30: 1 s and 3 s at 10 fps) | the still dream;
    the covered frame | the frames `at` after the card went | the still dream."""
    from PIL import Image

    gone = parts[0] + parts[1]
    top = [raws[0]] + [outs[k - 1] for k in at if k <= parts[0]] + [still_out]
    bottom = [outs[gone - 1]] + [outs[gone + k - 1] for k in at if k <= parts[2]] + [still_out]
    rows = [np.hstack(top), np.hstack(bottom)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    Image.fromarray(np.vstack(rows).astype(np.uint8)).save(path)


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--frames", type=int, default=40, help="pan: frames of the clip")
    parser.add_argument("--source", default="coffee.png", help="pan: the picture panned (samples/)")
    parser.add_argument("--source-still", default="astronaut.png", help="scene: the portrait (samples/)")
    parser.add_argument("--still-frames", type=int, default=40)
    parser.add_argument("--cover-frames", type=int, default=8)
    parser.add_argument("--uncover-frames", type=int, default=40)
    parser.add_argument("--settings", default="{}", help="the stream's settings, JSON by CLI name (default: live's)")
    parser.add_argument("--camera-fps", type=float, default=15.0, help="open loop: frames a second sent")
    parser.add_argument("--open-frames", type=int, default=45)
    parser.add_argument("--look", help="also save the scene's frames 10 and 30 beside the still dream (PNG)")
    parser.add_argument("--gif", help="also save the pan as a GIF here: raw | carried | independent, every frame")
    parser.add_argument("--scene-gif", help="also save the scene as a GIF here: raw | live | the still dream")
    parser.add_argument("--gif-side", type=int, default=160, help="the GIFs' panels' longer side, pixels")
    parser.add_argument("--gif-frames", type=int, default=24, help="--gif: the clip's first frames shown")
    return parser.parse_args()


def main() -> None:
    from bench_motion import make_motion_clip, motion_flicker, strength

    from deepdream.motion import decode

    args = arguments()
    width, height = (int(v) for v in args.size.split("x"))
    settings = json.loads(args.settings)
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "size": args.size,
        "settings": settings,
        "load_before": load(),
    }
    still_raw = portrait(ROOT / "samples" / args.source_still, width, height)
    still_out, report["still_dream"] = still_dream(still_raw, settings)
    box = (2 * width // 3, 0, width, height)
    card = still_raw.copy()
    card[:, box[0] :] = 128
    parts = (args.still_frames, args.cover_frames, args.uncover_frames)
    scene = [still_raw] * parts[0] + [card] * parts[1] + [still_raw] * parts[2]
    with tempfile.TemporaryDirectory() as tmp:
        clip, mats = make_motion_clip(
            Path(tmp) / "pan.mp4", "pan", width, height, args.frames, source=ROOT / "samples" / args.source
        )
        raws = list(decode(clip))
        port = free_port()
        server = start_server(port)
        try:
            scened = closed_loop(port, scene, settings, server.pid)
            carried = closed_loop(port, raws, settings, server.pid)
            alone = closed_loop(port, raws, {**settings, "independent": True}, server.pid)
            opened = open_loop(port, (raws * 4)[: args.open_frames], settings, args.camera_fps)
        finally:
            server.terminate()
            server.wait(60)
    report["scene"] = scene_figures(scened, scene, still_out, parts, box)
    outs, solo = carried.pop("outs"), alone.pop("outs")
    carried.pop("at"), alone.pop("at")
    report["pan"] = {"frames": args.frames, "closed": carried, "closed_independent": alone}
    flicker = {
        "raw": round(motion_flicker(raws, mats), 3),
        "carried": round(motion_flicker(outs, mats), 3),
        "independent": round(motion_flicker(solo, mats), 3),
        "strength_carried": round(strength(outs, raws), 3),
        "strength_independent": round(strength(solo, raws), 3),
    }
    flicker["ratio"] = round(flicker["carried"] / flicker["independent"], 3)
    flicker["bar"] = 0.7
    report["pan"]["flicker"] = flicker
    report["pan"]["build_up"] = {  # the dream building up: strength of frame k, carried and independent
        f"frame {k}": [round(strength_of(outs[k - 1], raws[k - 1]), 2), round(strength_of(solo[k - 1], raws[k - 1]), 2)]
        for k in (1, 2, 3, 5, 10, 20, 40)
        if k <= len(raws)
    }
    report["open"] = opened
    report["load_after"] = load()
    if args.look:
        save_look(args.look, scene, scened["outs"], still_out, parts)
    if args.scene_gif:  # every other frame of the scene, 5 a second: as a stream at 10 fps shows it
        shown = slice(0, len(scene), 2)
        outs_shown = scened["outs"][shown]
        save_gif(args.scene_gif, scene[shown], outs_shown, [still_out] * len(outs_shown), args.gif_side, fps=5)
    if args.gif:
        save_gif(args.gif, raws[: args.gif_frames], outs[: args.gif_frames], solo[: args.gif_frames], args.gif_side)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
