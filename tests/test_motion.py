"""Motion: infinite zoom and flow-stabilised video dreams, frames on disk and resume, with real
PyAV and OpenCV (test clips are made here), the real embedded VGG16 and tiny frames."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image

av = pytest.importorskip("av")
cv2 = pytest.importorskip("cv2")

from deepdream import DreamSettings, VideoSettings, ZoomSettings, video_frames, zoom_frames  # noqa: E402
from deepdream.errors import SettingsError  # noqa: E402
from deepdream.motion import decode, frame_name, motion_matrix, probe  # noqa: E402
from deepdream.motion.flow import carry, consistency, optical_flow  # noqa: E402
from deepdream.motion.frames import frame_index, frame_seed  # noqa: E402

DREAM = DreamSettings(backbone="vgg16", layers=("block2_conv1",), octaves=1, steps=2, precision="float32")


def texture(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / "chelsea.png").convert("RGB").resize((width, height), Image.LANCZOS))


def make_clip(path, frames=8, size=(64, 48), shift=2, fps=10, audio=True):
    """An H.264 clip panning across the cat photo by `shift` pixels a frame (the view moves right:
    the picture moves left), with a 440 Hz AAC tone as long as the video when `audio`."""
    w, h = size
    big = texture(w + shift * frames + 8, h + 8)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"crf": "12"}
        sound = None
        if audio:
            sound = out.add_stream("aac", rate=22050)
            sound.layout = "mono"
        for i in range(frames):
            rgb = np.ascontiguousarray(big[4 : 4 + h, shift * i : shift * i + w])
            out.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(video.encode(None))
        if sound is not None:
            n = int(22050 * frames / fps)
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 22050)).astype(np.float32)[None]
            for k in range(0, n, 1024):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(tone[:, k : k + 1024]), format="fltp", layout="mono"
                )
                frame.sample_rate, frame.pts = 22050, k
                out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "pan.mp4")


def pngs(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("frame_*.png"))}


def test_frame_names_sort_in_frame_order_past_999():
    names = [frame_name(i) for i in (1, 2, 10, 999, 1000, 1001, 123456)]
    assert names[0] == "frame_000001.png"
    assert sorted(names) == names
    assert [frame_index(n) for n in names] == [1, 2, 10, 999, 1000, 1001, 123456]
    assert frame_index(frame_name(1_234_567)) == 1_234_567 and frame_index("settings.json") is None
    with pytest.raises(ValueError):
        frame_name(0)


def test_frame_seeds_are_fixed_per_run_seed_and_frame():
    """A frame's seed is a fixed function of the run's seed and the frame's number (the same in
    every run and every resume, whatever process dreams the frame): pinned here, so a change that
    would make resumed frames differ from the frames on disk fails."""
    assert [frame_seed(s, i) for s, i in ((0, 1), (0, 2), (1, 1), (-1, 1), (7, 123456))] == [
        3831201730,
        2926792190,
        901243215,
        1639030180,
        2946180044,
    ]
    seeds = {frame_seed(s, i) for s in (0, 1, -1, 2**40) for i in (1, 2, 3)}
    assert len(seeds) == 12 and all(0 <= s < 2**32 for s in seeds)  # -1 is not 1; each a uint32


def test_zoom_speed_is_per_second_whatever_the_fps():
    for motion in (dict(zoom=1.5), dict(zoom=1.2, rotate=30.0, translate=(12.0, -5.0))):
        slow, fast = ZoomSettings(fps=10, **motion), ZoomSettings(fps=20, **motion)
        for k in (1, 3, 7):
            a = np.linalg.matrix_power(motion_matrix(slow, 64, 48), k)
            b = np.linalg.matrix_power(motion_matrix(fast, 64, 48), 2 * k)
            np.testing.assert_allclose(a, b, atol=1e-9)
            scale = np.sqrt(abs(np.linalg.det(a[:2, :2])))
            assert scale == pytest.approx(motion["zoom"] ** (k / 10))
    centre = motion_matrix(ZoomSettings(zoom=2.0, fps=1), 65, 49) @ np.array([32.0, 24.0, 1.0])
    np.testing.assert_allclose(centre[:2], [32.0, 24.0], atol=1e-9)  # zooms into the centre


def test_zoom_settings_refuse_no_motion_and_bad_counts():
    for bad, flag in (
        (dict(zoom=1.0), "--zoom"),
        (dict(frames=0), "--frames"),
        (dict(frames=-3), "--frames"),
        (dict(fps=0), "--fps"),
        (dict(translate="x"), "--translate"),
    ):
        with pytest.raises(SettingsError, match=flag):
            ZoomSettings(**bad)
    assert ZoomSettings(zoom=1.0, rotate=10.0).zoom == 1.0  # turning alone is motion
    settings = ZoomSettings(frames=5, dream=dict(steps=3))
    assert ZoomSettings.from_dict(settings.to_dict()) == settings and settings.dream.steps == 3


def test_zoom_frames_resume_with_the_same_bytes(tmp_path, photo):
    settings = ZoomSettings(frames=4, fps=4, zoom=1.5, dream=DREAM, frame_steps=1)
    frames = list(zoom_frames(photo, settings, frames_dir=tmp_path / "whole"))
    assert len(frames) == 4 and all(f.shape == (64, 96, 3) and f.dtype == np.uint8 for f in frames)
    assert np.abs(frames[1].astype(int) - frames[0]).mean() > 2  # it moves
    whole = pngs(tmp_path / "whole")
    assert list(whole) == [frame_name(i) for i in range(1, 5)]
    # interrupted after 2 frames, then run again with all 4
    list(zoom_frames(photo, settings.replace(frames=2), frames_dir=tmp_path / "parts"))
    events = []
    list(zoom_frames(photo, settings, frames_dir=tmp_path / "parts", progress=events.append))
    assert [e.resumed for e in events if hasattr(e, "resumed")] == [True, True, False, False]
    assert pngs(tmp_path / "parts") == whole
    # the last frames deleted, then run again
    for name in (frame_name(3), frame_name(4)):
        (tmp_path / "parts" / name).unlink()
    list(zoom_frames(photo, settings, frames_dir=tmp_path / "parts"))
    assert pngs(tmp_path / "parts") == whole


def test_consistency_marks_a_disoccluded_region():
    """A textured square moves 6 px right over a still textured background: the strip it uncovers
    has no past (mask 0); the still background far from it is carried (mask 1)."""
    background = texture(128, 96)
    patch = np.ascontiguousarray(texture(40, 40)[:, ::-1].transpose(1, 0, 2))
    previous, current = background.copy(), background.copy()
    previous[28:68, 40:80] = patch
    current[28:68, 46:86] = patch
    backward, forward = optical_flow(current, previous), optical_flow(previous, current)
    mask = consistency(backward, forward)
    assert mask[34:62, 42:46].mean() < 0.3  # uncovered: was under the square
    assert mask[4:20, 4:30].mean() > 0.9 and mask[76:92, 96:124].mean() > 0.9  # still background
    assert np.median(backward[34:62, 56:76, 0]) == pytest.approx(-6, abs=1)  # the square came from 6 px left
    start, carried = carry(current, previous, np.clip(previous.astype(int) + 40, 0, 255).astype(np.uint8), 0.5)
    assert abs(float((start - current)[4:20, 4:30].mean()) - 20) < 3  # half the detail, where consistent


def test_decay_bounds_the_carried_detail(tmp_path):
    """On a still clip every frame carries the last one's detail: with --blend below 1 it
    settles (a geometric sum), the picture does not drift brighter."""
    still = make_clip(tmp_path / "still.mp4", frames=10, shift=0, audio=False)
    raw = next(iter(decode(still))).astype(np.float32)
    dream = DREAM.replace(steps=3)
    same = dict(dream=dream, blend=0.5, frame_steps=dream.steps, frame_octaves=dream.octaves)  # every frame alike
    detail = [np.abs(f - raw).mean() for f in video_frames(still, **same)]
    brightness = [f.mean() - raw.mean() for f in video_frames(still, **same)]
    assert detail[-1] > detail[0]  # detail is carried
    assert detail[-1] < 2.5 * detail[0]  # but bounded: at most 1 / (1 - 0.5) of one frame's, and then some
    assert max(abs(b) for b in brightness) < 6.0
    assert abs(brightness[-1] - brightness[4]) < 1.5  # settled


def test_video_frames_resume_from_the_frames_on_disk(tmp_path, clip):
    """The carried detail of a resumed run is rebuilt from the last PNG and its raw frame."""
    info = probe(clip)
    assert info.rate == 10 and info.audio and info.frames == 8 and (info.width, info.height) == (64, 48)
    settings = VideoSettings(dream=DREAM, end=0.6)
    whole = list(video_frames(clip, settings, frames_dir=tmp_path / "whole"))
    assert len(whole) == 6 and whole[0].shape == (48, 64, 3)
    list(video_frames(clip, settings.replace(end=0.3), frames_dir=tmp_path / "parts"))
    assert len(pngs(tmp_path / "parts")) == 3
    again = list(video_frames(clip, settings, frames_dir=tmp_path / "parts"))
    assert pngs(tmp_path / "parts") == pngs(tmp_path / "whole")
    assert all(a.tobytes() == b.tobytes() for a, b in zip(again, whole, strict=False))
    alone = list(video_frames(clip, settings.replace(independent=True)))
    assert alone[0].tobytes() == whole[0].tobytes()  # the first frame has nothing to carry
    assert alone[3].tobytes() != whole[3].tobytes()


@pytest.mark.slow  # two real 256x144 video dreams (6 frames) with the default network
def test_stabilised_video_flickers_at_most_half_as_much_on_a_hand_held_shake(tmp_path):
    """The default stabiliser on a hand-held shake (small random shifts and turns; the hardest of
    bench_motion's pan, zoom and shake): at most 0.5x the flicker of --independent, with a dream at
    least 0.9x as strong (mean |dreamt - raw|), so it does not win by dreaming fainter. Measured on
    these 6 frames: 0.383x, strength 0.954x (on 8: 0.376x, 0.942x)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_motion", SAMPLES.parent / "scripts" / "bench_motion.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    clip, mats = bench.make_motion_clip(tmp_path / "shake.mp4", "shake", 256, 144, 6, source=SAMPLES / "astronaut.png")
    raws = list(decode(clip))
    runs = {}
    for name, options in (("independent", dict(independent=True)), ("stabilised", {})):
        frames = list(video_frames(clip, VideoSettings(dream=dict(backbone="efficientnet-lite2", seed=0), **options)))
        runs[name] = (bench.motion_flicker(frames, mats), bench.strength(frames, raws))
    ratio = runs["stabilised"][0] / runs["independent"][0]
    assert ratio <= 0.5, runs
    assert runs["stabilised"][1] >= 0.9 * runs["independent"][1], runs
