"""Style transfer's cost per iteration, for scripts/bench.py (`--style-sizes`).

    python scripts/bench_style.py --size 4096 --iterations 1     # one 16-megapixel L-BFGS iteration
    python scripts/bench_style.py --colour --max-side 160         # colour kept, content x style pairs

`benchmark_iteration` times one loss-and-gradient evaluation (every tile, two passes) on a random
picture; `benchmark_run` runs the optimiser itself for a few iterations, so its peak memory includes
the optimiser's state (L-BFGS history) as a real run's does. Both report the process's peak
resident memory (VmHWM)."""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def _loss(backbone, h: int, w: int, tile_size: int, seed: int):
    from deepdream.settings import StyleSettings
    from deepdream.style import StyleLoss, default_layers

    settings = StyleSettings()
    rng = np.random.default_rng(seed)
    content_layers, style_layers = default_layers(backbone)
    loss = StyleLoss(backbone, content_layers, style_layers, tile_size=tile_size)
    content = backbone.preprocess(rng.uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    style = backbone.preprocess(rng.uniform(0, 255, (min(h, 256), min(w, 256), 3)).astype(np.float32)).numpy()
    grams, _ = loss.measure(style, content=False)
    _, feats = loss.measure(content)
    del content
    loss.set_targets(
        style_grams=grams,
        group_weights=[1.0],
        content_features=feats,
        size=(h, w),
        content_weight=settings.content_weight,
        style_weight=settings.style_weight,
        tv_weight=settings.tv_weight,
    )
    return loss, rng


def benchmark_iteration(
    backbone, size: int | tuple[int, int] = 512, tile_size: int = 512, repeats: int = 2, seed: int = 0
) -> dict:
    """Time one loss-and-gradient evaluation of style transfer on a random picture of `size` (a
    side, or (height, width)), with the default layers and weights.

    Returns seconds_per_iteration, height, width, tile_size, tiles, traces, backbone and
    process_peak_rss_mib (the whole process's peak resident memory so far)."""
    if isinstance(backbone, str):
        from deepdream.backbones import load_backbone

        backbone = load_backbone(backbone)
    h, w = (size, size) if isinstance(size, int) else size
    loss, rng = _loss(backbone, h, w, tile_size, seed)
    x = backbone.preprocess(rng.uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    loss(x)  # trace
    start = time.perf_counter()
    for _ in range(repeats):
        loss(x)
    seconds = (time.perf_counter() - start) / repeats
    return dict(
        seconds_per_iteration=seconds,
        height=h,
        width=w,
        tile_size=tile_size,
        tiles=len(loss.tiles(h, w)),
        traces=loss.traces,
        backbone=backbone.name,
        process_peak_rss_mib=_peak_rss_mib(),
    )


def benchmark_run(
    backbone,
    size: int | tuple[int, int] = 512,
    tile_size: int = 512,
    iterations: int = 1,
    optimizer: str = "lbfgs",
    seed: int = 0,
) -> dict:
    """Run the optimiser for `iterations` iterations on a random picture (as `deepdream style` does
    after loading its inputs): seconds per iteration, loss evaluations, and the peak memory."""
    from deepdream.style import minimise_adam, minimise_lbfgs
    from deepdream.style.optimizers import history_size

    if isinstance(backbone, str):
        from deepdream.backbones import load_backbone

        backbone = load_backbone(backbone)
    h, w = (size, size) if isinstance(size, int) else size
    loss, rng = _loss(backbone, h, w, tile_size, seed)
    x0 = backbone.preprocess(rng.uniform(0, 255, (h, w, 3)).astype(np.float32)).numpy()
    evaluations = []

    def counted(x):
        evaluations.append(time.perf_counter())
        return loss(x)

    stamps = []
    start = time.perf_counter()
    bounds = dict(low=backbone.low, high=backbone.high)
    if optimizer == "adam":
        minimise_adam(counted, x0, iterations, 4.0 * backbone.pixel_scale, lambda *a: stamps.append(1), **bounds)
    else:
        minimise_lbfgs(counted, x0, iterations, lambda *a: stamps.append(1), first_step=backbone.pixel_scale, **bounds)
    seconds = time.perf_counter() - start
    return dict(
        optimizer=optimizer,
        iterations=len(stamps),
        evaluations=len(evaluations),
        seconds=round(seconds, 1),
        height=h,
        width=w,
        tile_size=tile_size,
        tiles=len(loss.tiles(h, w)),
        lbfgs_history=history_size(h * w * 3) if optimizer == "lbfgs" else None,
        backbone=backbone.name,
        process_peak_rss_mib=_peak_rss_mib(),
    )


def chroma(rgb) -> float:
    """Mean colour saturation: the magnitude of (Cb, Cr) about grey, in YCbCr levels."""
    from deepdream.colors import to_ycbcr

    ycc = to_ycbcr(np.asarray(rgb, np.float32))
    return float(np.hypot(ycc[..., 1] - 128.0, ycc[..., 2] - 128.0).mean())


def hsv_saturation(rgb) -> float:
    """Mean HSV saturation, (max - min) / max per pixel, in [0, 1] (0 for black)."""
    rgb = np.asarray(rgb, np.float32)
    high, low = rgb.max(-1), rgb.min(-1)
    return float(np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0.0).mean())


COLOUR_CONTENTS = ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg")
COLOUR_STYLES = ("gravel.png", "brick.png", "rocket.jpg")


def colour_kept(content, style, max_side: int = 160, iterations: int = 100, save=None, **overrides) -> dict:
    """Style `content` (a path) with `style` at the defaults (shrunk to `max_side`) and report the
    result's mean saturation relative to the content's (`chroma`, and HSV's `hsv_saturation`), and
    the palette start's. save: also write the result there (a PNG). A grey style should leave little colour;
    a colour style should bring its own."""
    from deepdream import images
    from deepdream.settings import StyleSettings
    from deepdream.style import stylize
    from deepdream.style.colors import colour_stats, match_palette

    settings = StyleSettings(styles=(str(style),), max_side=max_side, iterations=iterations, **overrides)
    loaded = images.fit_max_side(images.as_loaded(content), max_side)
    style_rgb = images.as_loaded(style).rgb
    start = time.perf_counter()
    out = stylize(loaded.rgb, settings=settings)
    seconds = time.perf_counter() - start
    if save:
        images.to_pil(out).save(save)
    c, hsv = chroma(loaded.rgb), hsv_saturation(loaded.rgb)
    start_rgb = match_palette(loaded.rgb, *colour_stats([style_rgb]))
    return dict(
        content=os.path.basename(str(content)),
        style=os.path.basename(str(style)),
        content_chroma=round(c, 2),
        style_chroma=round(chroma(style_rgb), 2),
        palette_start_kept=round(chroma(start_rgb) / c, 3),
        result_kept=round(chroma(out) / c, 3),
        hsv_start_kept=round(hsv_saturation(start_rgb) / hsv, 3),
        hsv_kept=round(hsv_saturation(out) / hsv, 3),
        seconds=round(seconds, 1),
        **{k: v for k, v in overrides.items()},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="side of the square picture, in pixels")
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--optimizer", default="lbfgs", choices=("lbfgs", "adam"))
    parser.add_argument(
        "--colour",
        action="store_true",
        help="colour kept by style transfer at the defaults, for each content x style pair",
    )
    parser.add_argument("--max-side", type=int, default=160)
    parser.add_argument("--save", help="colour: also write each result in this folder")
    parser.add_argument("--contents", nargs="*", default=COLOUR_CONTENTS)
    parser.add_argument("--styles", nargs="*", default=COLOUR_STYLES)
    opts = parser.parse_args()
    if opts.colour:
        iterations = opts.iterations if opts.iterations > 1 else 100
        for content in opts.contents:
            for style in opts.styles:
                if style == content:
                    continue
                save = None
                if opts.save:
                    os.makedirs(opts.save, exist_ok=True)
                    save = os.path.join(opts.save, f"{content.split('.')[0]}_{style.split('.')[0]}.png")
                print(
                    json.dumps(colour_kept(f"samples/{content}", f"samples/{style}", opts.max_side, iterations, save)),
                    flush=True,
                )
        return
    print(json.dumps(benchmark_run("vgg16", opts.size, opts.tile_size, opts.iterations, opts.optimizer)))


if __name__ == "__main__":
    main()
