"""The renderer's benchmark: speed, peak memory and traces of tiled dreams (JSON on stdout).

    python scripts/bench.py                          # 1, 4 and 16 megapixels, float32 and auto
    python scripts/bench.py --sizes 1,4 --steps 1    # quicker
    python scripts/bench.py --compare-untiled        # also one untiled 512x512 image (the ceiling)
    python scripts/bench.py --precisions float32,bfloat16 --sizes 1 --tile-batch 1,4

Each measurement (case x size x precision x tile batch) runs in its own Python process, so peak
memory (VmHWM from /proc/self/status) is that run's alone. A run loads the backbone, traces its
tiled-gradient function once on a small image (not timed), then dreams one octave at full size,
the octave where a dream spends most of its time and memory, timing every step. Reported per run:
megapixel-steps per second (wall clock, and per CPU-second of the process: the second is steadier
when other work shares the machine), seconds per step, peak resident memory, resident memory before
the dream, and the number of traces (1 means no retracing across tile shapes); and the arithmetic:
the multiply-adds of a step (the dreamt layers' forward pass and the gradient back to the picture,
counted from the layers' shapes by `scripts/peak.py`), the rate achieved, and its share of the
machine's peak (`machine.peak`: cores x FMA lanes x FMA units x clock, or a GPU's datasheet rate;
per CPU-second, against one core's peak).

Cases are named in CASES: a function (backbone, rgb, args) -> (objective, render keyword arguments);
`--cases dream,guided` compares a guided dream with a plain one. `--style-sizes 1,16` adds style
transfer's seconds per iteration and peak memory (tiled, two passes) at those sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
IMAGE_FOLDERS = (ROOT / "samples",)


def _image_path(name: str) -> Path:
    for folder in IMAGE_FOLDERS:
        if (folder / name).is_file():
            return folder / name
    sys.exit(f"bench: {name} not found in {', '.join(map(str, IMAGE_FOLDERS))}")


# -- cases ---------------------------------------------------------------------------------------
#: name -> DreamSettings overrides. `dream` is the default dream (the mean step, 32 px jitter); the
#: others change one thing, so a pair of them prices that thing; `classic` is the step of the
#: engine before v2 (mean-normalised, no jitter beyond the tile grid).
CASES = {
    "dream": {},
    "laplacian": {"normalize": "laplacian"},
    "nojitter": {"jitter": 0},
    "classic": {"normalize": "mean", "jitter": 0},
    "guided": {"guide": ("brick.png",)},
}


# -- one measurement (runs in its own process) ---------------------------------------------------
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_style(args: dict) -> dict:
    """Seconds per style-transfer iteration (one loss and gradient over every tile) at args' size."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_style import benchmark_iteration

    result = benchmark_iteration(
        "vgg16", size=(args["height"], args["width"]), tile_size=args["tile_size"], repeats=args["steps"]
    )
    return {
        "case": "style",
        **result,
        "megapixels": round(args["height"] * args["width"] / 1e6, 3),
        "peak_rss_mib": round(_status_kib("VmHWM") / 1024, 1),
    }


def measure(args: dict) -> dict:
    """Dream one octave of args['height'] x args['width'] for args['steps'] steps; figures as a dict."""
    import numpy as np
    from PIL import Image

    from deepdream import DreamSettings, prepare

    height, width = args["height"], args["width"]
    with Image.open(_image_path(args.get("image", "astronaut.png"))) as img:
        small = img.convert("RGB").resize((width, height), Image.BICUBIC)
    rgb = np.asarray(small, np.float32)
    del small
    overrides = dict(CASES[args["case"]])
    if "guide" in overrides:
        overrides["guide"] = tuple(str(_image_path(g)) for g in overrides["guide"])
    settings = DreamSettings(
        backbone=args.get("backbone", "vgg16"),
        layers=tuple(args.get("layers") or ()),
        octaves=1,
        steps=args["steps"],
        tile_size=args["tile_size"],
        precision=args["precision"],
        tile_batch=args["tile_batch"],
        **overrides,
    )
    dreamer = prepare(settings, like=rgb)  # loads, builds the objective, traces once
    tiled = dreamer.tiled
    # Warm up on a small image: kernels are set up once per process, not per size.
    warm = min(args["tile_size"], 128, height, width)
    tiled(dreamer.backbone.preprocess(rgb[:warm, :warm]))
    rss_before_kib = _status_kib("VmRSS")
    stamps = []

    def progress(event):
        stamps.append((time.perf_counter(), _cpu_seconds()))

    start = (time.perf_counter(), _cpu_seconds())
    out = dreamer.run(rgb, progress=progress)
    end = (time.perf_counter(), _cpu_seconds())
    assert out.shape == rgb.shape and np.isfinite(out).all()
    marks = [start] + stamps
    step_wall = [b[0] - a[0] for a, b in zip(marks, marks[1:], strict=False)]
    step_cpu = [b[1] - a[1] for a, b in zip(marks, marks[1:], strict=False)]
    megapixels = height * width / 1e6
    wall, cpu = sum(step_wall), sum(step_cpu)
    return {
        **_arithmetic(tiled, height, width, args["steps"], wall, cpu, args.get("clock_ghz")),
        "case": args["case"],
        "backbone": settings.backbone,
        "height": height,
        "width": width,
        "megapixels": round(megapixels, 3),
        "tile_size": args["tile_size"],
        "tiles_per_step": _tiles(height, width, tiled),
        "precision": tiled.precision,
        "requested_precision": args["precision"],
        "tile_batch": tiled.tile_batch,
        "steps": args["steps"],
        "step_wall_s": [round(t, 3) for t in step_wall],
        "step_cpu_s": [round(t, 3) for t in step_cpu],
        "mpix_steps_per_s": round(megapixels * args["steps"] / wall, 5),
        "mpix_steps_per_cpu_s": round(megapixels * args["steps"] / cpu, 5),
        "finish_s": round(end[0] - marks[-1][0], 3),  # deprocess and copy out after the last step
        "peak_rss_mib": round(_status_kib("VmHWM") / 1024, 1),
        "rss_before_dream_mib": round(rss_before_kib / 1024, 1),
        "image_buffer_mib": round(height * width * 3 * 4 / 2**20, 1),  # one float32 RGB copy
        "traces": tiled.traces,
    }


def _arithmetic(tiled, height: int, width: int, steps: int, wall: float, cpu: float, clock_ghz=None) -> dict:
    """A run's multiply-adds per step, the rate achieved, and its percentage of the machine's peak
    (wall clock against the whole machine; CPU time against one core)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from peak import machine_peak, step_macs

    macs = step_macs(tiled, height, width)
    peak = machine_peak(tiled.precision, clock_ghz)
    rate = macs["gmacs_per_step"] * steps / wall
    out = {**macs, "gmacs_per_s": round(rate, 1), "gmacs_per_cpu_s": round(macs["gmacs_per_step"] * steps / cpu, 1)}
    if peak.get("peak_gmacs_per_s"):
        out["percent_of_peak"] = round(100 * rate / peak["peak_gmacs_per_s"], 1)
        if "cores" in peak:
            one_core = peak["peak_gmacs_per_s"] / peak["cores"]
            out["percent_of_one_core_peak_per_cpu_s"] = round(100 * out["gmacs_per_cpu_s"] / one_core, 1)
    return out


def _tiles(height, width, tiled) -> int:
    return len(tiled.grid(height, width).tiles())


def run_in_subprocess(args: dict, timeout: float | None) -> dict:
    """measure(args) in a fresh Python process, so its peak memory is its own."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**args, "error": f"timed out after {timeout:g} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {**args, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def side(megapixels: float) -> int:
    """The side of a square image of `megapixels` x 2**20 pixels (1 -> 1024, 4 -> 2048, 16 -> 4096)."""
    return int(round((megapixels * 2**20) ** 0.5))


def machine(clock_ghz: float | None = None) -> dict:
    import tensorflow as tf

    from deepdream.backbones.base import cpu_flags, resolve_precision

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from peak import machine_peak

    gpus = tf.config.list_physical_devices("GPU")
    flags = cpu_flags()
    return {
        "peak": machine_peak("float32", clock_ghz),
        "device": "GPU" if gpus else f"CPU ({os.cpu_count()} cores)",
        "cpu_bf16": sorted(flags & {"avx512_bf16", "amx_bf16", "avx512f"}),
        "auto_precision": resolve_precision("auto"),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="1,4,16", help="megapixels (x 2**20 pixels, square), comma-separated")
    parser.add_argument(
        "--steps", default=None, help="steps per size, one number or one per size (default: 2 below 16 MP, 1 at 16 MP)"
    )
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument(
        "--precisions", default="float32,auto", help="comma-separated; auto is resolved and duplicates are dropped"
    )
    parser.add_argument("--tile-batch", default="1", help="comma-separated tile batch sizes to compare")
    parser.add_argument("--cases", default="dream", help=f"comma-separated, of: {', '.join(CASES)}")
    parser.add_argument("--backbones", default="vgg16", help="comma-separated backbones to compare")
    parser.add_argument("--layer", action="append", default=None, help="layers (default: the backbone's)")
    parser.add_argument(
        "--compare-untiled",
        action="store_true",
        help="also time one untiled tile-sized image, the ceiling tiled runs are compared with",
    )
    parser.add_argument("--untiled-steps", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per measurement")
    parser.add_argument(
        "--clock-ghz",
        type=float,
        default=None,
        help="the cores' clock for the peak (default: as /proc/cpuinfo says; a virtual machine's is its base)",
    )
    parser.add_argument(
        "--interleave",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="instead: time the cases against each other in one process, one step each in turn, "
        "for ROUNDS rounds (median seconds per step; ratios to the first case)",
    )
    parser.add_argument(
        "--style-sizes",
        default="",
        help="megapixels for style transfer's seconds per iteration (e.g. 1,16; default: none)",
    )
    opts = parser.parse_args()
    if opts.worker:
        job = json.loads(opts.worker)
        print(json.dumps(measure_style(job) if job["case"] == "style" else measure(job)), flush=True)
        return

    if opts.interleave:
        print(json.dumps(interleave(opts), indent=2))
        return
    sizes = [float(s) for s in opts.sizes.split(",") if s]
    if opts.steps is None:
        steps = [1 if mp >= 16 else 2 for mp in sizes]
    else:
        given = [int(s) for s in opts.steps.split(",")]
        steps = given * len(sizes) if len(given) == 1 else given
    precisions = list(dict.fromkeys(opts.precisions.split(",")))  # auto: resolved per backbone by the worker
    batches = [int(b) for b in opts.tile_batch.split(",")]
    result = {
        "machine": machine(opts.clock_ghz),
        "settings": {"tile_size": opts.tile_size, "octaves": 1, "layers": opts.layer or "default"},
        "runs": [],
    }
    started = time.perf_counter()
    for backbone, case in [(b, c) for b in opts.backbones.split(",") for c in opts.cases.split(",")]:
        if case not in CASES:
            sys.exit(f"bench: unknown case {case!r}; cases: {', '.join(CASES)}")
        jobs = []
        if opts.compare_untiled:
            jobs.append(dict(height=opts.tile_size, width=opts.tile_size, steps=opts.untiled_steps, untiled=True))
        jobs += [dict(height=side(mp), width=side(mp), steps=n) for mp, n in zip(sizes, steps, strict=False)]
        for job in jobs:
            for precision in precisions:
                for batch in batches if not job.get("untiled") else [1]:
                    args = dict(
                        case=case,
                        backbone=backbone,
                        tile_size=opts.tile_size,
                        precision=precision,
                        tile_batch=batch,
                        layers=opts.layer,
                        clock_ghz=opts.clock_ghz,
                        **job,
                    )
                    run = run_in_subprocess(args, opts.timeout)
                    run["untiled"] = bool(job.get("untiled"))
                    result["runs"].append(run)
                    print(json.dumps(run), file=sys.stderr, flush=True)  # progress as it goes
    for mp in [float(s) for s in opts.style_sizes.split(",") if s]:
        args = dict(case="style", height=side(mp), width=side(mp), steps=1, tile_size=opts.tile_size)
        run = run_in_subprocess(args, opts.timeout)
        result["style"] = result.get("style", []) + [run]
        print(json.dumps(run), file=sys.stderr, flush=True)
    result["summary"] = summarize(result["runs"])
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


def interleave(opts) -> dict:
    """Seconds per step of each case, measured in turn in one process (so machine load drifts
    alike for all), on each backbone, at the first of --sizes; medians and ratios to the first case."""
    import statistics

    import numpy as np
    from PIL import Image

    from deepdream import DreamSettings, prepare

    side_ = side(float(opts.sizes.split(",")[0]))
    with Image.open(_image_path("astronaut.png")) as img:
        rgb = np.asarray(img.convert("RGB").resize((side_, side_), Image.BICUBIC), np.float32)
    result = {"machine": machine(opts.clock_ghz), "size": [side_, side_], "rounds": opts.interleave, "backbones": {}}
    for backbone in opts.backbones.split(","):
        cases = opts.cases.split(",")
        dreamers = {}
        for case in cases:
            overrides = dict(CASES[case])
            if "guide" in overrides:
                overrides["guide"] = tuple(str(_image_path(g)) for g in overrides["guide"])
            settings = DreamSettings(
                backbone=backbone,
                layers=tuple(opts.layer or ()),
                octaves=1,
                steps=1,
                tile_size=opts.tile_size,
                precision=opts.precisions.split(",")[0],
                **overrides,
            )
            dreamers[case] = prepare(settings, like=rgb)
            dreamers[case].run(rgb)  # warm up: kernels for this size
        times = {case: [] for case in cases}
        for round_ in range(opts.interleave):
            for case in cases[round_ % len(cases) :] + cases[: round_ % len(cases)]:  # each case leads in turn
                start = time.perf_counter()
                dreamers[case].run(rgb)
                times[case].append(time.perf_counter() - start)
        medians = {case: statistics.median(t) for case, t in times.items()}
        first = medians[cases[0]]
        result["backbones"][backbone] = {
            "precision": dreamers[cases[0]].tiled.precision,
            "seconds_per_step": {c: round(m, 3) for c, m in medians.items()},
            f"ratio_to_{cases[0]}": {c: round(m / first, 3) for c, m in medians.items()},
        }
    return result


def summarize(runs) -> dict:
    """Ratios: tiled over untiled speed, each precision over float32, peak memory growth."""
    ok = [r for r in runs if "error" not in r]
    summary = {}
    for r in ok:
        if r["untiled"]:
            continue
        key = f"{r['backbone']} {r['case']} {r['megapixels']:g}MP {r['precision']} batch{r['tile_batch']}"
        ceiling = next(
            (
                u
                for u in ok
                if u["untiled"]
                and u["case"] == r["case"]
                and u["backbone"] == r["backbone"]
                and u["precision"] == r["precision"]
            ),
            None,
        )
        f32 = next(
            (
                x
                for x in ok
                if not x["untiled"]
                and x["case"] == r["case"]
                and x["precision"] == "float32"
                and x["backbone"] == r["backbone"]
                and x["megapixels"] == r["megapixels"]
                and x["tile_batch"] == r["tile_batch"]
            ),
            None,
        )
        entry = {"mpix_steps_per_s": r["mpix_steps_per_s"], "peak_rss_mib": r["peak_rss_mib"], "traces": r["traces"]}
        if ceiling:
            entry["vs_untiled_wall"] = round(r["mpix_steps_per_s"] / ceiling["mpix_steps_per_s"], 3)
            entry["vs_untiled_cpu"] = round(r["mpix_steps_per_cpu_s"] / ceiling["mpix_steps_per_cpu_s"], 3)
        if f32 and f32 is not r:
            entry["speedup_over_float32"] = round(r["mpix_steps_per_s"] / f32["mpix_steps_per_s"], 3)
        summary[key] = entry
    by_size = {}
    for r in ok:
        if not r["untiled"] and r["tile_batch"] == 1:
            by_size.setdefault((r["backbone"], r["case"], r["precision"]), []).append(r)
    for (backbone, case, precision), rs in by_size.items():
        rs.sort(key=lambda r: r["megapixels"])
        for a, b in zip(rs, rs[1:], strict=False):
            growth = b["peak_rss_mib"] - a["peak_rss_mib"]
            buffer = b["image_buffer_mib"] - a["image_buffer_mib"]
            summary[f"{backbone} {case} {precision} peak growth {a['megapixels']:g}->{b['megapixels']:g}MP"] = {
                "peak_rss_growth_mib": round(growth, 1),
                "one_image_buffer_growth_mib": round(buffer, 1),
                "growth_in_image_buffers": round(growth / buffer, 2) if buffer else None,
            }
    return summary


if __name__ == "__main__":
    main()
