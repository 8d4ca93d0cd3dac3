"""`deepdream dream`: dream on a picture."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import _quiet_tensorflow, app, default_output

BACKBONE_HELP = "Network to dream with."

@app.command()
def dream(
    input: Path = typer.Argument(..., help="Image to dream on (PNG, JPEG, WebP, TIFF, ...).", show_default=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file; its extension picks the format (.png .jpg .webp .tif). Default: INPUT_dream.png beside the input.", show_default=False),
    layer: Optional[List[str]] = typer.Option(None, "-l", "--layer", help="Layer to maximise: NAME, NAME:CHANNEL, NAME=WEIGHT; repeat for several. Default: the backbone's own (see `deepdream layers`).", show_default=False),
    backbone: str = typer.Option("vgg16", "-b", "--backbone", help=BACKBONE_HELP),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file for the backbone (default: embedded, weights folder or Keras cache).", show_default=False),
    octaves: int = typer.Option(4, "--octaves", help="Number of scales, dreamt from the smallest up."),
    octave_scale: float = typer.Option(1.4, "--octave-scale", help="Size ratio between octaves (> 1)."),
    steps: int = typer.Option(10, "--steps", help="Gradient-ascent steps per octave."),
    step_size: float = typer.Option(1.5, "--step-size", help="Mean change per step, in RGB levels (0-255): higher dreams harder."),
    tile_size: int = typer.Option(512, "--tile-size", help="Tile side in pixels: memory is bounded by the tile, not the image."),
    precision: str = typer.Option("auto", "--precision", help="What the network computes in: auto, float32, bfloat16 or float16. auto: bfloat16 on CPUs with native bfloat16 and on recent GPUs, float16 on older GPUs, else float32."),
    tile_batch: int = typer.Option(1, "--tile-batch", help="Tiles of equal shape sent through the network together: can be faster, holds that many tiles' activations in memory."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the tile jitter: same seed, same output bytes."),
    max_side: Optional[int] = typer.Option(None, "--max-side", help="Shrink the input first so its longer side is at most this many pixels.", show_default=False),
    guide: Optional[List[Path]] = typer.Option(None, "--guide", help="Dream toward the patterns of this image instead; repeat to pool several. With a guide, --layer may be `auto` (the layer where image and guide match best); default layer: block3_conv3 on vgg16.", show_default=False),
    guide_size: Optional[int] = typer.Option(None, "--guide-size", help="Longer side, in pixels, the guide is resized to (at most the tile size). Default: shrunk to fit 512, never enlarged.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output file if it exists."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar."),
) -> None:
    """Dream on an image: amplify what the network sees in it, octave by octave."""
    from .. import api, images
    from ..progress import dream_progress

    output = output or default_output(input, "dream")
    api.check_dream_settings(octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size,
                             tile_size=tile_size, max_side=max_side)
    api.check_speed_settings(precision=precision, tile_batch=tile_batch)
    guide = list(guide or []) or None
    api.check_guide_settings(layer, guide is not None, guide_size)
    loaded = images.load_image(input)
    if guide is not None:
        api.load_guides(guide)
    images.check_output_path(output, inputs=[input, *(guide or [])], overwrite=overwrite)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    _quiet_tensorflow()
    if guide is not None and layer and str(layer[0]).strip().lower() == "auto":
        layer = [api.pick_guide_layer(loaded, guide, backbone=backbone, weights=weights,
                                      guide_size=guide_size, tile_size=tile_size, seed=seed)]
        typer.echo(f"deepdream: guided by {', '.join(g.name for g in guide)} at layer {layer[0]} (auto)", err=True)
    with dream_progress(quiet) as progress:
        result = api.dream(loaded, layers=layer, backbone=backbone, weights=weights, octaves=octaves,
                           octave_scale=octave_scale, steps=steps, step_size=step_size,
                           tile_size=tile_size, seed=seed, progress=progress, precision=precision,
                           tile_batch=tile_batch, guide=guide, guide_size=guide_size)
    images.save_image(result.rgb, output, alpha=result.alpha, overwrite=overwrite)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)

