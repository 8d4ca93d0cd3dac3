"""Guided vs unguided dreaming speed, in the same process: megapixel-steps per second (JSON out).

    python scripts/bench_guided.py [--size 512] [--steps 3] [--layer block4_conv3 ...]

Both runs dream the same image (the astronaut sample, resized to SIZE x SIZE) for one octave of
STEPS steps on the same layers with the same seed; the guided run is guided by the brick texture.
Each is run once untimed first, so tracing and the guide's features are not counted: what is
timed is the render loop (and, for the guided run, the guide matching inside it). With --repeats
the two alternate, and the fastest of each is reported (all times are listed too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared" / "images"


def _image(name: str) -> Path:
    for folder in (SAMPLES, SHARED):
        if (folder / name).is_file():
            return folder / name
    sys.exit(f"bench_guided: {name} not found in {SAMPLES} or {SHARED}")


def benchmark_guided(size: int = 512, steps: int = 3, layers=None, repeats: int = 3) -> dict:
    """Time `repeats` renders each, unguided and guided (alternating), after one untimed warm-up of each."""
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from deepdream import api, images
    from deepdream.backbones import load_backbone
    from deepdream.objectives import from_specs
    from deepdream.render.dream import render

    net = load_backbone("vgg16")
    rgb = images.resize_array(images.load_image(_image("astronaut.png")).rgb, (size, size))
    guide = _image("brick.png")
    specs = api.layer_specs(layers, net)
    unguided = from_specs(net, specs)
    t0 = time.perf_counter()
    guided = api.guided_objective(net, rgb, guide, specs, tile_size=512)
    guide_seconds = time.perf_counter() - t0
    settings = dict(octaves=1, steps=steps, step_size=1.5, tile_size=512, seed=0)
    result = {"size": size, "steps": steps, "layers": [str(s) for s in specs],
              "guide": guide.name, "guide_features_s": round(guide_seconds, 3),
              "device": "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)",
              "python": platform.python_version(), "tensorflow": tf.__version__}
    megapixel_steps = size * size * steps / 1e6
    from deepdream.render.tiles import TiledGradient

    objectives_ = {"unguided": unguided, "guided": guided}
    tiled = {name: TiledGradient(net, objective, 512) for name, objective in objectives_.items()}
    times: dict[str, list[float]] = {name: [] for name in objectives_}
    for name, objective in objectives_.items():
        render(net, rgb, objective, tiled=tiled[name], **settings)  # warm-up: traces once
    for _ in range(repeats):  # interleaved, so a busy machine slows both alike
        for name, objective in objectives_.items():
            t0 = time.perf_counter()
            out = render(net, rgb, objective, tiled=tiled[name], **settings)
            times[name].append(time.perf_counter() - t0)
            assert np.isfinite(out).all()
    for name, seconds in times.items():
        best = min(seconds)
        result[f"{name}_s"] = round(best, 3)
        result[f"{name}_s_all"] = [round(t, 3) for t in seconds]
        result[f"{name}_mpix_steps_per_s"] = round(megapixel_steps / best, 4)
        result[f"{name}_traces"] = tiled[name].traces
    result["guided_over_unguided_time"] = round(result["guided_s"] / result["unguided_s"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layer", action="append", default=None)
    args = parser.parse_args()
    print(json.dumps(benchmark_guided(args.size, args.steps, args.layer, args.repeats), indent=2))


if __name__ == "__main__":
    main()
