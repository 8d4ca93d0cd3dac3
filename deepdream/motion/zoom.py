"""Infinite zoom: dream a picture, move it a little (zoom into its centre, turn, shift), dream the
result again, and so on; each dreamt picture is a frame.

The motion is given per second and turned into one frame's step as the matrix exponential of its
generator divided by the frame rate, so k frames at 10 fps move exactly as far as 2k frames at
20 fps: --fps changes smoothness, never speed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import numpy as np

from .frames import FrameStore, Writes, frame_metadata, frame_seed
from .progress import FrameProgress


def motion_matrix(settings, width: int, height: int, frames: float = 1.0) -> np.ndarray:
    """The 3x3 affine matrix taking a frame's pixel coordinates to the next one's, `frames` frames
    on (fractions too): zoom into the centre, counter-clockwise turn, view shifted by translate."""
    from scipy.linalg import expm

    seconds = frames / settings.fps
    a = math.log(settings.zoom)  # scale grows as exp(a t)
    w = math.radians(settings.rotate)  # counter-clockwise on screen (y down)
    dx, dy = settings.translate
    generator = np.array([[a, w, -dx], [-w, a, -dy], [0.0, 0.0, 0.0]])  # about the centre
    step = expm(generator * seconds)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    to_centre = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, cx], [0.0, 1.0, cy], [0.0, 0.0, 1.0]])
    return back @ step @ to_centre


def move(frame: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The frame moved by `matrix` (3x3), bicubic, edges mirrored, same dtype and size."""
    import cv2

    height, width = frame.shape[:2]
    return cv2.warpAffine(
        frame, matrix[:2].astype(np.float64), (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )


class Looks:
    """The prepared Dreamers a clip's frames need (`looks(dream)`: the one for a frame's dream),
    each prepared once: frames whose dreams differ only in what the render loop takes per run
    (`PER_RUN`), or in what the clip's schedules move inside the traced gradient (its chroma, its
    layer and class schedules' weights: `render.dreamer.Knobs`), share one; a dream that differs in what is
    traced (a preset schedule's step rule or score) is prepared anew, the last `keep` kept. So a
    clip prepares and traces once for each step rule and score it dreams with.

    clip: the clip's dream, schedules and all (default: no knobs; every other chroma or layer
    weight prepared anew). dreamer: one prepared already (a server's), for its own settings."""

    #: Dream settings `Dreamer.run` takes at each call (its `with_settings`).
    PER_RUN = ("octaves", "octave_scale", "steps", "step_size", "jitter", "scale_jitter", "rotate_jitter", "blur")

    def __init__(self, progress=None, like=None, dreamer=None, keep: int = 4, clip=None):
        from collections import OrderedDict

        self.progress, self.like, self.keep = progress, like, keep
        moving = clip.schedules() if clip is not None else {}  # held values are plain values
        self.chroma = "chroma" in moving
        plain = clip is not None and not (clip.guide or clip.target_class or clip.region_masks())
        self.layers = clip.layer_specs() if plain and "layers" in moving else ()
        classes = clip is not None and not (clip.guide or clip.region_masks()) and "target_class" in moving
        self.clip, self.classes = clip, clip.class_values() if classes else ()
        self.cache: OrderedDict = OrderedDict()
        if dreamer is not None and not (self.layers or self.chroma or self.classes):  # one with no knobs to turn
            self.cache[self.key(dreamer.settings)] = dreamer

    def key(self, dream) -> str:
        """What a prepared Dreamer fixes of `dream` (whether tiles are zoomed and turned among it)."""
        import json

        moving = (
            self.PER_RUN
            + ("chroma",) * self.chroma
            + ("layers",) * bool(self.layers)
            + ("target_class",) * bool(self.classes)
        )
        fixed = {k: v for k, v in dream.to_dict().items() if k not in moving}
        fixed["affine"] = bool(dream.scale_jitter > 0 or dream.rotate_jitter > 0)
        return json.dumps(fixed, sort_keys=True)

    def __call__(self, dream, frame: float = 0, fps: float | None = None):
        """The Dreamer for `dream`, frame `frame` (from 0) of the clip at `fps` (its class schedule's
        weights set for that frame)."""
        from ..render.prepare import prepare

        key = self.key(dream)
        dreamer = self.cache.get(key)
        if dreamer is None:
            from ..render.dreamer import Knobs

            knobs = (
                Knobs(self.layers, self.chroma, self.classes) if self.layers or self.chroma or self.classes else None
            )
            dreamer = self.cache[key] = prepare(dream, like=self.like, progress=self.progress, knobs=knobs)
            while len(self.cache) > self.keep:
                self.cache.popitem(last=False)
        self.cache.move_to_end(key)
        if self.classes:
            a, b, t = self.clip.target_class.around(frame, fps)
            dreamer.knobs.mix_classes({a: 1.0} if a == b else {a: 1.0 - t, b: t})
        return dreamer if dreamer.settings is dream else dreamer.with_settings(dream)


def start_picture(image, dream_settings) -> np.ndarray:
    """The input as uint8 RGB, shrunk to --max-side."""
    from ..images import as_loaded, fit_max_side

    loaded = as_loaded(image)
    if dream_settings.max_side is not None:
        loaded = fit_max_side(loaded, dream_settings.max_side)
    return np.clip(np.round(loaded.rgb), 0, 255).astype(np.uint8)


def zoom_frames(
    image,
    settings=None,
    *,
    frames_dir=None,
    overwrite: bool = False,
    progress: Callable[[object], None] | None = None,
    name: str | None = None,
    **options,
) -> Iterator[np.ndarray]:
    """Yield the zoom's frames (uint8 RGB arrays), `settings.frames` of them.

    settings: a ZoomSettings (or a dict of its fields); options override its fields, e.g.
    frames=24, zoom=1.5, dream=DreamSettings(steps=5). name: the input's name, for the record.

    image: a path, PIL image or array. frames_dir: where each frame is written as a PNG as soon as it
    is made; frames already there (made with the same settings) are read back instead of dreamt,
    so an interrupted run resumes and ends with the same bytes. progress: gets `Stage` events while
    the network loads and a `FrameProgress` after each frame."""
    from ..settings import ZoomSettings

    settings = ZoomSettings.of(settings, **options)
    rgb = start_picture(image, settings.dream)
    store = None
    if frames_dir is not None:
        store = FrameStore(
            frames_dir,
            settings.frames_key(),
            overwrite=overwrite,
            record=settings.to_json(input=name or input_name(image)),
            resume=settings.first_change,
            metadata=lambda index: frame_metadata(settings, index),
        )
    height, width = rgb.shape[:2]
    looks = Looks(progress, like=rgb, clip=settings.dream)
    matrices: dict = {}
    previous = None
    with contextlib.ExitStack() as stack:
        writes = stack.enter_context(Writes(store)) if store is not None else None
        for index in range(1, settings.frames + 1):
            resumed = store is not None and store.has(index)
            if resumed:
                frame = store.read(index)
            else:
                now = settings.at(index)  # this frame's values of the schedules
                seed = frame_seed(settings.dream.seed, index)
                if previous is None:
                    frame = looks(now.dream, index - 1, settings.fps).run(rgb, seed=seed)
                else:
                    motion = (now.zoom, now.rotate, now.translate)
                    if motion not in matrices:
                        matrices.clear()
                        matrices[motion] = motion_matrix(now, width, height)
                    dreamer = looks(now.lighter(now.dream), index - 1, settings.fps)
                    frame = dreamer.run(move(previous, matrices[motion]), seed=seed)
                if store is not None:
                    writes.write(index, frame, frame_metadata(settings, index))
            previous = frame
            if progress is not None:
                progress(FrameProgress(index, settings.frames, resumed))
            yield frame


def input_name(source) -> str | None:
    """The input's file name, for the record (None for pictures in memory)."""
    import os

    return os.path.basename(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else None
