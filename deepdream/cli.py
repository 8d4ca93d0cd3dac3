"""The `deepdream` command. It parses, validates and reports; the engine does the maths."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import DeepDreamError

app = typer.Typer(
    help="Neural-network art from the terminal: DeepDream, guided dreams and style transfer.",
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

BACKBONE_HELP = "Network to dream with: vgg16 (embedded, works offline) or inceptionv3 (needs its weights file)."


def _quiet_tensorflow() -> None:
    """Import TensorFlow with its start-up chatter (CUDA probing, CPU features) kept off the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            except ImportError:
                pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def default_output(input_path: Path, suffix: str) -> Path:
    return input_path.with_name(f"{input_path.stem}_{suffix}.png")


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
    seed: int = typer.Option(0, "--seed", help="Random seed of the tile jitter: same seed, same output bytes."),
    max_side: Optional[int] = typer.Option(None, "--max-side", help="Shrink the input first so its longer side is at most this many pixels.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output file if it exists."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar."),
) -> None:
    """Dream on an image: amplify what the network sees in it, octave by octave."""
    from . import api, images
    from .progress import dream_progress

    output = output or default_output(input, "dream")
    api.check_dream_settings(octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size,
                             tile_size=tile_size, max_side=max_side)
    loaded = images.load_image(input)
    images.check_output_path(output, inputs=[input], overwrite=overwrite)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    with dream_progress(quiet) as progress:
        result = api.dream(loaded, layers=layer, backbone=backbone, weights=weights, octaves=octaves,
                           octave_scale=octave_scale, steps=steps, step_size=step_size,
                           tile_size=tile_size, seed=seed, progress=progress)
    images.save_image(result.rgb, output, alpha=result.alpha, overwrite=overwrite)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)


@app.command()
def layers(backbone: str = typer.Option("vgg16", "-b", "--backbone", help=BACKBONE_HELP),
           weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file for the backbone.", show_default=False)) -> None:
    """List a backbone's layers: name, channels, and scale (input pixels per feature position)."""
    from .backbones import load_backbone

    net = load_backbone(backbone, weights)
    defaults = {name for name, _ in net.default_layers}
    typer.echo(f"{'layer':<16} {'channels':>8} {'scale':>6}")
    for info in net.catalog:
        mark = "  (default)" if info.name in defaults else ""
        typer.echo(f"{info.name:<16} {info.channels:>8} {info.stride:>6}{mark}")


@app.command()
def backbones() -> None:
    """List the backbones and whether their weights are available now."""
    from . import backbones as registry

    for name in registry.names():
        module = registry.module(name)
        status = registry.weights_status(name)
        state = "ready" if status.available else "weights missing"
        typer.echo(f"{name:<12} {state:<16} {module.DESCRIPTION}")
        typer.echo(f"{'':<12} {status.where}")


def main() -> None:
    """Entry point: run the app; a DeepDreamError is one line on stderr and exit code 2."""
    try:
        if len(sys.argv) > 1 and sys.argv[1] not in ("-h", "--help"):
            _quiet_tensorflow()
        app()
    except DeepDreamError as e:
        typer.echo(f"deepdream: error: {e}", err=True)
        sys.exit(2)
