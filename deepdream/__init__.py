"""deepdream: neural-network art from the terminal and from Python.

import deepdream
picture = deepdream.dream("photo.jpg", steps=8)
picture.save("dream.png")

dreamer = deepdream.prepare(deepdream.DreamSettings(steps=4))   # many pictures, one model load
"""

from ._version import __version__
from .api import Dreamer, DreamProgress, Stage, dream, dream_settings, guided_dream, paint_class, prepare, visualize
from .backbones import load_backbone
from .batch import BatchSummary, batch
from .errors import DeepDreamError
from .gallery import Gallery, gallery
from .motion import movie_frames, video_frames, video_segments, write_movie, zoom_frames
from .settings import PRESETS, ClassSettings, DreamSettings, VideoSettings, VisualizeSettings, ZoomSettings
from .style import stylize, synthesize_texture

__all__ = [
    "dream",
    "guided_dream",
    "paint_class",
    "visualize",
    "ClassSettings",
    "VisualizeSettings",
    "PRESETS",
    "prepare",
    "dream_settings",
    "Dreamer",
    "DreamProgress",
    "Stage",
    "DreamSettings",
    "stylize",
    "synthesize_texture",
    "load_backbone",
    "DeepDreamError",
    "__version__",
    "zoom_frames",
    "video_frames",
    "video_segments",
    "movie_frames",
    "write_movie",
    "ZoomSettings",
    "VideoSettings",
    "batch",
    "BatchSummary",
    "gallery",
    "Gallery",
]
