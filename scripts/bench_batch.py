"""Batch throughput: in process vs on a local Ray cluster, and Ray's cost per item (JSON out).

    python scripts/bench_batch.py --count 16 --size 512 --workers 2 > batch.json

Each run renders `count` crops of the samples at `size` px into a fresh folder. Reported per run:
wall seconds (start-up included: Ray's start, each actor's model load and trace), steady seconds
per item (between the first and the last result: start-up excluded), mean render seconds per item
as the renderer measured it, and for Ray the start-up of the cluster alone. Ray's cost per item is
the steady per-item time of a 1-worker Ray run minus the in-process one on tiny pictures (1 step),
where the render itself is negligible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_inputs(folder: Path, count: int, size: int) -> list[Path]:
    """`count` different size x size crops of the samples."""
    from PIL import Image

    sources = [
        Image.open(ROOT / "samples" / name).convert("RGB")
        for name in ("chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg")
    ]
    paths = []
    for i in range(count):
        img = sources[i % len(sources)]
        side = min(img.size)
        shift = (i // len(sources)) * max(1, (max(img.size) - side) // 4)
        box = (min(shift, img.width - side), 0, min(shift, img.width - side) + side, side)
        path = folder / f"photo{i:02d}.png"
        img.crop(box).resize((size, size), Image.LANCZOS).save(path)
        paths.append(path)
    return paths


def timed_batch(inputs, out, settings, ray=None, workers=None) -> dict:
    from deepdream.batch import Result, batch

    stamps = []

    def progress(event):
        if isinstance(event, Result):
            stamps.append(time.perf_counter())

    started = time.perf_counter()
    summary = batch(inputs, out, settings, ray=ray, workers=workers, progress=progress)
    wall = time.perf_counter() - started
    renders = [r.seconds for r in summary.results if r.status == "written"]
    steady = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else None
    return {
        "items": len(summary.written),
        "failed": len(summary.failed),
        "wall_s": round(wall, 2),
        "items_per_s_wall": round(len(renders) / wall, 3),
        "steady_s_per_item": None if steady is None else round(steady, 3),
        "mean_render_s": round(sum(renders) / max(1, len(renders)), 3),
        "where": summary.where,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backbone", default="efficientnet-lite2")
    parser.add_argument("--octaves", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from deepdream.settings import DreamSettings

    settings = DreamSettings(backbone=args.backbone, octaves=args.octaves, steps=args.steps)
    tiny = DreamSettings(backbone="vgg16", layers=("block2_conv1",), octaves=1, steps=1)
    work = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "batch": {
            "count": args.count,
            "size": args.size,
            "backbone": args.backbone,
            "octaves": args.octaves,
            "steps": args.steps,
        },
    }
    try:
        photos = make_inputs(work / "in", args.count, args.size) if (work / "in").mkdir() is None else []
        small = make_inputs(work / "tiny", args.count, 48) if (work / "tiny").mkdir() is None else []
        report["in_process"] = timed_batch(photos, work / "out_local", settings)
        report["tiny_in_process"] = timed_batch(small, work / "tiny_local", tiny)
        if not args.skip_ray:
            import ray

            from deepdream.workers import start_ray, stop_ray

            started = time.perf_counter()
            start_ray("local", args.workers)
            report["ray_start_s"] = round(time.perf_counter() - started, 2)
            try:
                report["ray"] = timed_batch(photos, work / "out_ray", settings, ray="local", workers=args.workers)
                report["tiny_ray_1_worker"] = timed_batch(small, work / "tiny_ray", tiny, ray="local", workers=1)
            finally:
                stop_ray(ray)
            same = all(
                (work / "out_local" / p.name).read_bytes() == (work / "out_ray" / p.name).read_bytes() for p in photos
            )
            report["ray_same_bytes_as_in_process"] = same
            local, far = report["in_process"], report["ray"]
            report["ray_speedup_wall"] = round(local["wall_s"] / far["wall_s"], 3)
            report["ray_speedup_steady"] = round(local["steady_s_per_item"] / far["steady_s_per_item"], 3)
            report["ray_overhead_s_per_item"] = round(
                report["tiny_ray_1_worker"]["steady_s_per_item"] - report["tiny_in_process"]["steady_s_per_item"], 3
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
