"""Video dreams: frames decoded one at a time (PyAV), each dreamt from the raw frame plus the
previous frame's dreamt detail carried along the optical flow, then written as PNGs; the movie is
encoded from those at the end (see `movie`). Memory is bounded by a few frames, not the clip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .._install import extra_hint
from ..settings.schedule import Schedule
from .frames import FrameStore, Writes, frame_metadata, frame_seed
from .progress import FrameProgress
from .zoom import Looks, input_name

VIDEO_EXTRA = extra_hint("video")


def need_video_extra() -> None:
    """SettingsError naming the extra to install when PyAV or OpenCV is missing."""
    from ..errors import SettingsError

    try:
        import av  # noqa: F401
        import cv2  # noqa: F401
    except ImportError:
        raise SettingsError(f"Motion needs PyAV and OpenCV: {VIDEO_EXTRA}.") from None


@dataclass(frozen=True)
class VideoInfo:
    """What the movie written from a clip keeps: its frame rate, size, and whether it has sound."""

    path: Path
    rate: Fraction
    width: int
    height: int
    duration: float | None  # seconds
    frames: int | None  # estimated count in [start, end), None when unknown
    audio: bool


def probe(path, settings=None) -> VideoInfo:
    """A clip's frame rate, size and audio; InputError for a file that is missing or not a video."""
    import av

    from ..errors import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"Input video '{path}' does not exist."
            if not path.exists()
            else f"Input '{path}' is not a file; give a video file."
        )
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"'{path}' holds no video stream; give a video file (MP4, WebM, MOV, ...).")
            stream = container.streams.video[0]
            if container.format.name == "image2" or container.format.name.endswith("_pipe"):
                raise InputError(
                    f"'{path}' is a still picture, not a video; dream on it with `deepdream dream` or `deepdream zoom`."
                )
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise InputError(f"'{path}' has no frame rate; re-encode it (e.g. with ffmpeg) and try again.")
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            audio = bool(container.streams.audio)
            width, height = stream.codec_context.width, stream.codec_context.height
            # decoding one frame proves the file readable now, before anything is written
            next(iter(container.decode(stream)))
    except InputError:
        raise
    except (av.FFmpegError, StopIteration, OSError, ValueError) as e:
        why = str(e).split(":")[0].strip() if isinstance(e, av.FFmpegError) else "no frames"
        raise InputError(f"Cannot read '{path}' as a video ({why}); give a video file (MP4, WebM, MOV, ...).") from None
    frames = None
    if duration:
        start = settings.start if settings is not None and settings.start else 0.0
        end = min(duration, settings.end) if settings is not None and settings.end is not None else duration
        frames = max(0, round((end - start) * float(rate)))
        if settings is not None and settings.start is not None and settings.start >= duration:
            from ..errors import SettingsError

            raise SettingsError(f"--start {settings.start:g} s is past the end of '{path}' ({duration:.2f} s).")
    return VideoInfo(path, Fraction(rate), width, height, duration, frames, audio)


def check_timeline(path, settings, info: VideoInfo) -> None:
    """A SettingsError naming a keyframe past the clip's last frame, counted exactly (from the
    packets: the probe's count is an estimate) where the settings hold schedules."""
    if settings.timeline():
        settings.check_clip(len(frame_times(path, settings.start, settings.end)), float(info.rate))


def fit_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk so the longer side is at most max_side, as `images.fit_max_side`."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode(
    path, start: float | None = None, end: float | None = None, max_side: int | None = None
) -> Iterator[np.ndarray]:
    """Yield the clip's frames in [start, end) seconds as uint8 RGB arrays, shrunk to max_side, one
    at a time (seeking to the keyframe before start, then decoding on)."""
    import av
    import cv2

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t0, where = _window(stream, start, end)
        if start:
            container.seek(int((start + t0) / stream.time_base), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            place = where((frame.time if frame.time is not None else 0.0) - t0)
            if place < 0:
                continue
            if place > 0:
                break
            rgb = frame.to_ndarray(format="rgb24")
            size = fit_size(rgb.shape[1], rgb.shape[0], max_side)
            if size != (rgb.shape[1], rgb.shape[0]):
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            yield rgb


def frame_times(path, start: float | None = None, end: float | None = None) -> list[float]:
    """The time (seconds from the clip's start) of every frame in [start, end), in order, read from
    the packets without decoding (seconds for hours of video): the exact frame count, and where
    each frame is, so that a segment can be decoded on its own (`decode` from one frame's time to
    another's gives exactly those frames, at any frame rate, variable ones included)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        t0, where = _window(stream, start, end)
        times = sorted(
            float(p.pts * stream.time_base) - t0 for p in container.demux(stream) if p.pts is not None and p.size
        )
    return [t for t in times if where(t) == 0]


def _window(stream, start: float | None, end: float | None) -> tuple[float, Callable[[float], int]]:
    """(the stream's start time, where(t)): -1 for a frame at t (seconds from the clip's start)
    before [start, end), 0 inside, 1 after, with half a frame's leeway at both ends. `decode` and
    `frame_times` share it, so a segment decoded from a frame's time gets exactly its frames."""
    t0 = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    half = 0.5 / float(stream.average_rate or stream.guessed_rate or 25)

    def where(t: float) -> int:
        if start and t < start - half:
            return -1
        return 1 if end is not None and t >= end - half else 0

    return t0, where


class FrameDreamer:
    """A clip's frames dreamt in order: each from its raw frame plus `blend` x the previous frame's
    dreamt detail carried along the optical flow where it is consistent (nothing for the first
    frame, or with `independent`), with the lighter dream of `frame_steps` x `frame_octaves`
    once detail is carried. The network is prepared on the first frame dreamt. `video_frames` and
    every segment worker (`segments`) use it, so frames that follow the same frame are the same
    bytes wherever they are made. dreamer: a Dreamer prepared for `settings.dream` already (e.g.
    a server's cached one), used instead of preparing one. fps: the clip's frame rate, for
    schedules in seconds (each frame dreams with its values of the schedules: `settings.at`)."""

    def __init__(self, settings, progress: Callable[[object], None] | None = None, dreamer=None, fps=None):
        self.settings = settings
        self.progress = progress
        self.fps = None if fps is None else float(fps)
        self.full = dreamer  # the Dreamer prepared first
        self.looks = None
        self.previous_raw = self.previous = None
        self.ahead = None  # (raw, previous raw, future of their flow fields)
        self.pool = None

    def follow(self, raw: np.ndarray, frame: np.ndarray) -> None:
        """The next frame dreamt carries `frame`'s detail (dreamt from `raw`): a frame made before,
        here or elsewhere, e.g. read back from disk."""
        self.previous_raw, self.previous = raw, frame

    def forget(self) -> None:
        """The next frame dreamt starts afresh, as a clip's first does."""
        self.previous_raw = self.previous = None

    def close(self) -> None:
        """Stop the thread that computes flow ahead (a later `dream` starts another)."""
        if self.pool is not None:
            self.pool.shutdown()
            self.pool, self.ahead = None, None

    @property
    def carries(self) -> bool:
        """Whether any frame carries the last one's detail."""
        blend = self.settings.blend
        return not self.settings.independent and max(blend.values() if isinstance(blend, Schedule) else [blend]) > 0

    def _fields(self, raw: np.ndarray):
        """The flow fields from `raw` to the previous raw frame: computed ahead if they were."""
        from .flow import flow_fields

        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] is raw and ahead[1] is self.previous_raw:
            return ahead[2].result()
        return flow_fields(raw, self.previous_raw, self.settings.flow)

    def dream(
        self,
        raw: np.ndarray,
        index: int,
        next_raw: np.ndarray | None = None,
        progress: Callable[[object], None] | None = None,
    ) -> np.ndarray:
        """Frame `index` (1-based: its seed comes from it) dreamt from `raw`, as uint8 RGB.
        next_raw: the next frame's raw, when known: the flow from it to `raw` is computed in a
        thread while this frame is dreamt (OpenCV on the CPU while the network runs). progress:
        the frame's own steps (`DreamProgress`), e.g. to stop it (live: when the client goes)."""
        from .flow import carry, flow_fields

        settings = self.settings.at(index, self.fps)  # this frame's values of the schedules
        if self.looks is None:
            self.looks = Looks(self.progress, like=raw, dreamer=self.full, clip=self.settings.dream)
        if self.full is None:
            self.full = self.looks(settings.dream, index - 1, self.fps)
        start, dream = raw, settings.dream
        carried = self.previous is not None and not settings.independent and settings.blend > 0
        if carried:
            # the carried detail already holds the big patterns: a lighter dream keeps them
            # where they are (flicker 0.40-0.47x of --independent's on a pan, a zoom and a shake,
            # bench_motion's motions case; about 0.6x with the full dream)
            start, _ = carry(
                raw, self.previous_raw, self.previous, settings.blend, settings.flow, fields=self._fields(raw)
            )
            dream = settings.lighter(settings.dream)
        shrink = 1.0
        if carried and settings.spread_octaves:  # one octave a frame, in turn (`octave_turn`)
            shrink, steps = octave_turn(settings, index)
            dream = dream.replace(octaves=1, steps=steps)
        dreamer = self.looks(dream, index - 1, self.fps)
        if next_raw is not None and self.carries:
            if self.pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self.pool = ThreadPoolExecutor(1, thread_name_prefix="deepdream-flow")
            self.ahead = (next_raw, raw, self.pool.submit(flow_fields, next_raw, raw, settings.flow))
        seed = frame_seed(settings.dream.seed, index)
        out = dream_shrunk(dreamer, start.astype(np.float32), shrink, seed, progress)
        frame = np.clip(np.round(out), 0, 255).astype(np.uint8)
        self.follow(raw, frame)
        return frame


#: The steps of a frame of `spread_octaves`, times --frame-steps: the octave's shrink to this power,
#: rounded (1, 1, 2, 2, 3, 4 over six octaves of 1.4). A small octave's steps cost little network
#: time, but each moves the picture as much as a full-size one: with the shrink itself (1, 1, 2, 3,
#: 4, 5) the stream reaches 0.8x the still dream's strength 5 frames sooner and flickers 0.68x of
#: independent frames' on a pan instead of 0.63x; 1, 2, 3, 4, 6, 8 flickers 0.79x (in process,
#: before JPEG, 320x240).
SPREAD_POWER = 0.8


def octave_turn(settings, index: int) -> tuple[float, int]:
    """(how many times smaller, its steps) frame `index` (from 2, the first that carries detail)
    dreams with `spread_octaves`: the --frame-octaves octaves in turn, the smallest first, with
    --frame-steps times more steps the smaller the octave (`SPREAD_POWER`)."""
    octaves = settings.frame_octaves
    octave = octaves - 1 - (index - 2) % octaves
    shrink = settings.dream.octave_scale**octave
    return shrink, settings.frame_steps * max(1, round(shrink**SPREAD_POWER))


def dream_shrunk(dreamer, start: np.ndarray, shrink: float, seed: int, progress=None) -> np.ndarray:
    """`start` (float32 RGB) plus the detail `dreamer` dreams on it shrunk `shrink` times, enlarged
    back (one octave of the octave loop: the large patterns grown at a fraction of the cost); at
    `shrink` 1, `dreamer`'s dream of `start`."""
    import cv2

    height, width = start.shape[:2]
    shrink = min(shrink, min(height, width) / dreamer.backbone.min_size)  # as the octave loop leaves smaller out
    size = (round(width / shrink), round(height / shrink))
    if shrink <= 1 or size == (width, height):
        return dreamer.run(start, seed=seed, progress=progress)
    small = cv2.resize(start, size, interpolation=cv2.INTER_AREA)
    detail = dreamer.run(small, seed=seed, progress=progress) - small
    return start + cv2.resize(detail, (width, height), interpolation=cv2.INTER_LINEAR)


def video_store(frames_dir, settings, path, info, overwrite: bool) -> FrameStore:
    """The frames folder of a video's run: keyed by its settings, recording them with the input's
    name, resuming from the first frame a changed keyframe touches, each frame carrying its own."""
    return FrameStore(
        frames_dir,
        settings.frames_key(),
        overwrite=overwrite,
        record=settings.to_json(input=input_name(path)),
        resume=lambda saved, indices: settings.first_change(saved, indices, float(info.rate)),
        metadata=lambda index: frame_metadata(settings, index),
    )


def lookahead(items):
    """(item, the next item or None) for each item."""
    iterator = iter(items)
    current = next(iterator, _END)
    while current is not _END:
        following = next(iterator, _END)
        yield current, (None if following is _END else following)
        current = following


_END = object()


def video_frames(
    path,
    settings=None,
    *,
    frames_dir=None,
    overwrite: bool = False,
    progress: Callable[[object], None] | None = None,
    **options,
) -> Iterator[np.ndarray]:
    """Yield a clip's dreamt frames (uint8 RGB arrays), one per input frame in [start, end).

    settings: a VideoSettings (or a dict of its fields); options override its fields. Each frame
    is dreamt from the raw frame plus `blend` x the previous frame's dreamt detail carried along
    the backward optical flow where the flow is consistent (none with `independent`), see
    `FrameDreamer`. frames_dir: each frame written there as a PNG when made; frames already there
    (same settings) are read back, and the carried detail rebuilt from the last of them and its raw
    frame, so a resumed run makes the same bytes. progress: `Stage` events while the network
    loads, a `FrameProgress` after each frame. `video_segments` spreads a clip over Ray workers."""
    from ..settings import VideoSettings

    settings = VideoSettings.of(settings, **options)
    info = probe(path, settings)
    store = None if frames_dir is None else video_store(frames_dir, settings, path, info, overwrite)
    total = info.frames or 0
    check_timeline(path, settings, info)
    dreamer = FrameDreamer(settings, progress, fps=info.rate)
    raws = lookahead(decode(path, settings.start, settings.end, settings.dream.max_side))
    with contextlib.ExitStack() as stack:
        stack.callback(dreamer.close)
        writes = stack.enter_context(Writes(store)) if store is not None else None
        for index, (raw, next_raw) in enumerate(raws, 1):
            total = max(total, index)
            resumed = store is not None and store.has(index)
            if resumed:
                frame = store.read(index)
                dreamer.follow(raw, frame)
            else:
                frame = dreamer.dream(raw, index, next_raw if store is None or not store.has(index + 1) else None)
                if store is not None:
                    store.drop_seams(index)  # left by a run in segments: this frame follows the one before
                    writes.write(index, frame, frame_metadata(settings, index))
            if progress is not None:
                progress(FrameProgress(index, total, resumed))
            yield frame
