"""Live dreams: frames that come one at a time (a camera, a shared screen, a stream), each dreamt as
it comes with `video`'s stabilisation: `LiveDreamer.next(frame)` is one step of `FrameDreamer`
(the previous frame's dreamt detail carried along the optical flow, blended, decayed, where the
flow is consistent), with the frame shrunk to the dream's --max-side and the dream brought back to
the frame's size. The web server's `/api/live` and `scripts/bench_live.py` use it.

The live defaults (`LIVE_DREAM`, `LIVE_FRAMES`) keep a frame light: the first frame is one octave
of two steps at 320 pixels; each later one dreams one of six octaves in turn (`spread_octaves`),
the smallest (5.4x smaller) first, with a step at full size and up to four at the smallest, where
they cost little. The carried detail does the rest: each frame adds its octave's steps to what the
frames before it dreamt, so the large patterns of the still dream's small octaves grow over a few
frames (the detail decays by --blend, 0.995 live, a frame, so it settles instead of growing
without end).
"""

from __future__ import annotations

import numpy as np

#: The dream of every live frame, under what a client gives (over a preset's values: a preset
#: gives the look, these keep its cost live; any of them given by the client wins). Tiles are not
#: zoomed or turned (the still's default): that costs ~12 % of a frame's network time, and a live
#: dream's look is built up by the carried detail instead.
LIVE_DREAM = {"octaves": 1, "steps": 2, "max_side": 320, "scale_jitter": 0.0, "rotate_jitter": 0.0}
#: The dream's sizes (--max-side) the Live page offers, those the server's --max-side allows.
LIVE_SIDES = (240, 320, 480, 640)
#: How live frames after the first are dreamt (over `video`'s defaults of 4 steps x 2 octaves and a
#: blend of 0.95): one octave a frame, in turn over six (bench_live, a still 320x240 portrait:
#: 0.8x the still dream's strength by the 23rd frame, of its large features by the 26th; where one
#: octave at 320 pixels a frame, blend 0.97, reached 0.67x, and 0.37x of the large features, by the
#: 40th). With blend 0.99, 0.8x came 4 frames later; the pan's flicker was the same.
LIVE_FRAMES = {"frame_steps": 1, "frame_octaves": 6, "spread_octaves": True, "blend": 0.995}


def live_settings(settings=None, **options):
    """VideoSettings with the live defaults under `settings` (a dict of VideoSettings fields, its
    `dream` a dict of DreamSettings fields, a preset among them) and `options`."""
    from ..settings import DreamSettings, VideoSettings

    given = dict(settings or {})
    given.update(options)
    dream = given.pop("dream", None) or {}
    if isinstance(dream, DreamSettings):
        dream = dream.to_dict()
    dream = dict(dream)
    preset = dream.pop("preset", None)
    dream = DreamSettings.from_dict({}, **({"preset": preset} if preset else {}), **{**LIVE_DREAM, **dream})
    return VideoSettings.from_dict({}, dream=dream, **{**LIVE_FRAMES, **given})


def fit(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    """The frame shrunk (area-averaged) so its longer side is at most max_side."""
    import cv2

    from .video import fit_size

    size = fit_size(frame.shape[1], frame.shape[0], max_side)
    if size == (frame.shape[1], frame.shape[0]):
        return frame
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


class LiveDreamer:
    """Frames dreamt one by one as they come: `next(frame)` gives the frame (uint8 RGB, any size)
    dreamt, the same size, carrying the last frame's dreamt detail along the flow (none with
    `independent`, for the first frame, or when the frame's size changes).

    dreamer: a Dreamer prepared for `settings.dream` (the server's cached one); by default the
    first frame prepares one. `change(settings, dreamer)` takes other settings mid-stream, keeping
    the carried detail (the dream's size stays unless --max-side changes)."""

    def __init__(self, settings=None, dreamer=None):
        self.settings = live_settings() if settings is None else settings
        self.index = 0
        self._frames = self._make(self.settings, dreamer)

    @staticmethod
    def _make(settings, dreamer):
        from .video import FrameDreamer

        return FrameDreamer(settings, dreamer=dreamer)

    def change(self, settings, dreamer=None) -> None:
        """Dream the next frames with `settings`; the carried detail goes on where it fits."""
        frames = self._make(settings, dreamer)
        old = self._frames
        if old.previous is not None:
            frames.follow(old.previous_raw, old.previous)
        old.close()
        self.settings, self._frames = settings, frames

    def forget(self) -> None:
        """The next frame starts afresh (nothing carried)."""
        self._frames.forget()

    @property
    def prepared(self):
        """The Dreamer frames are dreamt with (None before the first frame when none was given)."""
        return self._frames.full

    def next(self, frame: np.ndarray, progress=None) -> np.ndarray:
        """The frame dreamt: uint8 RGB, the frame's size. progress: gets each step's
        `DreamProgress` (raising in it stops the frame)."""
        import cv2

        frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
        raw = fit(frame, self.settings.dream.max_side)
        frames = self._frames
        if frames.previous_raw is not None and frames.previous_raw.shape != raw.shape:
            frames.forget()  # another size (the camera or --max-side changed): nothing to carry
        self.index += 1
        out = frames.dream(raw, self.index, progress=progress)
        if out.shape != frame.shape:
            out = cv2.resize(out, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        return out

    def close(self) -> None:
        self._frames.close()
