"""`deepdream zoom` and `deepdream video` as a user runs them: movies with their frame rate and
audio, frames resumed from disk, and every bad input as one line that leaves nothing behind."""

from __future__ import annotations

from fractions import Fraction

import pytest
from conftest import cli
from PIL import Image

av = pytest.importorskip("av")
pytest.importorskip("cv2")

from test_motion import DREAM, make_clip, pngs, texture  # noqa: E402

from deepdream import VideoSettings, video_frames  # noqa: E402
from deepdream.motion import frame_name, probe  # noqa: E402

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
    result = cli("zoom", src, "-o", tmp_path / "z.gif", "--frames", "3", "--frame-steps", "1", *FAST)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "z.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (65, 49)
    assert len(pngs(tmp_path / "z_frames")) == 3 and (tmp_path / "z_frames" / "settings.json").is_file()
    result = cli(
        "zoom",
        src,
        "-o",
        tmp_path / "z.mp4",
        "--frames",
        "3",
        "--frame-steps",
        "1",
        "--frames-dir",
        tmp_path / "z_frames",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "z.mp4")) as movie:
        stream = movie.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 48)  # even sides
        assert stream.average_rate == 12 and len(list(movie.decode(stream))) == 3
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli(
            "zoom",
            src,
            "-o",
            tmp_path / "z2.gif",
            "--frames",
            "3",
            "--steps",
            "3",
            "--frames-dir",
            tmp_path / "z_frames",
            *FAST[:-3],
            "-q",
        ),
        "other settings; pass another --frames-dir, or --overwrite",
        tmp_path,
        before,
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--frames", "0"], "--frames must be at least 1"),
        (["--frames", "-2"], "--frames must be at least 1"),
        (["--zoom", "1"], "--zoom of 1"),
        (["--fps", "0"], "--fps must be greater than 0"),
        (["--translate", "3"], "--translate"),
    ],
)
def test_zoom_bad_settings_are_one_line_and_write_nothing(tmp_path, args, fragment):
    src = tmp_path / "cat.png"
    Image.fromarray(texture(64, 48)).save(src)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(cli("zoom", src, "-o", tmp_path / "z.mp4", *args, *FAST), fragment, tmp_path, before)


def test_zoom_bad_input_and_output_write_nothing(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("zoom", tmp_path / "notes.png", "-o", tmp_path / "z.mp4", *FAST), "notes.png", tmp_path, before
    )
    Image.fromarray(texture(64, 48)).save(tmp_path / "cat.png")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("zoom", tmp_path / "cat.png", "-o", tmp_path / "z.avi", *FAST), "use one of .mp4", tmp_path, before
    )


@pytest.mark.slow  # a flow-stabilised clip, run twice (seconds)
def test_flow_stabilised_frames_resume_keep_rate_and_audio(tmp_path, clip):
    info = probe(clip)
    assert info.rate == 10 and info.audio and info.frames == 8
    out = tmp_path / "out.mp4"
    result = cli("video", clip, "-o", out, *FAST)
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
    result = cli("video", clip, "-o", tmp_path / "half.mp4", "--end", "0.4", "--frames-dir", parts, *FAST)
    assert result.returncode == 0, result.stderr
    assert len(pngs(parts)) == 4
    for name in (frame_name(3), frame_name(4)):
        (parts / name).unlink()  # and the last two frames lost
    result = cli("video", clip, "-o", tmp_path / "again.mp4", "--frames-dir", parts, *FAST)
    assert result.returncode == 0, result.stderr
    assert pngs(parts) == whole


def test_start_and_end_choose_a_part(tmp_path, clip):
    settings = VideoSettings(dream=DREAM, start=0.3, end=0.6, independent=True)
    frames = list(video_frames(clip, settings))
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3)
    result = cli(
        "video", clip, "-o", tmp_path / "part.mp4", "--start", "0.3", "--end", "0.6", "--max-side", "48", *FAST
    )
    assert result.returncode == 0, result.stderr
    with av.open(str(tmp_path / "part.mp4")) as movie:
        frames = [f.to_ndarray(format="rgb24") for f in movie.decode(movie.streams.video[0])]
        sound = movie.streams.audio[0]
        assert float(sound.duration * sound.time_base) == pytest.approx(0.3, abs=0.08)
    assert len(frames) == 3 and frames[0].shape == (36, 48, 3)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--start", "0.5", "--end", "0.2"], "--start (0.5 s) must come before --end"),
        (["--blend", "1.5"], "--blend must be at most 1"),
        (["--flow", "lucas"], "--flow must be one of dis, farneback"),
        (["--start", "30"], "past the end"),
    ],
)
def test_video_bad_settings_are_one_line_and_write_nothing(tmp_path, clip, args, fragment):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(cli("video", clip, "-o", tmp_path / "v.mp4", *args, *FAST), fragment, tmp_path, before)


def test_video_bad_input_writes_nothing(tmp_path):
    (tmp_path / "fake.mp4").write_bytes(b"\x00" * 2000)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("video", tmp_path / "fake.mp4", "-o", tmp_path / "v.mp4", *FAST), "as a video", tmp_path, before
    )
    assert_clean_failure(
        cli("video", tmp_path / "missing.mp4", "-o", tmp_path / "v.mp4", *FAST), "does not exist", tmp_path, before
    )
    Image.fromarray(texture(64, 48)).save(tmp_path / "still.png")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("video", tmp_path / "still.png", "-o", tmp_path / "v.mp4", *FAST), "is a still picture", tmp_path, before
    )


def frame_bytes(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("frame_*.png"))}


def movie_frame_count(path) -> int:
    if path.suffix == ".gif":
        with Image.open(path) as gif:
            return gif.n_frames
    with av.open(str(path)) as movie:
        return len(list(movie.decode(movie.streams.video[0])))


def test_zoom_rerun_is_up_to_date_a_longer_one_continues_and_another_movie_gets_its_own_frames(tmp_path):
    src = tmp_path / "cat.png"
    Image.fromarray(texture(64, 48)).save(src)
    out, frames = tmp_path / "z.mp4", tmp_path / "z_frames"
    command = ["zoom", src, "-o", out, "--frames-dir", frames, "--frame-steps", "1", *FAST[:-1]]
    assert cli(*command, "--frames", "2", "-q").returncode == 0
    made, movie, stamp = frame_bytes(frames), out.read_bytes(), out.stat().st_mtime_ns
    # the same command again: nothing to do, nothing rewritten
    again = cli(*command, "--frames", "2")
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == f"{out} is up to date (2 frames in {frames}); nothing to do."
    assert out.stat().st_mtime_ns == stamp and out.read_bytes() == movie and frame_bytes(frames) == made
    # a longer run continues: the earlier frames kept byte for byte, the movie it made replaced
    longer = cli(*command, "--frames", "3", "-q")
    assert longer.returncode == 0, longer.stderr
    now = frame_bytes(frames)
    assert len(now) == 3 and {k: now[k] for k in made} == made
    assert movie_frame_count(out) == 3
    # another movie of the same name with other settings: its own frames folder, not a refusal
    gif = cli(
        "zoom", src, "-o", tmp_path / "z.gif", "--frames", "2", "--frame-steps", "1", *FAST[:-1], "--steps", "3", "-q"
    )
    assert gif.returncode == 0, gif.stderr
    assert len(frame_bytes(tmp_path / "z_gif_frames")) == 2 and frame_bytes(frames) == now
    # a file this run did not make is still refused
    other = tmp_path / "other.mp4"
    other.write_bytes(b"someone else's movie")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_clean_failure(
        cli("zoom", src, "-o", other, "--frames", "2", "--frame-steps", "1", *FAST),
        "already exists; pass --overwrite",
        tmp_path,
        before,
    )
    assert other.read_bytes() == b"someone else's movie"


def test_video_rerun_is_up_to_date_and_a_later_end_continues(tmp_path, clip):
    out, frames = tmp_path / "v.mp4", tmp_path / "v_frames"
    command = ["video", clip, "-o", out, *FAST]
    assert cli(*command, "--end", "0.4").returncode == 0
    made, stamp = frame_bytes(frames), out.stat().st_mtime_ns
    assert len(made) == 4
    dry = cli(*command, "--end", "0.4", "--dry-run")
    assert dry.returncode == 0 and "v.mp4 is up to date" in dry.stdout
    assert cli(*command, "--end", "0.4").returncode == 0
    assert out.stat().st_mtime_ns == stamp and frame_bytes(frames) == made
    dry = cli(*command, "--end", "0.6", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith(f"would replace {out}: video") and frame_bytes(frames) == made
    assert cli(*command, "--end", "0.6").returncode == 0
    now = frame_bytes(frames)
    assert len(now) == 6 and {k: now[k] for k in made} == made
    assert movie_frame_count(out) == 6
