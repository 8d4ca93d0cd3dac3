"""Motion's benchmark (JSON on stdout): flicker of flow-stabilised vs independent video dreams,
optical-flow speed, frames per minute, and peak memory of a 1920x1080 clip.

    python scripts/bench_motion.py                      # every case
    python scripts/bench_motion.py --cases flicker --flicker-size 320x180 --flicker-frames 10
    python scripts/bench_motion.py --cases seams --look /tmp/seams   # keeps the frames to look at

Clips are made here from samples/ (a picture panned by a known number of pixels a frame, H.264).
flicker: every output frame compared with the previous output frame moved by the known camera motion
  (mean absolute difference over the part both show, in RGB levels); the raw clip's own figure is
  the floor (codec noise). Reported for --independent, and for DIS and Farneback flow at --blend values.
motions: a pan, a zoom and a hand-held shake (small random shifts and turns), each made here from a
  picture by known affine moves; per clip, flicker of the stabilised dream / flicker of --independent
  (the bar: at most 0.5), and the dream's strength (mean |dreamt - raw|, RGB levels) of both, so a
  stabiliser that wins by dreaming fainter shows.
seams: flicker where a clip dreamt in segments (video --ray) joins, against elsewhere and against the
  clip in one piece, per --warmup.
ray: frames per minute in process vs `video --ray local` with 1 and --workers workers, and Ray's cost
  per frame.
costs: per 1920x1080 frame, besides the dream: decoding, flow and carry, PNG encoding.
flow: seconds per flow field (forward and backward make two per frame) at 640x360, DIS vs Farneback.
speed: frames per minute at 640x360 with the default dream settings, per backbone, after the first
  frame (the network loaded and traced).
memory: peak resident memory (VmHWM) of `deepdream video` on a few 1920x1080 frames, in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "astronaut.png"


def make_pan_clip(path, width, height, frames, shift, fps=24, source=SAMPLE):
    """An H.264 clip of `source` panned right by `shift` pixels a frame (content moves left)."""
    import av
    from PIL import Image

    big = np.asarray(Image.open(source).convert("RGB").resize((width + shift * frames + 2, height), Image.LANCZOS))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "16"}
        for i in range(frames):
            rgb = np.ascontiguousarray(big[:, shift * i : shift * i + width])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def motion_matrices(kind: str, frames: int, width: int, height: int, seed: int = 0) -> list[np.ndarray]:
    """Per frame, the 2x3 affine map from the frame's pixel (x, y, 1) to the source picture's pixel.
    pan: 3 px a frame to the right (centred on the middle frame); zoom: into the centre, 2 % a frame;
    shake: a hand-held camera,
    shifted and turned about the centre at random (each frame's offset is half the last plus up to
    2 px, its angle half the last plus up to 0.4 degrees: within about 4 px and 0.8 degrees)."""
    rng = np.random.default_rng(seed)
    cx, cy = width / 2, height / 2
    out, dx, dy, angle = [], 0.0, 0.0, 0.0
    for k in range(frames):
        if kind == "pan":
            scale, tx, ty, turn = 1.0, 3.0 * (k - (frames - 1) / 2), 0.0, 0.0
        elif kind == "zoom":
            scale, tx, ty, turn = 0.98**k, 0.0, 0.0, 0.0
        elif kind == "shake":
            if k:
                dx = 0.5 * dx + rng.uniform(-2.0, 2.0)
                dy = 0.5 * dy + rng.uniform(-2.0, 2.0)
                angle = 0.5 * angle + rng.uniform(-0.4, 0.4)
            scale, tx, ty, turn = 1.0, dx, dy, np.deg2rad(angle)
        else:
            raise ValueError(f"unknown motion {kind!r}")
        c, s = scale * np.cos(turn), scale * np.sin(turn)
        # about the centre: source = centre + R S (x - centre) + t
        out.append(np.array([[c, -s, cx - c * cx + s * cy + tx], [s, c, cy - s * cx - c * cy + ty]], np.float64))
    return out


def make_motion_clip(path, kind: str, width: int, height: int, frames: int, fps=24, source=SAMPLE, seed: int = 0):
    """An H.264 clip of `source` seen through `motion_matrices(kind)`: returns (path, matrices)."""
    import av
    import cv2
    from PIL import Image

    mats = motion_matrices(kind, frames, width, height, seed)
    margin = 24 + (2 * frames if kind == "pan" else 0)
    big = np.asarray(Image.open(source).convert("RGB").resize((width + 2 * margin, height + 2 * margin), Image.LANCZOS))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "16"}
        for m in mats:
            shifted = m.copy()
            shifted[:, 2] += margin  # the frame's centre on the picture's
            rgb = cv2.warpAffine(
                big,
                shifted,
                (width, height),
                flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REFLECT,
            )
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")))
        out.mux(stream.encode(None))
    return path, mats


def motion_flicker(frames, mats, border: int = 6) -> float:
    """Mean |frame_k - frame_{k-1} carried by the known camera move| over the pixels frame k-1 shows
    (at least `border` pixels inside it), in RGB levels."""
    import cv2

    diffs = []
    for k in range(1, len(frames)):
        h, w = frames[k].shape[:2]
        a_prev = np.vstack([mats[k - 1], [0, 0, 1]])
        a_now = np.vstack([mats[k], [0, 0, 1]])
        to_prev = (np.linalg.inv(a_prev) @ a_now)[:2]  # frame k's pixel -> frame k-1's
        moved = cv2.warpAffine(
            frames[k - 1].astype(np.float32), to_prev, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        )
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        px = to_prev[0, 0] * xs + to_prev[0, 1] * ys + to_prev[0, 2]
        py = to_prev[1, 0] * xs + to_prev[1, 1] * ys + to_prev[1, 2]
        inside = (px >= border) & (px <= w - 1 - border) & (py >= border) & (py <= h - 1 - border)
        inside &= (xs >= border) & (xs <= w - 1 - border) & (ys >= border) & (ys <= h - 1 - border)
        diffs.append(float(np.abs(frames[k].astype(np.float32) - moved)[inside].mean()))
    return float(np.mean(diffs))


def strength(frames, raws) -> float:
    """How strong the dream is: mean |dreamt - raw| over every frame, in RGB levels."""
    return float(
        np.mean(
            [np.abs(f.astype(np.float32) - r.astype(np.float32)).mean() for f, r in zip(frames, raws, strict=False)]
        )
    )


def case_motions(args) -> dict:
    """Flicker (stabilised / independent) and strength on a pan, a zoom and a hand-held shake."""
    from deepdream import VideoSettings, video_frames
    from deepdream.motion import decode

    width, height = (int(v) for v in args.flicker_size.split("x"))
    out = {
        "size": f"{width}x{height}",
        "frames": args.flicker_frames,
        "backbone": args.backbone,
        "source": args.motion_source,
    }
    extra = json.loads(args.video_options) if args.video_options else {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.motions.split(","):
            clip, mats = make_motion_clip(
                Path(tmp) / f"{kind}.mp4",
                kind,
                width,
                height,
                args.flicker_frames,
                source=ROOT / "samples" / args.motion_source,
            )
            raws = list(decode(clip))
            entry = {"raw_flicker": round(motion_flicker(raws, mats), 3)}
            for name, options in (("independent", dict(independent=True)), ("stabilised", extra)):
                settings = VideoSettings(dream=dict(backbone=args.backbone, seed=0), **options)
                start = time.perf_counter()
                frames = list(video_frames(clip, settings))
                entry[name] = {
                    "flicker": round(motion_flicker(frames, mats), 3),
                    "strength": round(strength(frames, raws), 3),
                    "seconds": round(time.perf_counter() - start, 1),
                }
            entry["ratio"] = round(entry["stabilised"]["flicker"] / entry["independent"]["flicker"], 3)
            entry["strength_ratio"] = round(entry["stabilised"]["strength"] / entry["independent"]["strength"], 3)
            print(kind, json.dumps(entry), file=sys.stderr, flush=True)
            out[kind] = entry
    return out


def flicker(frames, shift: int) -> float:
    """Mean |frame_k - frame_{k-1} moved by the camera| over the part both show."""
    diffs = []
    for previous, current in zip(frames, frames[1:], strict=False):
        a = current[:, : current.shape[1] - shift].astype(np.float32)
        b = previous[:, shift:].astype(np.float32)
        diffs.append(np.abs(a - b).mean())
    return float(np.mean(diffs))


def case_flicker(args) -> dict:
    from deepdream import VideoSettings, video_frames
    from deepdream.motion import decode

    width, height = (int(v) for v in args.flicker_size.split("x"))
    out = {
        "size": f"{width}x{height}",
        "frames": args.flicker_frames,
        "shift_px_per_frame": args.shift,
        "backbone": args.backbone,
    }
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_pan_clip(Path(tmp) / "pan.mp4", width, height, args.flicker_frames, args.shift)
        out["raw"] = round(flicker(list(decode(clip)), args.shift), 3)
        runs = [("independent", dict(independent=True))]
        runs += [
            (f"{m} blend {b:g}", dict(flow=m, blend=b))
            for m in args.flows.split(",")
            for b in (float(v) for v in args.blends.split(","))
        ]
        for name, options in runs:
            settings = VideoSettings(dream=dict(backbone=args.backbone, seed=0), **options)
            if args.look:
                look = Path(args.look) / name.replace(" ", "_")
                look.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            frames = list(video_frames(clip, settings, frames_dir=look if args.look else None, overwrite=True))
            out[name] = {
                "flicker": round(flicker(frames, args.shift), 3),
                "seconds": round(time.perf_counter() - start, 1),
            }
            print(name, out[name], file=sys.stderr)
        base = out["independent"]["flicker"]
        for name, _ in runs[1:]:
            out[name]["vs_independent"] = round(out[name]["flicker"] / base, 3)
    return out


def pair_flicker(frames, shift: int) -> list[float]:
    """|frame_k - frame_{k-1} moved by the camera| for every k (index k-1 in the list)."""
    return [
        float(np.abs(b[:, : b.shape[1] - shift].astype(np.float32) - a[:, shift:].astype(np.float32)).mean())
        for a, b in zip(frames, frames[1:], strict=False)
    ]


def save_strip(rows, path) -> None:
    """A picture of the frames around the first seam: a row per run, labelled, frames side by side
    (the right half, top two thirds of each, twice its size, where the dream's texture shows)."""
    from PIL import Image, ImageDraw

    def part(frame):
        h, w = frame.shape[:2]
        crop = Image.fromarray(frame[: h * 2 // 3, w // 2 :])
        return np.asarray(crop.resize((crop.width * 2, crop.height * 2), Image.LANCZOS))

    rows = [(name, [part(f) for f in frames]) for name, frames in rows]
    height, width = rows[0][1][0].shape[:2]
    label, gap = 14, 2
    sheet = Image.new("RGB", (len(rows[0][1]) * (width + gap) - gap, len(rows) * (height + label + gap)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (name, frames) in enumerate(rows):
        top = r * (height + label + gap)
        draw.text(
            (2, top + 1),
            {"one piece": "one piece"}.get(name, f"in segments, --{name}")
            + "   (frames: seam-6, -4, -2, -1 | the segment's first, +1)",
            fill="black",
        )
        for c, frame in enumerate(frames):
            sheet.paste(Image.fromarray(frame), (c * (width + gap), top + label))
    sheet.save(path)


def case_seams(args) -> dict:
    """A clip dreamt in segments (as `video --ray` cuts it, run here in process: the same bytes)
    against the same clip in one piece, as the movie has it (dissolving through the warm-up
    frames): flicker at the seams (the pair of frames either side of each segment's start), the
    worst pair among the --window pairs up to it (the dissolve), and everywhere else, per --warmup."""
    from deepdream import VideoSettings
    from deepdream.motion import movie_frames
    from deepdream.motion.segments import SegmentWorker, video_segments
    from deepdream.workers import LocalPool

    width, height = (int(v) for v in args.flicker_size.split("x"))
    out = {
        "size": f"{width}x{height}",
        "frames": args.seam_frames,
        "segments": args.segments,
        "shift_px_per_frame": args.shift,
        "backbone": args.backbone,
        "clips": args.seam_sources,
    }
    results: dict = {}
    strips: list = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.seam_sources.split(","):
            clip = make_pan_clip(
                Path(tmp) / f"{source}.mp4",
                width,
                height,
                args.seam_frames,
                args.shift,
                source=ROOT / "samples" / source,
            )
            settings = VideoSettings(dream=dict(backbone=args.backbone, seed=0))
            runs = [("one piece", 1, 0)] + [
                (f"warmup {w}", args.segments, w) for w in (int(v) for v in args.warmups.split(","))
            ]
            for name, pieces, warmup in runs:
                folder = Path(args.look or tmp) / f"{source}_{name.replace(' ', '_')}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.parent.mkdir(parents=True, exist_ok=True)
                start = time.perf_counter()
                video_segments(
                    clip,
                    settings,
                    frames_dir=folder,
                    pool=LocalPool(SegmentWorker, pieces),
                    warmup=warmup,
                    overwrite=True,
                )
                seconds = time.perf_counter() - start
                frames = list(movie_frames(folder))  # as the movie has them
                pairs = pair_flicker(frames, args.shift)
                seams = [
                    round(k * len(frames) / args.segments) for k in range(1, args.segments)
                ]  # first frames (0-based)
                entry = results.setdefault(name, {"seam": [], "rest": [], "window": [], "seconds": 0.0})
                entry["seam"] += [pairs[k - 1] for k in seams]
                entry["window"] += [max(pairs[k - 1 - j] for j in range(args.window)) for k in seams]
                entry["rest"] += [p for k, p in enumerate(pairs, 1) if k not in seams]
                entry["seconds"] += seconds
                print(
                    source,
                    name,
                    round(seconds, 1),
                    [round(pairs[k - 1], 2) for k in seams],
                    round(float(np.mean(pairs)), 2),
                    file=sys.stderr,
                )
                if args.strip and source == args.seam_sources.split(",")[0]:
                    strips.append((name, [frames[seams[0] + k] for k in (-6, -4, -2, -1, 0, 1)]))
    if strips:
        save_strip(strips, args.strip)
    for name, entry in results.items():
        rest = float(np.mean(entry["rest"]))
        out[name] = {
            "flicker_at_seams": round(float(np.mean(entry["seam"])), 3),
            "worst_seam": round(float(np.max(entry["seam"])), 3),
            "worst_pair_in_window": round(float(np.mean(entry["window"])), 3),
            "flicker_elsewhere": round(rest, 3),
            "seam_vs_elsewhere": round(float(np.mean(entry["seam"])) / rest, 3),
            "seconds": round(entry["seconds"], 1),
        }
    base = out["one piece"]["flicker_elsewhere"]
    for name in results:
        out[name]["seam_vs_one_piece"] = round(out[name]["flicker_at_seams"] / base, 3)
    return out


def case_ray(args) -> dict:
    """A clip dreamt in process (`video`) and on a local Ray cluster (`video --ray local`) of 1 and
    of --workers workers: wall time with start-up, and the steady time per frame (after each
    worker's first frame). Ray's cost per frame: 1 worker's steady time minus in process's."""
    from deepdream import VideoSettings, video_frames
    from deepdream.motion import FrameProgress
    from deepdream.motion.segments import video_segments

    width, height = (int(v) for v in args.ray_size.split("x"))
    out = {"size": f"{width}x{height}", "frames": args.ray_frames, "backbone": args.backbone}
    settings = VideoSettings(dream=dict(backbone=args.backbone, seed=0))
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_pan_clip(Path(tmp) / "pan.mp4", width, height, args.ray_frames, args.shift)

        def timed(name, run):
            stamps = []
            start = time.perf_counter()
            run(lambda event: stamps.append(time.perf_counter()) if isinstance(event, FrameProgress) else None)
            wall = time.perf_counter() - start
            gaps = np.diff(stamps[len(stamps) // 4 :])  # the later three quarters: every worker busy
            out[name] = {
                "wall_s": round(wall, 1),
                "steady_s_per_frame": round(float(np.mean(gaps)), 3),
                "frames_per_minute_steady": round(60 / float(np.mean(gaps)), 1),
            }
            print(name, out[name], file=sys.stderr)

        timed("in process", lambda p: list(video_frames(clip, settings, frames_dir=Path(tmp) / "a", progress=p)))
        for workers in sorted({1, args.workers}):
            timed(
                f"ray {workers} worker{'s' * (workers != 1)}",
                lambda p, workers=workers: video_segments(
                    clip, settings, frames_dir=Path(tmp) / f"r{workers}", ray="local", workers=workers, progress=p
                ),
            )
    out["ray_cost_per_frame_s"] = round(
        out["ray 1 worker"]["steady_s_per_frame"] - out["in process"]["steady_s_per_frame"], 3
    )
    return out


def case_costs(args) -> dict:
    """What a frame of a long clip costs besides the dream, at 1920x1080, per frame, on this CPU:
    decoding (driver), the two flow fields, consistency and warp (worker), the PNG (worker)."""
    from deepdream.images import encode_image
    from deepdream.motion import decode
    from deepdream.motion.flow import carry

    out = {"size": "1920x1080"}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_pan_clip(Path(tmp) / "hd.mp4", 1920, 1080, 6, 8)
        start = time.perf_counter()
        raws = list(decode(clip))
        out["decode_s"] = round((time.perf_counter() - start) / len(raws), 4)
        dreamt = np.clip(
            raws[0].astype(np.int16) + np.random.default_rng(0).integers(-20, 20, raws[0].shape), 0, 255
        ).astype(np.uint8)
        carry(raws[1], raws[0], dreamt, 0.8)
        start = time.perf_counter()
        for a, b in zip(raws, raws[1:], strict=False):
            carry(b, a, dreamt, 0.8)
        out["flow_and_carry_s"] = round((time.perf_counter() - start) / (len(raws) - 1), 3)
        start = time.perf_counter()
        sizes = [len(encode_image(dreamt, "PNG")) for _ in range(3)]
        out["png_s"] = round((time.perf_counter() - start) / 3, 3)
        out["png_mb"] = round(sizes[0] / 1e6, 2)
    return out


def case_flow(args) -> dict:
    from PIL import Image

    from deepdream.motion.flow import optical_flow

    big = np.asarray(Image.open(SAMPLE).convert("RGB").resize((660, 360)))
    a, b = np.ascontiguousarray(big[:, :640]), np.ascontiguousarray(big[:, 4:644])
    out = {}
    for method in ("dis", "farneback"):
        optical_flow(a, b, method)
        start = time.perf_counter()
        for _ in range(10):
            flow = optical_flow(a, b, method)
        out[method] = {
            "seconds_per_field_640x360": round((time.perf_counter() - start) / 10, 4),
            "median_dx_error_px": round(float(abs(np.median(flow[40:-40, 40:-40, 0]) + 4)), 3),
        }
    return out


def case_speed(args) -> dict:
    from deepdream import VideoSettings, video_frames

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_pan_clip(Path(tmp) / "pan.mp4", 640, 360, args.speed_frames + 1, 4)
        for backbone in args.backbones.split(","):
            times = []
            last = time.perf_counter()
            for _ in video_frames(clip, VideoSettings(dream=dict(backbone=backbone))):
                now = time.perf_counter()
                times.append(now - last)
                last = now
            per_frame = float(np.mean(times[1:]))
            out[backbone] = {
                "seconds_per_frame": round(per_frame, 2),
                "frames_per_minute": round(60 / per_frame, 2),
                "first_frame_seconds_with_load": round(times[0], 1),
            }
            print(backbone, out[backbone], file=sys.stderr)
    return out


def case_memory(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_pan_clip(Path(tmp) / "hd.mp4", 1920, 1080, args.memory_frames, 8)
        code = (
            "import resource, sys; from deepdream.cli import main; sys.argv = sys.argv[1:]; "
            "import atexit; atexit.register(lambda: print('VmHWM', open('/proc/self/status').read()"
            ".split('VmHWM:')[1].split()[0], file=sys.stderr))\ntry:\n    main()\nexcept SystemExit: pass"
        )
        cmd = [
            sys.executable,
            "-c",
            code,
            "deepdream",
            "video",
            str(clip),
            "-o",
            str(Path(tmp) / "out.mp4"),
            "-q",
            "--steps",
            str(args.memory_steps),
        ]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    kib = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("VmHWM")]
    return {
        "frames": args.memory_frames,
        "size": "1920x1080",
        "steps": args.memory_steps,
        "backbone": "default",
        "peak_rss_gib": round(kib[-1] / 2**20, 2) if kib else None,
        "seconds": round(seconds, 1),
        "returncode": proc.returncode,
        **({"stderr": proc.stderr[-500:]} if proc.returncode else {}),
    }


CASES = {
    "flow": case_flow,
    "flicker": case_flicker,
    "motions": case_motions,
    "seams": case_seams,
    "ray": case_ray,
    "costs": case_costs,
    "speed": case_speed,
    "memory": case_memory,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="flow,flicker,speed,memory")
    parser.add_argument("--flicker-size", default="320x180")
    parser.add_argument("--flicker-frames", type=int, default=10)
    parser.add_argument("--shift", type=int, default=3, help="camera pan, pixels per frame")
    parser.add_argument("--backbone", default="efficientnet-lite2", help="flicker's backbone")
    parser.add_argument("--flows", default="dis,farneback")
    parser.add_argument("--blends", default="0.8")
    parser.add_argument("--motions", default="pan,zoom,shake", help="motions: clips made")
    parser.add_argument("--motion-source", default="coffee.png", help="motions: picture the clips are made from")
    parser.add_argument(
        "--video-options", help='motions: VideoSettings of the stabilised run, JSON, e.g. {"blend": 0.9}'
    )
    parser.add_argument("--look", help="also keep the flicker runs' frames in this folder")
    parser.add_argument("--seam-frames", type=int, default=64)
    parser.add_argument("--segments", type=int, default=4, help="seams: segments (3 seams)")
    parser.add_argument("--warmups", default="0,8,16,24", help="seams: --warmup values")
    parser.add_argument("--strip", help="seams: also save the frames around the first seam of the first clip here")
    parser.add_argument("--window", type=int, default=9, help="seams: pairs before each seam searched for the worst")
    parser.add_argument("--seam-sources", default="astronaut.png,coffee.png", help="seams: pictures panned")
    parser.add_argument("--ray-size", default="320x180")
    parser.add_argument("--ray-frames", type=int, default=48)
    parser.add_argument("--workers", type=int, default=2, help="ray: workers of the larger cluster")
    parser.add_argument("--backbones", default="vgg16,efficientnet-lite2")
    parser.add_argument("--speed-frames", type=int, default=2)
    parser.add_argument("--memory-frames", type=int, default=2)
    parser.add_argument("--memory-steps", type=int, default=2)
    args = parser.parse_args()
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}}
    for name in args.cases.split(","):
        result[name] = CASES[name](args)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
