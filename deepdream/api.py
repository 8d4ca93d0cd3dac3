"""The Python API: the same renders as the CLI, on PIL images, arrays or paths.

import deepdream
picture = deepdream.dream("photo.jpg", steps=8)          # one picture
dreamer = deepdream.prepare(deepdream.DreamSettings(steps=4))
frames = [dreamer.run(frame) for frame in frames]        # many: one model load, one trace
"""

from __future__ import annotations

from collections.abc import Callable

from .render.dreamer import Dreamer
from .render.events import DreamProgress, Stage
from .render.prepare import prepare as _prepare
from .settings import ClassSettings, DreamSettings, VisualizeSettings

Progress = Callable[[object], None]


#: DreamSettings from settings (an object or a dict, e.g. read from a picture) and options that
#: override them; options are the CLI's, by field name (layers, steps, guide, mask, ...).
dream_settings = DreamSettings.of


def prepare(
    settings: DreamSettings | dict | None = None, *, like=None, progress: Progress | None = None, **options
) -> Dreamer:
    """A reusable Dreamer: the network, objective, guide features and traced gradient, made once.

    `dreamer.run(image, progress=..., seed=...)` then renders a picture; call it for every frame.
    like: the picture to be dreamt, needed only with layers="auto" (guided dreams)."""
    return _prepare(dream_settings(settings, **options), like=like, progress=progress)


def dream(image, settings: DreamSettings | dict | None = None, *, progress: Progress | None = None, **options):
    """Dream on an image: gradient ascent on what the network sees in it, octave by octave.

    image: a PIL image, a path, or an array (H x W [x 3|4], uint8 or float in [0, 255]).
    settings/options: see `DreamSettings` (every CLI option by its field name), e.g.
        layers=["block5a_expand:17", "block4d_expand=0.5"], steps=10, guide="brick.png",
        preserve_colors=True, mask="where.png", normalize="mean", seed=3.
    progress: called with a `Stage` before the first step and a `DreamProgress` after each step.
    Returns a PIL image for a PIL image or path (alpha kept), an array of the input's dtype for an
    array (uint8 stays uint8; anything else comes back float32 in [0, 255]), a LoadedImage for a
    LoadedImage.
    """
    settings = dream_settings(settings, **options)
    return _prepare(settings, like=image, progress=progress).run(image, progress=progress)


def paint_class(
    target_class, settings: ClassSettings | dict | None = None, *, progress: Progress | None = None, **options
):
    """Paint an ImageNet class (a name such as "golden retriever", or a number 0-999) from noise;
    returns a PIL image. Options: see `ClassSettings` (size="WxH", steps, learning_rate, decay,
    views, ...): the picture is painted as Fourier coefficients in decorrelated colour, seen by the
    network through random shifts, zooms, turns and blurs (`deepdream.render.param`); param="maco"
    optimises only their phases (`deepdream.render.maco`); alpha="file" or "channel" returns an RGBA
    picture whose alpha is the transparency map."""
    from .render.param import prepare_painting

    settings = ClassSettings.of(settings, target_class=str(target_class), **options)
    return _painted(prepare_painting(settings, progress=progress), progress)


def visualize(
    target: str, settings: VisualizeSettings | dict | None = None, *, progress: Progress | None = None, **options
):
    """Paint what a layer ("block4a_expand") or one channel of it ("block4a_expand:12") responds to
    most, from noise; returns a PIL image (RGBA with alpha="file" or "channel", as `paint_class`).
    Options: see `VisualizeSettings`."""
    from .render.param import prepare_painting

    settings = VisualizeSettings.of(settings, target=str(target), **options)
    return _painted(prepare_painting(settings, progress=progress), progress)


def _painted(painting, progress):
    """A painting's picture as a PIL image: RGBA, its transparency map as alpha, unless alpha="none"."""
    from .images import to_pil

    rgb = painting.run(progress=progress)
    return to_pil(rgb, None if painting.settings.alpha == "none" else painting.transparency())


def guided_dream(image, guide, settings: DreamSettings | dict | None = None, **options):
    """Dream on an image toward the patterns of a guide image (or several, pooled).

    Each position of the image is pulled toward the guide feature vector it already matches best
    (Google's original DeepDream notebook). guide: a path, PIL image or array, or a list of them.
    layers="auto" picks the layer where image and guide match best. Other options as `dream`."""
    guides = tuple(guide) if isinstance(guide, (list, tuple)) else (guide,)
    return dream(image, settings, guide=guides, **options)


__all__ = [
    "dream",
    "guided_dream",
    "paint_class",
    "visualize",
    "prepare",
    "dream_settings",
    "Dreamer",
    "DreamProgress",
    "Stage",
    "DreamSettings",
    "ClassSettings",
    "VisualizeSettings",
]
