"""deepdream: neural-network art from the terminal and from Python.

    import deepdream
    picture = deepdream.dream("photo.jpg", steps=8)
    picture.save("dream.png")

    dreamer = deepdream.prepare(deepdream.DreamSettings(steps=4))   # many pictures, one model load
"""

from ._version import __version__

from .api import Dreamer, DreamProgress, Stage, dream, dream_settings, guided_dream, paint_class, prepare, visualize  # noqa: E402
from .backbones import load_backbone  # noqa: E402
from .errors import DeepDreamError  # noqa: E402
from .settings import PRESETS, ClassSettings, DreamSettings, VisualizeSettings  # noqa: E402
from .style import stylize, synthesize_texture  # noqa: E402
from .batch import BatchSummary, batch  # noqa: E402  (deepdream.batch is the function; the module is sys.modules['deepdream.batch'])
from .gallery import Gallery, gallery  # noqa: E402
from .motion import movie_frames, video_frames, video_segments, write_movie, zoom_frames  # noqa: E402
from .settings import VideoSettings, ZoomSettings  # noqa: E402

__all__ = ["dream", "guided_dream", "paint_class", "visualize", "ClassSettings", "VisualizeSettings", "PRESETS", "prepare", "dream_settings", "Dreamer", "DreamProgress", "Stage",
           "DreamSettings", "stylize", "synthesize_texture", "load_backbone", "DeepDreamError", "__version__",
           "zoom_frames", "video_frames", "video_segments", "movie_frames", "write_movie", "ZoomSettings", "VideoSettings",
           "batch", "BatchSummary", "gallery", "Gallery"]
