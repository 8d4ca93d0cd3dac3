"""Long videos in segments (`deepdream video --ray`): how a clip is cut and dealt to workers, the
warm-up and dissolve at seams, resuming from the frames on disk, and a real local Ray cluster of
two workers, one of which dies (a worker class made in the test), giving the same bytes as the
same segments dreamt in process; a segment that keeps failing ends the run."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import cli
from PIL import Image

av = pytest.importorskip("av")
pytest.importorskip("cv2")

from test_motion import DREAM, make_clip, pngs  # noqa: E402
from test_motion_cli import FAST  # noqa: E402

from deepdream import VideoSettings, movie_frames, video_frames, write_movie  # noqa: E402
from deepdream.errors import RenderError  # noqa: E402
from deepdream.motion import decode  # noqa: E402
from deepdream.motion.frames import FrameStore, frame_name  # noqa: E402
from deepdream.motion.segments import KEEP, Segment, SegmentWorker, cut, split, steal, video_segments  # noqa: E402
from deepdream.motion.video import frame_times  # noqa: E402
from deepdream.workers import LocalPool, RayPool  # noqa: E402


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "pan12.mp4", frames=12, audio=False)


def test_cut_split_and_steal():
    assert cut(10, count=3) == [Segment(1, 3), Segment(4, 7), Segment(8, 10)]
    assert cut(10, length=4) == [Segment(1, 4), Segment(5, 8), Segment(9, 10)]
    assert cut(2, count=5) == [Segment(1, 1), Segment(2, 2)]  # never an empty segment
    assert cut(0, count=2) == []
    blocks = split(cut(100, length=10), 3)
    assert [[s.first for s in b] for b in blocks] == [[1, 11, 21, 31], [41, 51, 61], [71, 81, 91]]
    blocks[2].clear()  # the third worker is done: it takes the second half of the fullest block
    assert list(steal(blocks)) == [Segment(21, 30), Segment(31, 40)]
    assert [s.first for s in blocks[0]] == [1, 11]
    assert list(steal([[], []])) == []


def test_frame_times_count_the_frames_decode_gives(clip):
    times = frame_times(clip)
    assert len(times) == 12 == len(list(decode(clip)))
    assert times[:3] == pytest.approx([0.0, 0.1, 0.2], abs=1e-6)
    part = frame_times(clip, 0.3, 0.7)
    assert len(part) == len(list(decode(clip, 0.3, 0.7))) == 4
    # a segment decoded on its own from its first frame's time gets exactly its frames
    whole = list(decode(clip))
    alone = list(decode(clip, times[5], times[9]))
    assert len(alone) == 4 and all(a.tobytes() == b.tobytes() for a, b in zip(alone, whole[5:9], strict=False))


def test_one_worker_is_the_one_piece_run_byte_for_byte(tmp_path, clip):
    settings = VideoSettings(dream=DREAM)
    list(video_frames(clip, settings, frames_dir=tmp_path / "one"))
    assert video_segments(clip, settings, frames_dir=tmp_path / "seg", pool=LocalPool(SegmentWorker, 1)) == 12
    assert pngs(tmp_path / "seg") == pngs(tmp_path / "one")
    assert not (tmp_path / "seg" / "seams").exists()


def test_a_part_of_the_clip_in_segments_is_the_same_part(tmp_path, clip):
    """--start/--end: each segment seeks to its own frames; with nothing carried across (as
    --independent) every frame is the one piece's, byte for byte."""
    settings = VideoSettings(dream=DREAM, start=0.3, end=1.0, independent=True)
    list(video_frames(clip, settings, frames_dir=tmp_path / "one"))
    assert video_segments(clip, settings, frames_dir=tmp_path / "three", pool=LocalPool(SegmentWorker, 3)) == 7
    assert pngs(tmp_path / "three") == pngs(tmp_path / "one") and len(pngs(tmp_path / "one")) == 7


@pytest.mark.slow  # a clip in segments, run twice (seconds)
def test_seams_warm_up_dissolve_and_resume(tmp_path, clip):
    settings = VideoSettings(dream=DREAM)
    one = tmp_path / "one"
    list(video_frames(clip, settings, frames_dir=one))
    folder = tmp_path / "three"
    video_segments(
        clip, settings, frames_dir=folder, pool=LocalPool(SegmentWorker, 3), warmup=4
    )  # frames 1-4, 5-8, 9-12
    made = pngs(folder)
    assert len(made) == 12
    same = [made[name] == data for name, data in sorted(pngs(one).items())]
    assert same == [True] * 4 + [False] * 8  # the first segment is the one piece's start
    store = FrameStore(folder, settings.frames_key())
    # warm-up 4 frames before each seam, the last 2 kept to dissolve through
    assert store.seams() == {5: [3, 4], 9: [7, 8]}
    movie = list(store.movie_frames(12))
    assert [f.tobytes() for f in movie_frames(folder)] == [f.tobytes() for f in movie]
    for index in (1, 2, 5, 6, 10):
        assert movie[index - 1].tobytes() == store.read(index).tobytes()
    for index, weight in ((3, 1 / 3), (4, 2 / 3), (7, 1 / 3), (8, 2 / 3)):
        seam = 5 if index < 5 else 9
        other = np.asarray(Image.open(store.seam_path(seam, index)), np.float32)
        expected = np.round(store.read(index) * (1 - weight) + other * weight)
        assert np.abs(movie[index - 1].astype(np.float32) - expected).max() == 0
    # the warm-up frames carry the settings too, as every frame does
    meta = json.loads(Image.open(store.seam_path(5, 4)).text["deepdream"])
    assert meta["frame"] == 4 and meta["settings"] == json.loads(json.dumps(settings.frames_key()))
    # lost frames are made again from the frame before them on disk: the same bytes
    for index in (3, 6, 7, 8):
        store.path(index).unlink()
    video_segments(clip, settings, frames_dir=folder, pool=LocalPool(SegmentWorker, 2), warmup=4)
    assert pngs(folder) == made
    # with the whole second segment lost, it carries on from frame 4 on disk: no seam at 5 now
    for index in range(5, 9):
        store.path(index).unlink()
    video_segments(clip, settings, frames_dir=folder, pool=LocalPool(SegmentWorker, 3), warmup=4)
    assert store.seams() == {9: [7, 8]}
    again = pngs(folder)
    assert [again[frame_name(i)] == made[frame_name(i)] for i in range(4, 10)] == [True] + [False] * 4 + [True]


@pytest.mark.slow  # a local Ray cluster
def test_video_on_ray_survives_a_dead_worker(tmp_path, clip):
    pytest.importorskip("ray")
    reference = tmp_path / "reference"
    video_segments(clip, VideoSettings(dream=DREAM), frames_dir=reference, pool=LocalPool(SegmentWorker, 2), warmup=4)
    marker = tmp_path / "crashed"

    class DiesOnce(SegmentWorker):  # made here, so Ray ships the class itself to its workers
        def frames(self, run, chunk, settings, entries):
            if not marker.exists() and any(what == KEEP for *_, what in entries):
                marker.write_text(self.name)  # the first worker to dream a kept frame dies
                os._exit(1)
            return super().frames(run, chunk, settings, entries)

    folder = tmp_path / "ray_frames"
    stages = []
    count = video_segments(
        clip,
        VideoSettings(dream=DREAM),
        frames_dir=folder,
        warmup=4,
        pool=RayPool(DiesOnce, "local", workers=2, say=stages.append),
    )
    assert count == 12 and stages == ["starting Ray", "2 workers (1 CPU each)"]
    assert marker.exists()  # a worker died, and its segment carried on from its frames on disk
    assert pngs(folder) == pngs(reference)
    key = json.loads((folder / "settings.json").read_text())["frames_key"]
    assert FrameStore(folder, key).seams() == {7: [5, 6]}
    write_movie(movie_frames(folder), tmp_path / "ray.mp4", 10)
    with av.open(str(tmp_path / "ray.mp4")) as movie:
        assert len(list(movie.decode(movie.streams.video[0]))) == 12
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.slow  # a local Ray cluster
def test_a_segment_that_keeps_failing_ends_the_run_and_keeps_the_frames(tmp_path, clip):
    pytest.importorskip("ray")

    class FailsAtFrame3(SegmentWorker):  # the worker raises dreaming frame 3 (one is enough: one segment)
        def frames(self, run, chunk, settings, entries):
            if any(index == 3 and frame is None for index, _, frame, _ in entries):
                raise RuntimeError("deliberate failure at frame 3")
            return super().frames(run, chunk, settings, entries)

    folder = tmp_path / "ray_frames"
    with pytest.raises(RenderError) as caught:
        video_segments(
            clip,
            VideoSettings(dream=DREAM),
            frames_dir=folder,
            warmup=0,
            pool=RayPool(FailsAtFrame3, "local", workers=1),
        )
    message = str(caught.value)
    assert message.startswith(
        "Workers failed 4 times dreaming frames 1-12 (RuntimeError: deliberate failure at "
        "frame 3); the frames made so far are in "
    ), message
    assert message.endswith(f"in '{folder}': run the same command again to go on.")
    assert not (folder / frame_name(3)).exists()


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--workers", "2"], "--workers only works with --ray (e.g. --ray local)."),
        (["--segment", "5", "--warmup", "3"], "--segment, --warmup only work with --ray"),
        (["--ray", "local", "--warmup", "-1"], "--warmup must be at least 0 (got -1)."),
        (["--ray", "local", "--segment", "0"], "--segment must be greater than 0 (got 0)."),
        (["--ray", "local", "--workers", "0"], "--workers must be a whole number of at least 1"),
    ],
)
def test_segment_options_refused_cleanly(tmp_path, clip, args, fragment):
    if "--ray" in args:
        pytest.importorskip("ray")
    result = cli("video", clip, "-o", tmp_path / "v.mp4", *args, *FAST)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and fragment in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_video_ray_without_the_extra_says_how_to_install(tmp_path, clip, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    result = cli("video", clip, "-o", tmp_path / "v.mp4", "--ray", "local", "-q")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "deepdream: error: Ray is not installed; --ray needs it: pip install "
        '"deepdream-studio[ray]" (or pip install ".[ray]" from a clone).'
    )
    assert list(tmp_path.iterdir()) == []


def test_a_run_in_one_piece_takes_over_from_one_in_segments(tmp_path, clip):
    """Frames a run in segments left are kept; a missing frame is dreamt following the one before,
    and the seam that led into it is dropped, so the movie does not dissolve into a frame that
    no longer comes from those warm-up frames."""
    settings = VideoSettings(dream=DREAM)
    folder = tmp_path / "frames"
    video_segments(clip, settings, frames_dir=folder, pool=LocalPool(SegmentWorker, 3), warmup=4)
    store = FrameStore(folder, settings.frames_key())
    assert sorted(store.seams()) == [5, 9]
    store.path(5).unlink()
    frames = list(video_frames(clip, settings, frames_dir=folder))
    assert store.seams() == {9: [7, 8]} and len(pngs(folder)) == 12
    assert frames[8].tobytes() == store.read(9).tobytes()


def test_independent_frames_are_the_same_bytes_in_segments(tmp_path, clip):
    settings = VideoSettings(dream=DREAM, independent=True)
    list(video_frames(clip, settings, frames_dir=tmp_path / "one"))
    video_segments(clip, settings, frames_dir=tmp_path / "three", pool=LocalPool(SegmentWorker, 3))
    assert pngs(tmp_path / "three") == pngs(tmp_path / "one")
    assert not (tmp_path / "three" / "seams").exists()  # no warm-up: nothing is carried
