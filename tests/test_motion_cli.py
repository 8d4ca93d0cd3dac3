"""`deepdream zoom` and `deepdream video` as a user runs them: movies with their frame rate and
audio, frames resumed from disk, and every bad input as one line that leaves nothing behind."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli

av = pytest.importorskip("av")
pytest.importorskip("cv2")

from deepdream import VideoSettings, video_frames  # noqa: E402
from deepdream.motion import frame_name, probe  # noqa: E402
from test_motion import DREAM, make_clip, pngs, texture  # noqa: E402

FAST = ["-b", "vgg16", "-l", "block2_conv1", "--octaves", "1", "--steps", "2", "--precision", "float32", "-q"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "pan.mp4")


def assert_clean_failure(result, fragment, folder, before):
    """Exit 2, one line on stderr containing fragment, no traceback, nothing new in folder."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("deepdream: error: ") and fragment in lines[0], result.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_zoom_command_writes_gif_and_mp4_and_refuses_other_settings(tmp_path):
    src = tmp_path / "cat.png"
    Image.fromarray(texture(65, 49)).save(src)
    result = run_cli("zoom", src, "-o", tmp_path / "z.gif", "--frames", "3", "--frame-steps", "1", *FAST)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "z.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (65, 49)
    assert len(pngs(tmp_path / "z_frames")) == 3 and (tmp_path / "z_frames" / "settings.json").is_file()
    result = run_cli("zoom", src, "-o", tmp_path / "z.mp4", "--frames", "3", "--frame-steps", "1",
                     "--frames-dir", tmp_path / "z_frames", *FAST)
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "z.mp4")) as movie:
        stream = movie.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 48)  # even sides
        assert stream.average_rate == 12 and len(list(movie.decode(stream))) == 3
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("zoom", src, "-o", tmp_path / "z2.gif", "--frames", "3", "--steps", "3",
                                 "--frames-dir", tmp_path / "z_frames", *FAST[:-3], "-q"),
                         "other settings; pass another --frames-dir, or --overwrite", tmp_path, before)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.parametrize("args,fragment", [
    (["--frames", "0"], "--frames must be at least 1"),
    (["--frames", "-2"], "--frames must be at least 1"),
    (["--zoom", "1"], "--zoom of 1"),
    (["--fps", "0"], "--fps must be greater than 0"),
    (["--translate", "3"], "--translate"),
])
def test_zoom_bad_settings_are_one_line_and_write_nothing(tmp_path, args, fragment):
    src = tmp_path / "cat.png"
    Image.fromarray(texture(64, 48)).save(src)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("zoom", src, "-o", tmp_path / "z.mp4", *args, *FAST), fragment, tmp_path, before)


def test_zoom_bad_input_and_output_write_nothing(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("zoom", tmp_path / "notes.png", "-o", tmp_path / "z.mp4", *FAST),
                         "notes.png", tmp_path, before)
    Image.fromarray(texture(64, 48)).save(tmp_path / "cat.png")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("zoom", tmp_path / "cat.png", "-o", tmp_path / "z.avi", *FAST),
                         "use one of .mp4", tmp_path, before)


def test_flow_stabilised_frames_resume_keep_rate_and_audio(tmp_path, clip):
    info = probe(clip)
    assert info.rate == 10 and info.audio and info.frames == 8
    out = tmp_path / "out.mp4"
    result = run_cli("video", clip, "-o", out, *FAST)
    assert result.returncode == 0, result.stderr
    whole = pngs(tmp_path / "out_frames")
    assert len(whole) == 8
    with av.open(str(out)) as movie:
        stream = movie.streams.video[0]
        assert stream.average_rate == Fraction(10) and len(list(movie.decode(stream))) == 8
    with av.open(str(out)) as movie:
        assert movie.streams.audio, "the audio track is kept"
        sound = movie.streams.audio[0]
        assert sound.codec_context.name == "aac"
        assert float(sound.duration * sound.time_base) == pytest.approx(0.8, abs=0.08)
    # interrupted after 4 frames (--end), then run again: the same bytes
    parts = tmp_path / "parts"
    result = run_cli("video", clip, "-o", tmp_path / "half.mp4", "--end", "0.4", "--frames-dir", parts, *FAST)
    assert result.returncode == 0, result.stderr
    assert len(pngs(parts)) == 4
    for name in (frame_name(3), frame_name(4)):
        (parts / name).unlink()  # and the last two frames lost
    result = run_cli("video", clip, "-o", tmp_path / "again.mp4", "--frames-dir", parts, *FAST)
    assert result.returncode == 0, result.stderr
    assert pngs(parts) == whole


def test_start_and_end_choose_a_part(tmp_path, clip):
    settings = VideoSettings(dream=DREAM, start=0.3, end=0.6, independent=True)
    frames = list(video_frames(clip, settings))
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3)
    result = run_cli("video", clip, "-o", tmp_path / "part.mp4", "--start", "0.3", "--end", "0.6",
                     "--max-side", "48", *FAST)
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "part.mp4")) as movie:
        frames = [f.to_ndarray(format="rgb24") for f in movie.decode(movie.streams.video[0])]
        sound = movie.streams.audio[0]
        assert float(sound.duration * sound.time_base) == pytest.approx(0.3, abs=0.08)
    assert len(frames) == 3 and frames[0].shape == (36, 48, 3)


@pytest.mark.parametrize("args,fragment", [
    (["--start", "0.5", "--end", "0.2"], "--start (0.5 s) must come before --end"),
    (["--blend", "1.5"], "--blend must be at most 1"),
    (["--flow", "lucas"], "--flow must be one of dis, farneback"),
    (["--start", "30"], "past the end"),
])
def test_video_bad_settings_are_one_line_and_write_nothing(tmp_path, clip, args, fragment):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("video", clip, "-o", tmp_path / "v.mp4", *args, *FAST), fragment, tmp_path, before)


def test_video_bad_input_writes_nothing(tmp_path):
    (tmp_path / "fake.mp4").write_bytes(b"\x00" * 2000)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("video", tmp_path / "fake.mp4", "-o", tmp_path / "v.mp4", *FAST),
                         "as a video", tmp_path, before)
    assert_clean_failure(run_cli("video", tmp_path / "missing.mp4", "-o", tmp_path / "v.mp4", *FAST),
                         "does not exist", tmp_path, before)
    Image.fromarray(texture(64, 48)).save(tmp_path / "still.png")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(run_cli("video", tmp_path / "still.png", "-o", tmp_path / "v.mp4", *FAST),
                         "is a still picture", tmp_path, before)
