"""Paintings from settings: a class (`deepdream class`), a channel or a layer (`visualize`, an atlas),
and the class painted into a photo (`dream --class`), each made by `render.painter.FourierPainter`.
A class painting's views are larger (0.8 to 1.2 of the picture) and blurred by 2 to 6 pixels, so
the class is one big shape that a person names, which still reads after a 4-pixel blur
(`CLASS_PAINT_CROP`, `CLASS_PAINT_LEAST_BLUR`, `CLASS_PAINT_BLUR`); its large shapes are painted
first (coarse to fine, `CLASS_PAINT_OPENING`), its colours kept calm (`CLASS_PAINT_CHROMA`), and its
gradient comes from the backbone's `painting_network` (Lite2's passes back mostly through its skip
connections, so what it paints reads to other networks too). The objective is a class's logit, or a
channel's or a layer's mean, evaluated per view; a batch paints several pictures at once, each with
its own channel (a feature atlas). Started from a photo (`run(base=...)`) instead of noise, the
coefficients paint what is added to it: `dream --class`.
"""

from __future__ import annotations

import numpy as np

from .maco import transparency
from .painter import FourierPainter, Robustness

#: The network's input side for the views of a painting (crops are resized to it).
VIEW_SIZE = 224
#: Class paintings from noise (`deepdream class`): the views' sides, fractions of the picture's
#: shorter side (large: the class fills the picture, one big shape, not a wallpaper of small ones),
#: and the largest blur of a blurred view, in its pixels (at 256 px a view's pixel is 0.9-1.4 of the
#: picture's): the class must read after a 4-5 pixel blur, in its shape and not only its texture.
#: Feature visualisations keep `Robustness`'s defaults.
CLASS_PAINT_CROP = (0.8, 1.2)
CLASS_PAINT_BLUR = 6.0
#: ... and the least blur of a blurred view (its Gaussian's sigma is drawn between the two): a
#: blurred view is a coarse one, so the class's shape, not its texture, answers for it
CLASS_PAINT_LEAST_BLUR = 2.0
#: ... and coarse to fine: the share of the steps over which the painter's low-pass opens (the
#: large shapes are laid out first; see `FourierPainter`'s opening)
CLASS_PAINT_OPENING = 0.5
#: ... and the colour channels' detail kept below this many cycles per pixel (a Gaussian low-pass's
#: cutoff; the brightness keeps all of its own): the chroma as calm as a photo's
CLASS_PAINT_CHROMA = 0.4
#: `dream --class` on a photo: painting steps in all at the dream's default --steps x --octaves
#: (other values scale it; see `class_dream_steps`), and views per step.
CLASS_DREAM_STEPS = 300
CLASS_DREAM_VIEWS = 4
#: ... the views' sides (fractions of the photo's shorter side), how many are blurred, and their turn
CLASS_DREAM_CROP = (0.35, 0.7)
CLASS_DREAM_BLURRED = 1
CLASS_DREAM_DEGREES = 10.0
#: ... the photo's room to change in its darkest and brightest parts (see `FourierPainter`'s headroom)
CLASS_DREAM_HEADROOM = 0.1
#: ... how far toward the photo's edges views are centred (see `Robustness.reach`)
CLASS_DREAM_REACH = 0.5
#: ... Adam's learning rate per unit of --step-size, and the spectrum's decay
CLASS_DREAM_RATE = 0.0025
CLASS_DREAM_DECAY = 1.25


def class_dream(settings) -> bool:
    """Whether a dream's settings paint a class into the photo (`--class` without `--layer`), which
    `render.dreamer.ClassDreamer` does, rather than the octave dream."""
    return (
        getattr(settings, "mode", "") == "dream"
        and getattr(settings, "target_class", None) is not None
        and not settings.layers
    )


def class_dream_steps(settings) -> int:
    """Adam's steps for `dream --class` on a photo: `CLASS_DREAM_STEPS` at the dream's default
    --steps x --octaves, in proportion to them otherwise (at least 1)."""
    default = type(settings).default("steps") * type(settings).default("octaves")
    return max(1, round(CLASS_DREAM_STEPS * settings.steps * settings.octaves / default))


# -- paintings from settings -----------------------------------------------------------------
def painting_objective(net, settings, channels=None):
    """(layers to read, objective: features -> [views * B]) for a ClassSettings (the class's logit)
    or a VisualizeSettings (a channel's or a layer's mean activation). channels: one channel of
    the settings' layer per picture of a batch (a feature atlas), instead of the settings' own."""
    import tensorflow as tf

    from ..objectives import check_spec, parse_layer_spec

    if getattr(settings, "target_class", None) is not None:
        from ..classes import class_index

        index = class_index(settings.target_class)
        return ["logits"], lambda out: tf.reshape(tf.cast(out[0], tf.float32), (-1, net.layer("logits").channels))[
            :, index
        ]
    spec = check_spec(net, parse_layer_spec(settings.target))
    if channels is not None:
        picks = tf.constant(list(channels), tf.int32)

        def atlas(out):
            f = tf.reduce_mean(tf.cast(out[0], tf.float32), axis=[1, 2])  # [B * views, C]
            per_picture = tf.shape(f)[0] // tf.size(picks)
            return tf.gather(f, tf.repeat(picks, per_picture), axis=1, batch_dims=1)

        return [spec.name], atlas
    if spec.channel is None:
        return [spec.name], lambda out: tf.reduce_mean(tf.cast(out[0], tf.float32), axis=[1, 2, 3])
    return [spec.name], lambda out: tf.reduce_mean(tf.cast(out[0][..., spec.channel], tf.float32), axis=[1, 2])


class Painting:
    """A prepared painting: the network, the objective and the traced step, made once; `run()`
    paints (call it again for another seed)."""

    def __init__(self, settings, net, painter: FourierPainter):
        self.settings, self.backbone, self.painter = settings, net, painter

    @property
    def traces(self) -> int:
        return self.painter.traces

    def transparency(self) -> np.ndarray:
        """The last run's transparency map (`render.maco.transparency`): uint8 [h, w] or [B, h, w]."""
        alpha = transparency(self.painter.alpha.numpy())
        return alpha[0] if self.painter.batch == 1 else alpha

    def run(self, *, seed: int | None = None, progress=None) -> np.ndarray:
        """The painting(s): float32 RGB in [0, 255], [h, w, 3] (or [B, h, w, 3] for a batch)."""
        from ..settings import rng
        from .events import DreamProgress

        painter, settings = self.painter, self.settings
        size = (painter.height, painter.width)
        report = None
        if progress is not None:

            def report(step: int, value: float) -> None:
                progress(
                    DreamProgress(
                        1,
                        1,
                        step,
                        settings.steps,
                        size,
                        value,
                        (size,),
                        painter.precision,
                        lambda: painter.pixels(painter.spectrum).numpy()[0],
                    )
                )

        out = painter.run(rng(settings.seed if seed is None else seed), settings.steps, report)
        return out[0] if painter.batch == 1 else out


def check_class_backbone(settings) -> None:
    """A class painting on a backbone without ImageNet's classifier: refused before it loads."""
    from ..backbones import check_classifier

    if getattr(settings, "target_class", None) is not None:
        check_classifier(settings.backbone, "A class painting needs a backbone with an ImageNet classifier")


def check_painting(settings) -> None:
    """What `prepare_painting` checks, without its work (--dry-run): the backbone and its weights
    load, and the class or layer (its channel in range) exists on it."""
    from .._tf import quiet_tensorflow
    from ..backbones import load_backbone

    check_class_backbone(settings)
    quiet_tensorflow()
    painting_objective(load_backbone(settings.backbone, settings.weights), settings)


def prepare_painting(settings, *, progress=None, channels=None) -> Painting:
    """A Painting for a ClassSettings or VisualizeSettings. channels: paint one picture per channel
    of the settings' layer, in one batch (see `painting_objective`)."""
    from .._tf import quiet_tensorflow
    from ..backbones import load_backbone
    from ..backbones.base import resolve_precision
    from ..settings import parse_size
    from .events import Stage

    check_class_backbone(settings)
    if progress is not None:
        progress(Stage(f"loading {settings.backbone}"))
    quiet_tensorflow()
    net = load_backbone(settings.backbone, settings.weights)
    layers, objective = painting_objective(net, settings, channels)
    height, width = parse_size(settings.size)
    a_class = getattr(settings, "target_class", None) is not None
    shape = {}
    if a_class:
        shape = {
            "min_crop": CLASS_PAINT_CROP[0],
            "max_crop": CLASS_PAINT_CROP[1],
            "blur": CLASS_PAINT_BLUR,
            "least_blur": CLASS_PAINT_LEAST_BLUR,
        }
    robustness = Robustness(
        views=settings.views,
        blurred=settings.blurred_views,
        degrees=settings.rotate_jitter,
        size=min(VIEW_SIZE, height, width),
        **shape,
    )
    precision = resolve_precision(settings.precision, net)
    if progress is not None:
        progress(Stage("preparing the network"))
    painter = FourierPainter(
        net,
        objective,
        layers,
        height,
        width,
        batch=len(channels) if channels else 1,
        learning_rate=settings.learning_rate,
        decay=settings.decay,
        robustness=robustness,
        precision=precision,
        param=settings.param,
        painting_network=a_class,
        opening=CLASS_PAINT_OPENING if a_class else 0.0,
        chroma_cutoff=CLASS_PAINT_CHROMA if a_class else None,
    )
    return Painting(settings, net, painter)
