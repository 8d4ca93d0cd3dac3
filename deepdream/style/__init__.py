"""Style transfer and texture synthesis (Gatys, Ecker and Bethge), on the same backbones as dreaming.

losses.py      Gram matrices, content and total-variation terms, the tiled StyleLoss
tiles.py       the tiles of the two-pass tiled loss
optimizers.py  L-BFGS (float32, bounded history) and Adam
colors.py      luminance and chroma, masks, coloured noise
transfer.py    the loop (`transfer`), input checks, and the API: stylize, synthesize_texture
"""

from ..settings import StyleSettings, TextureSettings, parse_blend, parse_size
from .colors import colour_noise, colour_stats, grey, keep_colors, luminance, mask_array, match_palette
from .losses import StyleLoss, fold_reflect_padding, gram, gram_sums, tv_loss_and_gradient
from .optimizers import minimise_adam, minimise_lbfgs
from .tiles import Tile, make_tiles
from .transfer import (
    StyleInputs,
    StyleProgress,
    default_layers,
    layer_weights,
    prepare_style,
    prepare_texture,
    run_style,
    run_texture,
    scale_sizes,
    stylize,
    synthesize_texture,
    transfer,
)

__all__ = [
    "StyleSettings",
    "TextureSettings",
    "stylize",
    "synthesize_texture",
    "transfer",
    "StyleProgress",
    "StyleLoss",
    "StyleInputs",
    "prepare_style",
    "prepare_texture",
    "run_style",
    "run_texture",
    "gram",
    "gram_sums",
    "tv_loss_and_gradient",
    "fold_reflect_padding",
    "make_tiles",
    "Tile",
    "minimise_lbfgs",
    "minimise_adam",
    "luminance",
    "colour_stats",
    "match_palette",
    "grey",
    "keep_colors",
    "mask_array",
    "colour_noise",
    "default_layers",
    "layer_weights",
    "scale_sizes",
    "parse_size",
    "parse_blend",
]
