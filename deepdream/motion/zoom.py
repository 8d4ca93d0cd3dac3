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


def with_settings(dreamer, settings):
    """The same Dreamer (network, objective, traced gradient) rendering with other octaves/steps."""
    import copy

    other = copy.copy(dreamer)
    other.settings = settings
    return other


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
        )
    height, width = rgb.shape[:2]
    matrix = motion_matrix(settings, width, height)
    first = later = None
    previous = None
    with contextlib.ExitStack() as stack:
        writes = stack.enter_context(Writes(store)) if store is not None else None
        for index in range(1, settings.frames + 1):
            resumed = store is not None and store.has(index)
            if resumed:
                frame = store.read(index)
            else:
                if first is None:
                    from ..render.prepare import prepare

                    first = prepare(settings.dream, like=rgb, progress=progress)
                    later = with_settings(first, settings.lighter(first.settings))
                seed = frame_seed(settings.dream.seed, index)
                frame = first.run(rgb, seed=seed) if previous is None else later.run(move(previous, matrix), seed=seed)
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
