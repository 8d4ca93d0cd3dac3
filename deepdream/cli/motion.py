"""`deepdream zoom` and `deepdream video`: movies of dreams, frame by frame, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import DreamSettings, SegmentSettings, VideoSettings, ZoomSettings
from ..settings.base import MOTION
from .app import on_interrupt
from .common import check_backbones
from .options import IO, RAY, DryRun, InputImage, Quiet, Ray, Workers, with_settings

MovieOutput = Annotated[
    Path,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        show_default=False,
        help="Movie to write; its extension picks the format: .mp4 (H.264), .webm (VP9), .gif, .mov.",
        rich_help_panel=IO,
    ),
]
FramesDir = Annotated[
    Path | None,
    typer.Option(
        "--frames-dir",
        metavar="FOLDER",
        show_default=False,
        help="Where each frame is written as a PNG as soon as it is made; running the same command again "
        "resumes from them. Default: OUTPUT_frames/ beside the output.",
        rich_help_panel=IO,
    ),
]
MotionOverwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace the movie if it exists, and discard frames made with other settings.",
        rich_help_panel=IO,
    ),
]
Keyframes = Annotated[
    Path | None,
    typer.Option(
        "--keyframes",
        metavar="FILE",
        show_default=False,
        help='Every schedule of the clip in one TOML or JSON file (step-size = "0:0.5, 48:6"); options given '
        "beside it override it. See docs/keyframes.md.",
    ),
]
VideoInput = Annotated[
    Path, typer.Argument(metavar="INPUT", help="Video to dream on (MP4, WebM, MOV, ...).", show_default=False)
]


def motion_settings(cls, dream_options: dict, options: dict, keyframes: Path | None = None):
    """The command's settings: the dream's from its options, the motion's from the rest (only what
    was typed overrides a default), over the schedules of the --keyframes file, validated once."""
    typed = {k: v for k, v in options.items() if v is not None}
    dream = {k: v for k, v in dream_options.items() if v is not None and v != []}
    from ..classes import class_index

    if keyframes is not None:
        from ..settings_file import read_keyframes_file

        motion_file, dream_file = read_keyframes_file(keyframes, cls)
        typed, dream = {**motion_file, **typed}, {**dream_file, **dream}

    settings = cls.from_dict({}, dream=DreamSettings.from_dict({}, **dream), **typed)
    settings.dream.check_names(class_index)
    check_backbones(settings)
    return settings


def frames_store(output: Path, frames_dir: Path | None, settings, overwrite: bool, fps: float | None = None):
    """The run's frames folder (checked; nothing made yet): --frames-dir, else OUTPUT_frames/ (or
    OUTPUT_EXT_frames/ where that holds another movie's frames). Frames of the same clip with other
    keyframes are kept up to the first frame the change reaches (fps: the clip's frame rate)."""
    from ..motion import FrameStore, default_frames_dir

    key = settings.frames_key()

    def resume(saved: dict, indices) -> int | None:
        return settings.first_change(saved, indices, fps)

    folder = frames_dir or default_frames_dir(output, None if overwrite else key, resume)
    return FrameStore(folder, key, overwrite=overwrite, resume=resume)


def movie_plan(output: Path, inputs, store, count: int | None, resumable: dict, overwrite: bool) -> str:
    """The movie checked (format, folder, not an input); whether it is new, done, ours to replace
    (a rerun or a continuation of the run that made it, as the frames folder's record proves) or
    another file (refused without --overwrite)."""
    from ..motion import check_movie_path
    from ..motion.frames import rerun

    state = rerun(store, output, count, resumable, overwrite)
    check_movie_path(output, inputs, overwrite=state != "theirs")
    return state


def say_plan(
    kind: str, state: str, output: Path, store, count: int | None, what: str, dry_run: bool, quiet: bool
) -> bool:
    """Say what a run will do (or, with --dry-run, would); True where there is nothing to do."""
    folder = store.folder
    there = sum(1 for i in range(1, (count or 0) + 1) if store.has(i))
    frames = f"{count} frames" if count is not None else "every frame"
    if state == "done":
        if dry_run or not quiet:
            typer.echo(f"{output} is up to date ({frames} in {folder}); nothing to do.", err=not dry_run)
        return True
    if dry_run:
        verb = {"new": "write", "ours": "replace"}[state]
        kept = f", {there} of them already there" if there else ""
        typer.echo(f"would {verb} {output}: {kind}, {frames} ({what}){kept}; frames in {folder}/")
        return True
    if state == "ours" and not quiet:
        typer.echo(
            f"deepdream: continuing the run that made {output} ({there} frames already in {folder}); "
            f"the movie will be replaced",
            err=True,
        )
    return False


def run_motion(kind: str, frames, settings, output: Path, store, quiet: bool, write, resumable: dict) -> None:
    """Make every frame (skipping those on disk) under a bar, then write the movie from the PNGs and
    note it in the frames folder (so that a rerun knows the movie is its own)."""
    from ..motion import frames_progress

    on_interrupt(f"the frames made so far are kept in {store.folder}/, and the same command goes on from them")
    count = 0
    with frames_progress(quiet, kind) as progress:
        for _ in frames(progress):
            count += 1
    write(count)
    store.record_movie(output, count, resumable)
    if not quiet:
        typer.echo(f"wrote {output} ({count} frames; PNGs in {store.folder})", err=True)


@with_settings(DreamSettings, schedules=True)
@with_settings(ZoomSettings, into="motion_options", schedules=True, group=MOTION)
def zoom(
    input: InputImage,
    output: MovieOutput,
    frames_dir: FramesDir = None,
    keyframes: Keyframes = None,
    overwrite: MotionOverwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
    motion_options: dict = None,
) -> None:
    """Infinite zoom: dream the image, zoom into it a little, dream again; each dream a frame."""
    from ..images import load_image
    from ..motion import need_video_extra, read_frames, write_movie, zoom_frames
    from ..motion.zoom import start_picture
    from ..render.prepare import check

    need_video_extra()
    settings = motion_settings(ZoomSettings, dream_options, motion_options, keyframes)
    loaded = load_image(input)
    inputs = [input, *settings.dream.files()]
    store = frames_store(output, frames_dir, settings, overwrite)
    resumable = {"frames": settings.frames}
    state = movie_plan(output, inputs, store, settings.frames, resumable, overwrite)
    picture = start_picture(loaded, settings.dream)
    if dry_run:
        for look in settings.dream.keyframe_looks():
            check(look)
    height, width = picture.shape[:2]
    if say_plan(
        "zoom", state, output, store, settings.frames, f"{width}x{height}, {settings.fps:g} fps", dry_run, quiet
    ):
        return
    run_motion(
        "zoom",
        lambda progress: zoom_frames(
            picture, settings, frames_dir=store.folder, overwrite=overwrite, progress=progress, name=input.name
        ),
        settings,
        output,
        store,
        quiet,
        lambda count: write_movie(read_frames(store.paths(count)), output, settings.fps, overwrite=state != "theirs"),
        resumable,
    )


def _need_ray(ray, **options) -> None:
    """Refuse options (--workers, --segment, --warmup) given without the --ray they work with."""
    from ..errors import SettingsError

    given = ["--" + name for name, value in options.items() if value is not None]
    if given and not ray:
        raise SettingsError(f"{', '.join(given)} only work{'s' * (len(given) == 1)} with --ray (e.g. --ray local).")


def _video_source(input, settings, store, overwrite: bool, ray, workers, segment, warmup):
    """frames(progress) for `run_motion`: the clip dreamt in this process, or in segments on Ray;
    it returns the frames made (their count, on Ray)."""
    from ..motion import video_frames

    if not ray:
        return lambda progress: video_frames(
            input, settings, frames_dir=store.folder, overwrite=overwrite, progress=progress
        )
    from ..motion.segments import video_segments

    def frames(progress):
        count = video_segments(
            input,
            settings,
            frames_dir=store.folder,
            overwrite=overwrite,
            ray=ray,
            workers=workers,
            segment=segment,
            warmup=warmup,
            progress=progress,
        )
        return range(count)

    return frames


@with_settings(DreamSettings, schedules=True)
@with_settings(VideoSettings, into="motion_options", schedules=True, group=MOTION)
@with_settings(SegmentSettings, into="segment_options", group=RAY)
def video(
    input: VideoInput,
    output: MovieOutput,
    frames_dir: FramesDir = None,
    keyframes: Keyframes = None,
    ray: Ray = None,
    workers: Workers = None,
    overwrite: MotionOverwrite = False,
    dry_run: DryRun = False,
    quiet: Quiet = False,
    dream_options: dict = None,
    motion_options: dict = None,
    segment_options: dict = None,
) -> None:
    """Dream on a video, frame by frame: each frame starts from the last one's dream carried along
    the optical flow, so the dream holds still on things and moves with them. Audio is kept.

    With --ray the clip is cut into segments dreamt in parallel on Ray workers."""
    from ..errors import SettingsError
    from ..motion import need_video_extra, probe, write_movie
    from ..motion.video import fit_size
    from ..render.prepare import check

    need_video_extra()
    segment, warmup = segment_options["segment"], segment_options["warmup"]
    _need_ray(ray, workers=workers, segment=segment, warmup=warmup)
    settings = motion_settings(VideoSettings, dream_options, motion_options, keyframes)
    info = probe(input, settings)
    if info.frames == 0:
        raise SettingsError(f"There are no frames of '{input}' between --start and --end; widen the range.")
    inputs = [input, *settings.dream.files()]
    store = frames_store(output, frames_dir, settings, overwrite, float(info.rate))
    resumable = {"end": settings.end}
    state = movie_plan(output, inputs, store, None, resumable, overwrite)  # the count is known once decoded
    from ..motion.video import check_timeline

    check_timeline(input, settings, info)
    if dry_run:
        for look in settings.dream.keyframe_looks():
            check(look)
        if ray:
            from ..workers import check_workers, import_ray

            import_ray()
            check_workers(workers)
    width, height = fit_size(info.width, info.height, settings.dream.max_side)
    what = f"{width}x{height}, {float(info.rate):g} fps{', audio kept' if info.audio else ''}" + (
        f", in segments on Ray ({ray})" if ray else ""
    )
    if say_plan("video", state, output, store, info.frames, what, dry_run, quiet):
        return
    run_motion(
        "video",
        _video_source(input, settings, store, overwrite, ray, workers, segment, warmup),
        settings,
        output,
        store,
        quiet,
        lambda count: write_movie(
            store.movie_frames(count),
            output,
            info.rate,
            audio=input if info.audio else None,
            start=settings.start,
            end=settings.end,
            overwrite=state != "theirs",
        ),
        resumable,
    )
