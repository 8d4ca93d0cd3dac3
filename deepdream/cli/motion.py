"""`deepdream zoom` and `deepdream video`: movies of dreams, frame by frame, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..motion.segments import SEGMENT_SECONDS, WARMUP
from ..settings import DreamSettings, VideoSettings, ZoomSettings
from . import app
from .options import InputImage, Overwrite, Quiet, Ray, Workers, setting, with_dream_options

Z, V = ZoomSettings, VideoSettings

MovieOutput = Annotated[Path, typer.Option(
    "-o", "--output", metavar="FILE", show_default=False,
    help="Movie to write; its extension picks the format: .mp4 (H.264), .webm (VP9), .gif, .mov.")]
FramesDir = Annotated[Optional[Path], typer.Option(
    "--frames-dir", metavar="FOLDER", show_default=False,
    help="Where each frame is written as a PNG as soon as it is made; running the same command again "
         "resumes from them. Default: OUTPUT_frames/ beside the output.")]
MotionOverwrite = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the movie if it exists, and discard frames made with other settings.")]
VideoInput = Annotated[Path, typer.Argument(metavar="INPUT", help="Video to dream on (MP4, WebM, MOV, ...).",
                                            show_default=False)]


def motion_settings(cls, dream_options: dict, options: dict):
    """The command's settings: the dream's from its options, the motion's from the rest (only what
    was typed overrides a default), validated once."""
    typed = {k: v for k, v in options.items() if v is not None and v is not False}
    dream = {k: v for k, v in dream_options.items() if v is not None and v != []}
    return cls.from_dict({}, dream=DreamSettings.from_dict({}, **dream), **typed)


def run_motion(kind: str, frames, settings, output: Path, store, quiet: bool, write) -> None:
    """Make every frame (skipping those on disk) under a bar, then write the movie from the PNGs."""
    from ..motion import frames_progress

    count = 0
    with frames_progress(quiet, kind) as progress:
        for _ in frames(progress):
            count += 1
    write(count)
    if not quiet:
        typer.echo(f"wrote {output} ({count} frames; PNGs in {store.folder})", err=True)


@app.command()
@with_dream_options()
def zoom(
    input: InputImage,
    output: MovieOutput,
    frames: Annotated[Optional[int], setting(Z, "frames", metavar="N")] = None,
    fps: Annotated[Optional[float], setting(Z, "fps", metavar="FPS")] = None,
    zoom: Annotated[Optional[float], setting(Z, "zoom", metavar="FACTOR")] = None,
    rotate: Annotated[Optional[float], setting(Z, "rotate", metavar="DEGREES")] = None,
    translate: Annotated[Optional[str], typer.Option("--translate", metavar="DX,DY", show_default=False,
                                                     help=Z.help("translate") + "  [default: 0,0]")] = None,
    frame_steps: Annotated[Optional[int], setting(Z, "frame_steps", metavar="N")] = None,
    frame_octaves: Annotated[Optional[int], setting(Z, "frame_octaves", metavar="N")] = None,
    frames_dir: FramesDir = None,
    overwrite: MotionOverwrite = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Infinite zoom: dream the image, zoom into it a little, dream again; each dream a frame."""
    from .. import images
    from ..motion import FrameStore, check_movie_path, default_frames_dir, need_video_extra, read_frames, \
        write_movie, zoom_frames
    from ..motion.zoom import start_picture

    need_video_extra()
    settings = motion_settings(ZoomSettings, dream_options, dict(
        frames=frames, fps=fps, zoom=zoom, rotate=rotate, translate=translate, frame_steps=frame_steps,
        frame_octaves=frame_octaves))
    loaded = images.load_image(input)
    inputs = [input, *settings.dream.guide, *([settings.dream.mask] if settings.dream.mask else [])]
    check_movie_path(output, inputs, overwrite)
    store = FrameStore(frames_dir or default_frames_dir(output), settings.frames_key(), overwrite=overwrite)
    picture = start_picture(loaded, settings.dream)
    run_motion("zoom", lambda progress: zoom_frames(picture, settings, frames_dir=store.folder, overwrite=overwrite,
                                                    progress=progress, name=input.name),
               settings, output, store, quiet,
               lambda count: write_movie(read_frames(store.paths(count)), output, settings.fps, overwrite=overwrite))


@app.command()
@with_dream_options()
def video(
    input: VideoInput,
    output: MovieOutput,
    blend: Annotated[Optional[float], setting(V, "blend", "--blend", "--decay", metavar="F")] = None,
    flow: Annotated[Optional[str], setting(V, "flow", metavar="METHOD")] = None,
    independent: Annotated[bool, setting(V, "independent")] = False,
    start: Annotated[Optional[float], setting(V, "start", metavar="SECONDS")] = None,
    end: Annotated[Optional[float], setting(V, "end", metavar="SECONDS")] = None,
    frame_steps: Annotated[Optional[int], setting(V, "frame_steps", metavar="N")] = None,
    frame_octaves: Annotated[Optional[int], setting(V, "frame_octaves", metavar="N")] = None,
    frames_dir: FramesDir = None,
    ray: Ray = None,
    workers: Workers = None,
    segment: Annotated[Optional[float], typer.Option(
        "--segment", metavar="SECONDS", show_default=False,
        help=f"With --ray: seconds of clip a worker takes at a time (default {SEGMENT_SECONDS:g}, shorter for "
             f"short clips). Each worker dreams a run of consecutive segments, each carrying on from the last, "
             f"so the clip has a seam only where a worker's run starts.")] = None,
    warmup: Annotated[Optional[int], typer.Option(
        "--warmup", metavar="N", show_default=False,
        help=f"With --ray: frames dreamt before a seam, so the carried detail has settled by the first frame "
             f"kept; the movie dissolves through the last half of them  [default: {WARMUP}]")] = None,
    overwrite: MotionOverwrite = False,
    quiet: Quiet = False,
    dream_options: dict = None,
) -> None:
    """Dream on a video, frame by frame: each frame starts from the last one's dream carried along
    the optical flow, so the dream holds still on things and moves with them. Audio is kept.

    With --ray the clip is cut into segments dreamt in parallel on Ray workers."""
    from ..errors import SettingsError
    from ..motion import FrameStore, check_movie_path, default_frames_dir, need_video_extra, probe, video_frames, \
        write_movie

    need_video_extra()
    given = [flag for flag, value in (("--workers", workers), ("--segment", segment), ("--warmup", warmup))
             if value is not None]
    if given and not ray:
        raise SettingsError(f"{', '.join(given)} only work{'s' * (len(given) == 1)} with --ray (e.g. --ray local).")
    settings = motion_settings(VideoSettings, dream_options, dict(
        blend=blend, flow=flow, independent=independent, start=start, end=end, frame_steps=frame_steps,
        frame_octaves=frame_octaves))
    info = probe(input, settings)
    if info.frames == 0:
        raise SettingsError(f"There are no frames of '{input}' between --start and --end; widen the range.")
    inputs = [input, *settings.dream.guide, *([settings.dream.mask] if settings.dream.mask else [])]
    check_movie_path(output, inputs, overwrite)
    store = FrameStore(frames_dir or default_frames_dir(output), settings.frames_key(), overwrite=overwrite)
    if ray:
        from ..motion.segments import video_segments

        def frames(progress):
            count = video_segments(input, settings, frames_dir=store.folder, overwrite=overwrite, ray=ray,
                                   workers=workers, segment=segment, progress=progress,
                                   **({} if warmup is None else {"warmup": warmup}))
            return range(count)
    else:
        def frames(progress):
            return video_frames(input, settings, frames_dir=store.folder, overwrite=overwrite, progress=progress)
    run_motion("video", frames, settings, output, store, quiet,
               lambda count: write_movie(store.movie_frames(count), output, info.rate,
                                         audio=input if info.audio else None, start=settings.start,
                                         end=settings.end, overwrite=overwrite))
