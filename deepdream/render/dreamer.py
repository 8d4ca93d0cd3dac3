"""The dreamer: everything a dream needs is prepared once (the network, the objective and its guide
features, the mask, the traced tile gradient), then `Dreamer.run` renders as many pictures or
frames as wanted with it.

The render loop (`octave_loop`) is given its pieces, as in lucid: the tiled gradient (which holds
the objective and the step rule's per-tile part), the transforms that move the picture under the
network each step, the run's generator and the mask; it knows none of their insides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .events import DreamProgress
from .octaves import octave_sizes, resize
from .tiles import TiledGradient, empty_image, write_rows
from .transforms import StepParams, gaussian_blur, step_params


def start_image(backbone, rgb: np.ndarray, detail=None, band: int = 256):
    """The full-size octave's first image, clip(preprocess(rgb) + detail enlarged to full size),
    built row band by row band, so no image-sized temporaries beyond the enlarged detail are made."""
    import tensorflow as tf

    height, width = rgb.shape[:2]
    detail = None if detail is None else resize(detail, (height, width))
    image = empty_image(height, width)
    for y0 in range(0, height, band):
        x = backbone.preprocess(rgb[y0 : y0 + band])
        if detail is not None:
            x = x + detail[y0 : y0 + band]
        image = write_rows(image, y0, backbone.clip(x))
    return tf.reshape(image, [height, width, 3])


def finish_image(backbone, image, band: int = 256) -> np.ndarray:
    """deprocess(image) as a NumPy array, row band by row band (no image-sized temporaries)."""
    out = np.empty(tuple(int(n) for n in image.shape), np.float32)
    for y0 in range(0, out.shape[0], band):
        out[y0 : y0 + band] = backbone.deprocess(image[y0 : y0 + band]).numpy()
    return out


def octave_loop(
    tiled: TiledGradient,
    rgb: np.ndarray,
    *,
    octaves: int,
    octave_scale: float,
    steps: int,
    step_size: float,
    rng,
    transforms: Sequence = (),
    mask: np.ndarray | None = None,
    progress: Callable[[DreamProgress], None] | None = None,
) -> np.ndarray:
    """Dream on an RGB image (float32 [H, W, 3] in [0, 255]); returns the dreamt RGB image.

    From the smallest octave up: the original image at this octave's size, plus the detail dreamt so
    far (enlarged), is ascended for `steps` steps; what the steps added becomes the detail carried on.
    Each step moves the mean pixel by `step_size` RGB levels (times the mask, [H, W] in [0, 1]).
    The tile grid's offset is drawn once per octave, so every step of an octave feeds the network
    tiles of the same shapes (its kernels are set up once). Per step the transforms are folded over
    the octave's `StepParams` (`transforms.step_params`): `Jitter` moves the picture under the grid,
    `GridShift` the grid itself, `AffineJitter` zooms and turns the tiles, `Blur` asks for a blur
    after the step; the loop hands the parameters to `tiled.ascent_step` and blurs as they say.

    Memory at full size, besides the caller's array and the result: the image (updated in place
    each step), the tiles' gradients (one image's worth) and, while the last octave starts, the
    enlarged detail. The smaller octaves also keep their base image and carry the detail.
    """
    import tensorflow as tf

    backbone = tiled.backbone
    rgb = np.asarray(rgb, np.float32)
    sizes = octave_sizes(rgb.shape[0], rgb.shape[1], octaves, octave_scale, backbone.min_size)
    step = tf.constant(step_size * backbone.pixel_scale, tf.float32)
    low, high = tf.constant(backbone.low, tf.float32), tf.constant(backbone.high, tf.float32)
    full_mask = None if mask is None else tf.constant(np.asarray(mask, np.float32)[..., None])
    detail = base = image = None
    for index, size in enumerate(sizes):
        last = index == len(sizes) - 1
        if last:  # the full-size base is not needed again: only the image is kept
            image = start_image(backbone, rgb, detail)
        else:
            base = backbone.preprocess(resize(tf.convert_to_tensor(rgb), size))
            image = backbone.clip(base if detail is None else base + resize(detail, size))
        detail = None
        octave_mask = None if full_mask is None else resize(full_mask, size)
        grid = tiled.grid(*size)
        # the grid's offset is drawn once per octave: one set of tile shapes per octave
        start = StepParams(offset=tuple(int(o) for o in rng.integers(0, grid.tile, size=2)))
        for s in range(steps):
            params = step_params(transforms, start, rng, grid, s)
            image, value = tiled.ascent_step(image, params, step=step, low=low, high=high, mask=octave_mask)
            image = gaussian_blur(image, params.blur)
            if progress is not None:  # snapshot(): the picture now (call it during the callback)
                progress(
                    DreamProgress(
                        index + 1,
                        len(sizes),
                        s + 1,
                        steps,
                        size,
                        value,
                        tuple(sizes),
                        tiled.precision,
                        lambda current=image: finish_image(backbone, current),
                    )
                )
        if not last:
            detail = image - base
            image = base = None
    return finish_image(backbone, image)


class Dreamer:
    """A prepared dream: `run(image)` renders one picture with it; call it for many.

    Made by `prepare(settings)`. Holds the backbone, the objective (with any guide features), the
    mask, the transforms and the tiled gradient, whose function is traced once, here."""

    #: What a clip moves inside the traced gradient, set before each run (`Knobs`), or None.
    knobs = None

    def __init__(self, settings, backbone, objective, mask=None, knobs=None):
        self.knobs = knobs
        self._setup(settings, backbone, objective, mask)
        self.tiled = self.tiled_gradient(objective)

    def _setup(self, settings, backbone, objective, mask) -> None:
        """What every octave dream holds: settings, network, objective, mask, transforms, step rule."""
        from .steps import LAPLACIAN_LEVELS, StepRule

        self.settings = settings
        self.backbone = backbone
        self.objective = objective
        self.mask = mask  # float32 [H, W] in [0, 1], or None
        self.affine, self.transforms = self.transforms_of(settings)
        chroma = 0.0 if settings.preserve_colors else settings.chroma
        if self.knobs is not None and self.knobs.chroma is not None:
            chroma = self.knobs.chroma
        self.step_rule = StepRule(settings.normalize, chroma=chroma, levels=LAPLACIAN_LEVELS)

    @staticmethod
    def transforms_of(settings) -> tuple:
        """(the tiles' zoom-and-turn jitter, every transform of a step) for these settings."""
        from .transforms import AffineJitter, Blur, GridShift, Jitter

        affine = AffineJitter(settings.scale_jitter, settings.rotate_jitter)
        # Without jitter the grid itself must move every step, or tile borders would show as seams.
        shift = Jitter(settings.jitter) if settings.jitter else GridShift()
        return affine, (
            [shift] + ([affine] if affine.active else []) + ([Blur(settings.blur)] if settings.blur > 0 else [])
        )

    def with_settings(self, settings) -> Dreamer:
        """This Dreamer (network, objective, traced gradient) rendering with other settings of what
        the render loop takes per run: octaves, steps, step size, jitters, blur (a frame's)."""
        import copy

        other = copy.copy(self)
        other.settings = settings
        other.affine, other.transforms = self.transforms_of(settings)
        return other

    def tiled_gradient(self, objective) -> TiledGradient:
        """The tiled gradient of `objective` with these settings, traced now, once."""
        settings = self.settings
        tiled = TiledGradient(
            self.backbone,
            objective,
            settings.tile_size,
            precision=settings.precision,
            tile_batch=settings.tile_batch,
            step_rule=self.step_rule,
            affine=self.affine.active,
        )
        tiled._tile_gradient.get_concrete_function()  # trace now, once
        return tiled

    @property
    def traces(self) -> int:
        return self.tiled.traces

    def run(self, image, *, progress=None, seed: int | None = None):
        """Dream on `image` (a path, PIL image, array or LoadedImage): a PIL image for a PIL image or
        path (alpha kept), an array of the input's dtype for an array (uint8 in, uint8 out; else
        float32 in [0, 255]), a LoadedImage for a LoadedImage. seed: this picture's seed (default:
        the settings' own), e.g. one per frame of a movie."""
        from ..colors import keep_chroma
        from ..images import as_loaded, check_min_size, fit_max_side, resize_array
        from ..settings import rng

        loaded = as_loaded(image)
        settings = self.settings
        if self.knobs is not None:
            self.knobs.set(settings)
        if settings.max_side is not None:
            loaded = fit_max_side(loaded, settings.max_side)
        check_min_size(loaded.rgb, self.backbone.min_size, f"backbone {self.backbone.name!r}")
        rgb = loaded.rgb
        mask = None if self.mask is None else fit_mask(self.mask, rgb.shape[:2])
        if settings.keep_subject:
            from .subject import keep_subject

            mask = keep_subject(self.backbone, rgb, settings.keep_subject, mask)
        if settings.preserve_colors:  # snapshots (--save-every) show the colours the result will have

            def colours(snapshot: np.ndarray) -> np.ndarray:
                original = rgb if snapshot.shape == rgb.shape else resize_array(rgb, snapshot.shape[:2])
                return keep_chroma(snapshot, original)

            progress = finishing(progress, colours)
        out = self.render(rgb, rng=rng(settings.seed if seed is None else seed), mask=mask, progress=progress)
        if settings.preserve_colors:
            out = keep_chroma(out, rgb)
        return _like(image, out, loaded)

    def render(self, rgb: np.ndarray, *, rng, mask=None, progress=None) -> np.ndarray:
        """The dream itself, on RGB float32 [H, W, 3] in [0, 255]: the octave loop."""
        settings = self.settings
        return octave_loop(
            self.tiled,
            rgb,
            octaves=settings.octaves,
            octave_scale=settings.octave_scale,
            steps=settings.steps,
            step_size=settings.step_size,
            rng=rng,
            transforms=self.transforms,
            mask=mask,
            progress=progress,
        )


class Knobs:
    """What a clip moves from frame to frame inside the traced gradient, held in tf.Variables that
    the traced function reads at each call, so a schedule of them traces once: the chroma (when
    `chroma`), the weight of each layer of `specs` (the layers a layer schedule names; a frame
    weights those it dreams, 0 the others), and the weight of each class of `classes` (a class
    schedule's: `mix_classes`). `set(settings)` before each run."""

    def __init__(self, specs=(), chroma: bool = False, classes=()):
        import dataclasses

        import tensorflow as tf

        from ..objectives import parse_layer_spec

        parsed = [parse_layer_spec(s) for s in specs]
        self.specs = list({(s.name, s.channel): dataclasses.replace(s, weight=1.0) for s in parsed}.values())
        self.weights = tf.Variable(tf.zeros([len(self.specs)]), trainable=False) if self.specs else None
        self.chroma = tf.Variable(0.0, trainable=False) if chroma else None
        self.classes = tuple(dict.fromkeys(classes))
        self.class_weights = tf.Variable(tf.zeros([len(self.classes)]), trainable=False) if self.classes else None

    def mix_classes(self, weights: dict) -> None:
        """The next runs push toward each class of `classes` by its weight here (0 if absent)."""
        self.class_weights.assign([float(weights.get(c, 0.0)) for c in self.classes])

    def class_objective(self, net):
        """The classes' logits, each weighted by its variable weight."""
        from ..objectives import Objective, class_objective

        terms = []
        for index, name in enumerate(self.classes):
            term = class_objective(net, name)
            terms.append(
                Objective(term.layers, lambda f, t=term, i=index: self.class_weights[i] * t.fn(f), term.description)
            )
        return sum(terms[1:], terms[0])

    def set(self, settings) -> None:
        from ..objectives import parse_layer_spec

        if self.chroma is not None:
            self.chroma.assign(0.0 if settings.preserve_colors else settings.chroma)
        if self.weights is not None:
            given = {(s.name, s.channel): s.weight for s in map(parse_layer_spec, settings.layers)}
            self.weights.assign([given.get((s.name, s.channel), 0.0) for s in self.specs])


class ClassDreamer(Dreamer):
    """`dream --class NAME` on a photo: the class painted into the photo the way a class painting
    is made from noise (`render.param`): the photo is the start of a Fourier picture in decorrelated
    colour, and the network sees random half-size crops of it (turned, some blurred), so the class
    appears throughout the picture at the scale a person sees it, in natural colours. Adam takes
    `param.class_dream_steps` steps (300 at the defaults, in proportion to --steps x --octaves);
    `--step-size` scales its learning rate (0.01 at the default 4)."""

    def __init__(self, settings, backbone, objective, mask=None, knobs=None):
        self.settings, self.backbone, self.objective, self.mask = settings, backbone, objective, mask
        self.knobs = knobs
        self._painters: dict = {}

    @property
    def traces(self) -> int:
        return sum(p.traces for p in self._painters.values())

    def render(self, rgb: np.ndarray, *, rng, mask=None, progress=None) -> np.ndarray:
        import tensorflow as tf

        from ..backbones.base import resolve_precision
        from ..classes import class_index
        from . import param
        from .painter import FourierPainter, Robustness
        from .param import VIEW_SIZE

        settings = self.settings
        height, width = rgb.shape[:2]
        painter = self._painters.get((height, width))
        if painter is None:
            index = class_index(settings.class_name)
            channels = self.backbone.layer("logits").channels

            knobs = self.knobs if self.knobs is not None and self.knobs.classes else None
            indexes = [class_index(c) for c in knobs.classes] if knobs is not None else None

            def logit(out):
                logits = tf.reshape(tf.cast(out[0], tf.float32), (-1, channels))
                if knobs is not None:  # a clip's class schedule: the classes weighted as its frame says
                    return tf.reduce_sum(tf.gather(logits, indexes, axis=1) * knobs.class_weights, axis=1)
                return logits[:, index]

            low, high = param.CLASS_DREAM_CROP
            robustness = Robustness(
                views=param.CLASS_DREAM_VIEWS,
                blurred=param.CLASS_DREAM_BLURRED,
                min_crop=low,
                max_crop=high,
                degrees=param.CLASS_DREAM_DEGREES,
                size=min(VIEW_SIZE, height, width),
                reach=param.CLASS_DREAM_REACH,
            )
            self._painters.clear()  # one picture size at a time: each holds full-size coefficients
            painter = FourierPainter(
                self.backbone,
                logit,
                ["logits"],
                height,
                width,
                decay=param.CLASS_DREAM_DECAY,
                learning_rate=param.CLASS_DREAM_RATE * settings.step_size,
                robustness=robustness,
                precision=resolve_precision(settings.precision, self.backbone),
                headroom=param.CLASS_DREAM_HEADROOM,
            )
            self._painters[(height, width)] = painter
        steps = param.class_dream_steps(settings)
        report = None
        if progress is not None:
            size = (height, width)

            def report(step: int, value: float) -> None:
                progress(
                    DreamProgress(
                        1,
                        1,
                        step,
                        steps,
                        size,
                        value,
                        (size,),
                        painter.precision,
                        lambda: painter.pixels(painter.spectrum).numpy()[0],
                    )
                )

        out = painter.run(rng, steps, report, base=rgb, weight=mask)[0]
        return out


def finishing(progress, finish: Callable[[np.ndarray], np.ndarray]):
    """`progress` with every snapshot passed through `finish` (what the result gets after the loop),
    so a --save-every picture looks as the result will; None stays None."""
    import dataclasses

    if progress is None:
        return None

    def report(event) -> None:
        if isinstance(event, DreamProgress) and event.snapshot is not None:
            event = dataclasses.replace(event, snapshot=lambda raw=event.snapshot: finish(raw()))
        progress(event)

    return report


def fit_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The mask resized to (height, width)."""
    from ..images import resize_array

    if mask.shape[:2] == tuple(size):
        return mask
    return np.clip(resize_array(mask[..., None], size)[..., 0], 0.0, 1.0)


def _like(original, rgb: np.ndarray, loaded):
    """The result in the kind of the input (see `Dreamer.run`)."""
    from PIL import Image

    from ..images import LoadedImage, to_pil

    if isinstance(original, LoadedImage):
        return LoadedImage(rgb, loaded.alpha, loaded.source_mode)
    if isinstance(original, (str, Image.Image)) or hasattr(original, "__fspath__"):
        return to_pil(rgb, loaded.alpha)
    if np.asarray(original).dtype == np.uint8:
        return np.clip(np.round(rgb), 0, 255).astype(np.uint8)
    return rgb


def load_mask(mask, name: str = "mask") -> np.ndarray:
    """A mask (path, PIL image, array) as float32 [H, W] in [0, 1]: its grey levels / 255."""
    from ..colors import to_ycbcr
    from ..errors import InputError, SettingsError
    from ..images import as_loaded

    try:
        loaded = as_loaded(mask)
    except InputError as e:
        raise InputError(str(e).replace("Input", "Mask", 1)) from None
    grey = np.clip(to_ycbcr(loaded.rgb)[..., 0] / 255.0, 0.0, 1.0).astype(np.float32)
    if float(grey.max()) < 1.0 / 255.0:
        raise SettingsError(f"The {name} is black everywhere, so nothing would be dreamt; white marks where to dream.")
    return grey
