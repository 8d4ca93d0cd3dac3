"""Settings of every mode, in one place: each option's default, its one-line help, how it is typed
and its validation.

A settings object is built once (by the CLI, the Python API, the studio or the HTTP API), validated
when it is made, and passed down; nothing below it re-checks or re-defaults a value. Every front end
is made from the fields (`front`: the CLI's options, the studio's controls, the API's form fields
and `command_line`), and `to_dict` is what a rendered picture carries in its metadata, so
`from_dict` can make the same picture again.

Fields are declared with `option(default, help, flag=..., ...)` (`base`); names the settings give
(ImageNet classes) are checked against the vocabulary passed to `check_names`, so this
package imports nothing of deepdream's but `errors` and `objectives`' layer-spec parser.

    base     bounds, `option`, the `Settings` base, parsers of option texts
    dream    DreamSettings and the presets
    paint    paintings from noise: ClassSettings, VisualizeSettings
    style    StyleSettings, TextureSettings
    motion   ZoomSettings, VideoSettings
    runs     how a run is laid out: SheetSettings, AtlasSettings (galleries), SegmentSettings (video --ray)
    specs    the objectives' texts: NAME:CHANNEL=WEIGHT@MASK
"""

from .base import (
    MAX_FRAMES,
    MAX_LAYERS,
    MAX_LOSS_WEIGHT,
    MAX_OCTAVES,
    MAX_PICTURES,
    MAX_STEP_SIZE,
    MAX_STEPS,
    MODES,
    PRECISIONS,
    TILE_SIZE,
    Control,
    Settings,
    file_fields,
    names_a_file,
    option,
    rng,
    upload_fields,
)
from .dream import (
    GUIDE_SIZE,
    LOOK_FIELDS,
    NORMALIZATIONS,
    PRESETS,
    SCORES,
    DreamSettings,
    Preset,
    preset_name,
    preset_values,
)
from .motion import FLOW_METHODS, VideoSettings, ZoomSettings
from .paint import ClassSettings, PaintSettings, VisualizeSettings
from .runs import AtlasSettings, SegmentSettings, SheetSettings
from .style import INITS, OPTIMIZERS, STYLE_BACKBONE_HELP, StyleSettings, TextureSettings
from .values import MAX_PIXELS, parse_blend, parse_size, parse_translate

#: The settings class of each mode a settings file may name.
SETTINGS_OF = {
    "dream": DreamSettings,
    "class": ClassSettings,
    "visualize": VisualizeSettings,
    "style": StyleSettings,
    "texture": TextureSettings,
    "zoom": ZoomSettings,
    "video": VideoSettings,
}

__all__ = [
    "MAX_FRAMES",
    "MAX_LAYERS",
    "MAX_LOSS_WEIGHT",
    "MAX_OCTAVES",
    "MAX_PICTURES",
    "MAX_PIXELS",
    "MAX_STEP_SIZE",
    "MAX_STEPS",
    "MODES",
    "PRECISIONS",
    "TILE_SIZE",
    "GUIDE_SIZE",
    "LOOK_FIELDS",
    "Control",
    "Settings",
    "option",
    "parse_blend",
    "parse_size",
    "parse_translate",
    "file_fields",
    "names_a_file",
    "rng",
    "upload_fields",
    "NORMALIZATIONS",
    "PRESETS",
    "SCORES",
    "DreamSettings",
    "Preset",
    "preset_name",
    "preset_values",
    "FLOW_METHODS",
    "VideoSettings",
    "ZoomSettings",
    "ClassSettings",
    "PaintSettings",
    "VisualizeSettings",
    "INITS",
    "OPTIMIZERS",
    "STYLE_BACKBONE_HELP",
    "StyleSettings",
    "TextureSettings",
    "SETTINGS_OF",
    "SheetSettings",
    "AtlasSettings",
    "SegmentSettings",
]
