"""`deepdream style` and `deepdream texture`: Gatys style transfer and texture synthesis."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import _quiet_tensorflow, app, default_output

BACKBONE_HELP = "Network whose features define content and style: vgg16 (embedded), inceptionv3 or googlenet (these need their weights file: see `deepdream weights`)."


def _snapshot_saver(output: Path, inputs):
    """save(n, rgb) writing OUTPUT_0050.png beside the output (atomically), for --save-every."""
    from .. import images

    def save(count: int, rgb) -> None:
        path = output.with_name(f"{output.stem}_{count:04d}{output.suffix}")
        images.check_output_path(path, inputs=inputs, overwrite=True)
        images.save_image(rgb, path, overwrite=True)

    return save


def _load_masks(mask_paths, count: int, size) -> list:
    """Masks read and checked (one per style, not empty); a size other than the content's is a note."""
    from .. import images
    from ..errors import SettingsError
    from ..style import mask_array

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
    from .. import images

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
    from .. import images
    from ..progress import style_progress
    from ..style import check_style_settings, parse_blend, stylize

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
    from .. import images
    from ..errors import SettingsError
    from ..style import check_style_settings, parse_size, synthesize_texture

    from ..progress import style_progress

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

