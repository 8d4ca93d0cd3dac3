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

BACKBONE_HELP = "Network to dream with: vgg16 (embedded, works offline), inceptionv3 or googlenet (these need their weights file: see `deepdream weights`)."


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
    from . import api, images
    from .progress import dream_progress

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


@app.command()
def layers(backbone: str = typer.Option("vgg16", "-b", "--backbone", help=BACKBONE_HELP),
           weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file for the backbone.", show_default=False)) -> None:
    """List a backbone's layers: name, channels, and scale (input pixels per feature position)."""
    from .backbones import load_backbone

    _quiet_tensorflow()
    net = load_backbone(backbone, weights)
    defaults = {name for name, _ in net.default_layers}
    width = max([16] + [len(info.name) for info in net.catalog])
    typer.echo(f"{'layer':<{width}} {'channels':>8} {'scale':>6}")
    for info in net.catalog:
        mark = "  (default)" if info.name in defaults else ""
        typer.echo(f"{info.name:<{width}} {info.channels:>8} {info.stride:>6}{mark}")


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


weights_app = typer.Typer(
    help="The backbones' weights files: list what each needs and where it is, or add a file.",
    no_args_is_help=False, invoke_without_command=True,
)
app.add_typer(weights_app, name="weights")


def _print_weights() -> None:
    from .backbones import names
    from .backbones.weights import describe, user_weights_dir

    typer.echo(f"weights folder: {user_weights_dir()} (set DEEPDREAM_WEIGHTS_DIR to change it)")
    for name in names():
        r = describe(name)
        state = "embedded" if r.embedded and r.available else "ready" if r.available else "missing"
        typer.echo(f"\n{name:<12} {state:<9} {r.filename}")
        if r.available:
            typer.echo(f"  found:      {r.path}")
            typer.echo(f"  size:       {r.size:,} bytes, sha256 {r.sha256}")
        else:
            typer.echo(f"  looked in:  {', '.join(str(f) for f in r.looked_in) or '-'}")
        if not r.embedded:
            known = [f"{r.expected_size:,} bytes" if r.expected_size else "size unknown"]
            if r.expected_hash:
                known.append(f"{'md5' if len(r.expected_hash) == 32 else 'sha256'} {r.expected_hash}")
            typer.echo(f"  published:  {', '.join(known)}")
        typer.echo(f"  get it:     {r.how}")


@weights_app.callback()
def weights_main(ctx: typer.Context) -> None:
    """List every backbone's weights file: where it was found (size, SHA-256), or where it is looked for and how to get it."""
    if ctx.invoked_subcommand is None:
        _print_weights()


@weights_app.command("list")
def weights_list() -> None:
    """List every backbone's weights file (the same as `deepdream weights`)."""
    _print_weights()


@weights_app.command("add")
def weights_add(
    file: Path = typer.Argument(..., help="The weights file, e.g. tensorflow_inception_graph.pb from inception5h.zip.", show_default=False),
    backbone: Optional[str] = typer.Option(None, "-b", "--backbone", help="The backbone it is for (default: told by the file's content).", show_default=False),
) -> None:
    """Check a weights file (by loading it) and copy it into the weights folder, where every later run finds it, offline too."""
    from .backbones.weights import add, check_adding

    check_adding(file, backbone)  # before the slow TensorFlow import
    _quiet_tensorflow()
    added = add(file, backbone)
    for warning in added.warnings:
        typer.echo(f"deepdream: warning: {warning}", err=True)
    what = {"added": "added", "replaced": "replaced", "unchanged": "already had"}[added.action]
    typer.echo(f"{added.backbone}: {what} {added.path} ({added.size:,} bytes, sha256 {added.sha256})")


def _snapshot_saver(output: Path, inputs):
    """save(n, rgb) writing OUTPUT_0050.png beside the output (atomically), for --save-every."""
    from . import images

    def save(count: int, rgb) -> None:
        path = output.with_name(f"{output.stem}_{count:04d}{output.suffix}")
        images.check_output_path(path, inputs=inputs, overwrite=True)
        images.save_image(rgb, path, overwrite=True)

    return save


def _load_masks(mask_paths, count: int, size) -> list:
    """Masks read and checked (one per style, not empty); a size other than the content's is a note."""
    from . import images
    from .errors import SettingsError
    from .style import mask_array

    if not mask_paths:
        return []
    if len(mask_paths) != count:
        raise SettingsError(
            f"There {'is' if len(mask_paths) == 1 else 'are'} {len(mask_paths)} --mask for {count} "
            f"--style; give one --mask per --style, in the same order, or none."
        )
    masks = []
    for path in mask_paths:
        loaded = images.load_image(path)
        mask_array(loaded, f"'{path}'")
        h, w = loaded.rgb.shape[:2]
        if (h, w) != tuple(size):
            typer.echo(f"deepdream: note: mask '{path}' is {w}x{h}; resized to the content's {size[1]}x{size[0]}.", err=True)
        masks.append(loaded)
    return masks


def _load_init(init: str):
    from . import images

    if init in ("content", "noise"):
        return init
    return images.load_image(init)


LAYER_WEIGHT_HELP = "NAME or NAME=WEIGHT; repeat for several. Default: the backbone's own."


@app.command()
def style(
    input: Path = typer.Argument(..., help="Content image: the picture to repaint.", show_default=False),
    style_image: List[Path] = typer.Option(..., "-s", "--style", help="Style image; repeat for several (see --style-blend, --mask).", show_default=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file; its extension picks the format. Default: INPUT_style.png beside the input.", show_default=False),
    style_blend: Optional[str] = typer.Option(None, "--style-blend", help="Weights of the styles, e.g. 0.7,0.3 (default: equal).", show_default=False),
    mask: Optional[List[Path]] = typer.Option(None, "--mask", help="Region of each style (white = this style): one per --style, in order.", show_default=False),
    backbone: str = typer.Option("vgg16", "-b", "--backbone", help=BACKBONE_HELP),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file for the backbone.", show_default=False),
    content_layer: Optional[List[str]] = typer.Option(None, "--content-layer", help=f"Content layer: {LAYER_WEIGHT_HELP}", show_default=False),
    style_layer: Optional[List[str]] = typer.Option(None, "--style-layer", help=f"Style layer: {LAYER_WEIGHT_HELP}", show_default=False),
    content_weight: float = typer.Option(1.0, "--content-weight", help="Weight of the content term."),
    style_weight: float = typer.Option(10.0, "--style-weight", help="Weight of the style term: higher paints more style, less content."),
    tv_weight: float = typer.Option(10.0, "--tv-weight", help="Weight of the total-variation term: higher is smoother."),
    optimizer: str = typer.Option("lbfgs", "--optimizer", help="lbfgs (converges fast) or adam (steady, bounded memory)."),
    iterations: int = typer.Option(200, "--iterations", help="Optimiser iterations, at each scale."),
    learning_rate: float = typer.Option(4.0, "--learning-rate", help="Adam's step size, in RGB levels."),
    init: str = typer.Option("content", "--init", help="Start from: content, noise, or an image FILE."),
    preserve_colors: bool = typer.Option(False, "--preserve-colors", help="Transfer the style on luminance only; keep the content's colours."),
    style_scale: float = typer.Option(1.0, "--style-scale", help="Style image's size relative to the output (longer sides)."),
    scales: int = typer.Option(1, "--scales", help="Coarse-to-fine levels, each half the size of the next."),
    tile_size: int = typer.Option(512, "--tile-size", help="Pictures larger than this are computed in tiles: memory is bounded by the tile."),
    max_side: Optional[int] = typer.Option(None, "--max-side", help="Shrink the content first so its longer side is at most this many pixels.", show_default=False),
    seed: int = typer.Option(0, "--seed", help="Random seed (noise init): same seed, same output bytes."),
    save_every: Optional[int] = typer.Option(None, "--save-every", help="Also write OUTPUT_0050.png etc. every N iterations.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output file if it exists."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar."),
) -> None:
    """Style transfer (Gatys et al.): repaint INPUT in the style of one or more --style images."""
    from . import images
    from .progress import style_progress
    from .style import check_style_settings, parse_blend, stylize

    output = output or default_output(input, "style")
    check_style_settings(content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                         optimizer=optimizer, iterations=iterations, learning_rate=learning_rate,
                         style_scale=style_scale, scales=scales, tile_size=tile_size, save_every=save_every,
                         max_side=max_side)
    blend = parse_blend(style_blend, len(style_image))
    loaded = images.load_image(input)
    if max_side is not None:
        loaded = images.fit_max_side(loaded, max_side)
    styles = [images.load_image(path) for path in style_image]
    masks = _load_masks(mask, len(style_image), loaded.rgb.shape[:2])
    start = _load_init(init)
    inputs = [input, *style_image, *(mask or [])]
    images.check_output_path(output, inputs=inputs, overwrite=overwrite)
    _quiet_tensorflow()
    saver = _snapshot_saver(output, inputs) if save_every else None
    with style_progress(quiet, "styling", saver, save_every) as progress:
        result = stylize(loaded, styles, style_blend=blend, masks=masks or None, backbone=backbone,
                         weights=weights, content_layers=content_layer, style_layers=style_layer,
                         content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                         optimizer=optimizer, iterations=iterations, learning_rate=learning_rate, init=start,
                         preserve_colors=preserve_colors, style_scale=style_scale, scales=scales,
                         tile_size=tile_size, seed=seed, progress=progress)
    images.save_image(result.rgb, output, alpha=result.alpha, overwrite=overwrite)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)


@app.command()
def texture(
    input: Path = typer.Argument(..., help="Texture sample to grow a new texture from.", show_default=False),
    size: Optional[str] = typer.Option(None, "--size", help="Output size WIDTHxHEIGHT, e.g. 1024x1024 (default: the sample's).", show_default=False),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file; its extension picks the format. Default: INPUT_texture.png beside the input.", show_default=False),
    backbone: str = typer.Option("vgg16", "-b", "--backbone", help=BACKBONE_HELP),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Weights file for the backbone.", show_default=False),
    style_layer: Optional[List[str]] = typer.Option(None, "--style-layer", help=f"Style layer: {LAYER_WEIGHT_HELP}", show_default=False),
    style_weight: float = typer.Option(10.0, "--style-weight", help="Weight of the style (texture) term."),
    tv_weight: float = typer.Option(10.0, "--tv-weight", help="Weight of the total-variation term: higher is smoother."),
    optimizer: str = typer.Option("lbfgs", "--optimizer", help="lbfgs (converges fast) or adam."),
    iterations: int = typer.Option(200, "--iterations", help="Optimiser iterations, at each scale."),
    learning_rate: float = typer.Option(4.0, "--learning-rate", help="Adam's step size, in RGB levels."),
    init: str = typer.Option("noise", "--init", help="Start from: noise, or an image FILE."),
    sample_scale: float = typer.Option(1.0, "--sample-scale", help="Resize the sample first by this factor (1 keeps its scale)."),
    scales: int = typer.Option(1, "--scales", help="Coarse-to-fine levels, each half the size of the next."),
    tile_size: int = typer.Option(512, "--tile-size", help="Textures larger than this are computed in tiles: memory is bounded by the tile."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the starting noise: same seed, same output bytes."),
    save_every: Optional[int] = typer.Option(None, "--save-every", help="Also write OUTPUT_0050.png etc. every N iterations.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output file if it exists."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bar."),
) -> None:
    """Texture synthesis (Gatys et al.): grow a new texture of any size from a sample."""
    from . import images
    from .errors import SettingsError
    from .style import check_style_settings, parse_size, synthesize_texture

    from .progress import style_progress

    output = output or default_output(input, "texture")
    check_style_settings(style_weight=style_weight, tv_weight=tv_weight, optimizer=optimizer,
                         iterations=iterations, learning_rate=learning_rate, style_scale=sample_scale,
                         scales=scales, tile_size=tile_size, save_every=save_every, scale_option="--sample-scale")
    if init == "content":
        raise SettingsError("A texture has no content image: use --init noise or --init FILE.")
    out_size = None if size is None else parse_size(size)
    loaded = images.load_image(input)
    start = _load_init(init)
    inputs = [input]
    images.check_output_path(output, inputs=inputs, overwrite=overwrite)
    _quiet_tensorflow()
    saver = _snapshot_saver(output, inputs) if save_every else None
    with style_progress(quiet, "texture", saver, save_every) as progress:
        result = synthesize_texture(loaded, None if out_size is None else out_size[::-1], backbone=backbone,
                                    weights=weights, style_layers=style_layer, style_weight=style_weight,
                                    tv_weight=tv_weight, optimizer=optimizer, iterations=iterations,
                                    learning_rate=learning_rate, init=start, sample_scale=sample_scale,
                                    scales=scales, tile_size=tile_size, seed=seed, progress=progress)
    images.save_image(result.rgb, output, overwrite=overwrite)
    if not quiet:
        typer.echo(f"wrote {output}", err=True)


def main() -> None:
    """Entry point: run the app; a DeepDreamError is one line on stderr and exit code 2."""
    try:
        app()
    except DeepDreamError as e:
        typer.echo(f"deepdream: error: {e}", err=True)
        sys.exit(2)
