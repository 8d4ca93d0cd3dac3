"""Keyframes (issue 35): schedules of a clip's settings ("0:0.5, 48:6", "2s:1"), read and checked
once, interpolated per frame; looks that move (layers, presets); a --keyframes file; resume after a
changed keyframe; and held schedules that make the same bytes as plain values."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import SAMPLES, cli
from PIL import Image

av = pytest.importorskip("av")
pytest.importorskip("cv2")

from test_motion import DREAM, make_clip, pngs, texture  # noqa: E402

from deepdream import DreamSettings, VideoSettings, ZoomSettings, video_frames, zoom_frames  # noqa: E402
from deepdream.errors import SettingsError  # noqa: E402
from deepdream.motion import decode  # noqa: E402
from deepdream.settings.schedule import Schedule  # noqa: E402

FAST = ["-b", "vgg16", "-l", "block2_conv1", "--octaves", "1", "--steps", "2", "--precision", "float32", "-q"]


# ------------------------------------------------------------------------------ the schedule itself


def test_schedule_interpolates_linearly_and_holds_before_and_after():
    schedule = Schedule(((4, 1.0), (8, 3.0), (12, 3.0)))
    assert [schedule.at(f) for f in (0, 4, 5, 6, 8, 10, 12, 40)] == [1, 1, 1.5, 2, 3, 3, 3, 3]
    assert schedule.text() == "4:1, 8:3, 12:3"
    assert Schedule.parse(" 4 : 1,8:3 , 12:3", "--x") == Schedule(((4, "1"), (8, "3"), (12, "3")))  # values as text


def test_whole_number_settings_are_rounded_and_floats_kept():
    settings = ZoomSettings(frames=11, dream=dict(steps="0:2, 10:7", step_size="0:1, 10:2"))
    steps = [settings.at(i).dream.steps for i in range(1, 12)]
    assert steps == [2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]  # 2.5 -> 3: half up
    assert all(isinstance(s, int) for s in steps)
    assert settings.at(6).dream.step_size == pytest.approx(1.5)


def test_seconds_follow_the_frame_rate():
    slow = ZoomSettings(frames=41, fps=10, zoom="0s:1.2, 2s:2.0")
    fast = slow.replace(fps=20)
    assert slow.at(21).zoom == pytest.approx(2.0) and fast.at(21).zoom == pytest.approx(1.6)  # 2 s vs 1 s in
    assert fast.at(41).zoom == pytest.approx(2.0)
    pairs = ZoomSettings(frames=3, translate="0:10,0, 2:0,10")  # pairs move component by component
    assert pairs.at(2).translate == pytest.approx((5.0, 5.0))


@pytest.mark.parametrize(
    "options, words",
    [
        (
            dict(dream=dict(step_size="0:1, 48:6")),
            "--step-size keyframe 48:6 is past the clip, whose 24 frames are 0 to 23",
        ),
        (dict(zoom="0s:1.2, 3s:2"), "--zoom keyframe 3s:2 (frame 36 at 12 fps) is past the clip"),
        (dict(dream=dict(step_size="10:1, 5:6")), "--step-size keyframe 5:6 comes after keyframe 10"),
        (dict(dream=dict(step_size="0:1, 10:300")), "--step-size keyframe 10:300 must be at most 255 (got 300)"),
        (dict(dream=dict(octaves="0:1, 10:2.5")), "--octaves keyframe 10:2.5 must be a whole number"),
        (dict(dream=dict(chroma="0:0.5, 10:two")), "--chroma keyframe 10:two must be a finite number"),
        (dict(zoom="0:1.2, 10:-1"), "--zoom keyframe 10:-1 must be greater than 0"),
        (dict(dream=dict(steps="0:2, 2.5:3")), "frames are whole numbers (write 2.5s:3 for seconds)"),
        (dict(rotate="0:1, 1s:2, 20:3"), "--rotate mixes frames and seconds"),
        (dict(dream=dict(step_size="0:, 10:2")), "Cannot read --step-size keyframe '0:'"),
        (dict(dream=dict(preset="0:subtle, 10:intnese")), "--preset keyframe 10:intnese: Unknown preset 'intnese'"),
        (dict(dream=dict(preset="0:subtle, 10:edges")), "cannot change over a clip"),
    ],
)
def test_bad_schedules_are_one_line_naming_the_keyframe(options, words):
    with pytest.raises(SettingsError) as info:
        ZoomSettings.from_dict({}, frames=24, **options)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_picture_takes_no_schedule():
    from deepdream.render.prepare import prepare

    with pytest.raises(SettingsError, match="--step-size takes a schedule only in a zoom or a video"):
        prepare(DreamSettings(step_size="0:1, 10:4"))


def test_the_command_line_refuses_a_bad_schedule_before_any_work(tmp_path):
    result = cli("zoom", SAMPLES / "chelsea.png", "-o", tmp_path / "z.gif", "--frames", "8", "--step-size", "0:1, 9:4")
    assert result.returncode == 2 and "--step-size keyframe 9:4 is past the clip" in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = cli("dream", SAMPLES / "chelsea.png", "-o", tmp_path / "d.png", "--step-size", "0:1, 9:4")
    assert result.returncode == 2 and "--step-size" in result.stderr


def test_help_says_which_options_take_schedules():
    zoom, video = cli("zoom", "--help").stdout, cli("video", "--help").stdout
    for text, flags in ((zoom, ("--step-size", "--zoom", "--translate", "--chroma", "--layer")), (video, ("--blend",))):
        for flag in flags:
            after = re.split(rf" {flag}[ ,]", text, maxsplit=1)[1]
            own = " ".join(re.split(r"\n\s{2,}-", after, maxsplit=1)[0].split())  # up to the next option
            assert "Takes a schedule" in own, flag
    assert "--keyframes" in zoom and "--keyframes" in video
    assert "Takes a schedule" not in cli("dream", "--help").stdout


# ------------------------------------------------------------------------------ looks that move


def test_a_layer_schedule_moves_the_weight_from_one_layer_to_the_next():
    settings = ZoomSettings(frames=49, dream=dict(layers=("0:block4a_expand, 48:block6a_expand=2",)))
    assert settings.at(1).dream.layers == ("block4a_expand",)
    assert settings.at(25).dream.layers == ("block4a_expand=0.5", "block6a_expand")  # half and half (2 x 0.5)
    assert settings.at(49).dream.layers == ("block6a_expand=2",)
    assert settings.to_dict()["dream"]["layers"] == "0:block4a_expand, 48:block6a_expand=2"


def test_a_preset_schedule_moves_numbers_and_switches_choices_half_way():
    settings = ZoomSettings.from_dict(
        {}, frames=49, dream=DreamSettings.from_dict({}, preset="0:subtle, 48:intense", steps=5)
    )
    first, middle, last = (settings.at(i).dream for i in (1, 25, 49))
    assert (first.step_size, middle.step_size, last.step_size) == (2.0, 3.5, 5.0)
    assert (first.octaves, middle.octaves, last.octaves) == (4, 6, 7)  # 5.5 rounds up
    assert first.steps == middle.steps == 5  # an option given beside the presets wins
    assert settings.dream.preset == "0:subtle, 48:intense"
    edges = ZoomSettings.from_dict(
        {}, frames=3, dream=DreamSettings.from_dict({}, preset="0:classic, 2:intense", normalize="0:mean, 2:laplacian")
    )
    assert [edges.at(i).dream.normalize for i in (1, 2, 3)] == ["mean", "laplacian", "laplacian"]


def test_a_class_schedule_switches_half_way_and_every_keyframe_class_is_checked(tmp_path):
    settings = ZoomSettings(frames=49, dream=dict(target_class="0:lemon, 48:volcano@sky.png"))
    classes = [settings.at(i).dream.target_class for i in (1, 24, 25, 49)]  # frame 25 is half way: keyframe 24
    assert classes == ["lemon", "lemon", "volcano@sky.png", "volcano@sky.png"]
    assert settings.dream.region_masks() == {"--class": ["sky.png"]}
    result = cli("zoom", SAMPLES / "chelsea.png", "-o", tmp_path / "z.gif", "--class", "0:lemon, 40:volcanoo")
    assert result.returncode == 2 and "Unknown ImageNet class 'volcanoo'" in result.stderr


@pytest.mark.parametrize("layers", [(), ("block4a_expand",)])  # a class painted, and a class with a layer
def test_a_class_schedule_weighs_both_classes_between_keyframes_and_traces_once(photo, layers):
    from deepdream.motion.zoom import Looks

    dream = DreamSettings(octaves=1, steps=1, target_class="0:lemon, 4:volcano", layers=layers, precision="float32")
    settings = ZoomSettings(frames=5, dream=dream)
    looks = Looks(clip=settings.dream)
    weights = []
    for index in range(1, 6):
        dreamer = looks(settings.at(index).dream, index - 1, settings.fps)
        weights.append(dreamer.knobs.class_weights.numpy().tolist())
        dreamer.run(photo[:48, :64], seed=index)
    assert weights == [[1, 0], [0.75, 0.25], [0.5, 0.5], [0.25, 0.75], [0, 1]]
    (prepared,) = looks.cache.values()
    assert prepared.traces == 1


# ------------------------------------------------------------------------------ rendering


def test_a_held_schedule_makes_the_same_bytes_as_the_plain_value(tmp_path, photo):
    plain = ZoomSettings(frames=3, fps=4, zoom=1.5, dream=DREAM.replace(step_size=4.0), frame_steps=1)
    held = plain.replace(
        dream=DREAM.replace(step_size="0:4", chroma="0:0.3, 2:0.3", layers=("0:block2_conv1",)), zoom="0:1.5, 2:1.5"
    )
    list(zoom_frames(photo, plain, frames_dir=tmp_path / "plain"))
    list(zoom_frames(photo, held, frames_dir=tmp_path / "held"))
    assert pngs(tmp_path / "held") == pngs(tmp_path / "plain")  # PNG files byte for byte, metadata too
    # a schedule that holds 4 for frames 0 and 1, then grows: the same pixels until it moves
    later = plain.replace(dream=DREAM.replace(step_size="0:4, 1:4, 2:8"))
    moving = list(zoom_frames(photo, later))
    still = list(zoom_frames(photo, plain))
    assert np.array_equal(moving[0], still[0]) and np.array_equal(moving[1], still[1])
    assert not np.array_equal(moving[2], still[2])


def test_a_growing_step_size_grows_the_dream_frame_by_frame(tmp_path):
    """A still clip dreamt frame by frame on its own (--independent): each frame's change from
    the raw frame grows with the step-size schedule."""
    still = make_clip(tmp_path / "still.mp4", frames=5, shift=0, audio=False)
    raw = next(iter(decode(still))).astype(np.float32)
    settings = VideoSettings(dream=DREAM.replace(step_size="0:0.5, 4:8"), independent=True)
    strength = [float(np.abs(f.astype(np.float32) - raw).mean()) for f in video_frames(still, settings)]
    assert len(strength) == 5
    assert all(b > a for a, b in zip(strength, strength[1:], strict=False)), strength
    assert strength[-1] > 4 * strength[0], strength


def test_a_clip_moving_chroma_and_layer_weights_traces_once(photo):
    from deepdream.motion.zoom import Looks

    settings = ZoomSettings(
        frames=8, dream=DREAM.replace(layers=("0:block2_conv1, 7:block3_conv1",), chroma="0:0, 7:1")
    )
    looks = Looks(clip=settings.dream)
    for index in range(1, 9):
        looks(settings.at(index).dream).run(photo[:32, :32], seed=index)
    (dreamer,) = looks.cache.values()
    assert dreamer.traces == 1
    assert dreamer.knobs.weights.numpy().tolist() == [0.0, 1.0] and float(dreamer.knobs.chroma.numpy()) == 1.0


def test_a_layer_schedule_renders_with_both_layers_between_keyframes(photo):
    settings = ZoomSettings(
        frames=3, fps=4, zoom=1.5, frame_steps=1, dream=DREAM.replace(layers=("0:block2_conv1, 2:block3_conv1",))
    )
    frames = list(zoom_frames(photo, settings))
    alone = list(zoom_frames(photo, settings.replace(dream=DREAM)))
    assert np.array_equal(frames[0], alone[0])  # frame 0 dreams block2_conv1 alone
    assert not np.array_equal(frames[1], alone[1])


# ------------------------------------------------------------------------------ resume


def test_a_changed_keyframe_dreams_again_from_the_first_frame_it_changes(tmp_path, photo):
    before = ZoomSettings(frames=4, fps=4, zoom=1.5, frame_steps=1, dream=DREAM.replace(step_size="0:1, 1:1, 3:6"))
    after = before.replace(dream=DREAM.replace(step_size="0:1, 1:1, 3:9"))  # frames 0, 1 the same; 2 on change
    folder = tmp_path / "frames"
    old = [np.asarray(f) for f in zoom_frames(photo, before, frames_dir=folder)]
    events = []
    new = list(zoom_frames(photo, after, frames_dir=folder, progress=events.append))
    assert [e.resumed for e in events if hasattr(e, "resumed")] == [True, True, False, False]
    assert [np.array_equal(a, b) for a, b in zip(old, new, strict=True)] == [True, True, False, False]
    list(zoom_frames(photo, after, frames_dir=tmp_path / "fresh"))
    assert pngs(folder) == pngs(tmp_path / "fresh")  # the kept frames carry the new timeline too
    saved = json.loads((folder / "settings.json").read_text())
    assert saved["frames_key"]["dream"]["step_size"] == "0:1, 1:1, 3:9"
    events.clear()
    list(zoom_frames(photo, after, frames_dir=folder, progress=events.append))  # the same timeline: nothing to do
    assert all(e.resumed for e in events if hasattr(e, "resumed"))


def test_other_settings_than_keyframes_are_still_refused(tmp_path, photo):
    from deepdream.errors import OutputError

    settings = ZoomSettings(frames=2, fps=4, zoom=1.5, frame_steps=1, dream=DREAM.replace(step_size="0:1, 1:2"))
    list(zoom_frames(photo, settings, frames_dir=tmp_path / "f"))
    with pytest.raises(OutputError, match="other settings"):
        list(zoom_frames(photo, settings.replace(dream=settings.dream.replace(seed=3)), frames_dir=tmp_path / "f"))


# ------------------------------------------------------------------------------ the timeline file


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_a_keyframes_file_holds_the_schedules_and_is_recorded(tmp_path, suffix):
    src = tmp_path / "cat.png"
    Image.fromarray(texture(65, 49)).save(src)
    timeline = tmp_path / f"clip.{suffix}"
    if suffix == "toml":
        timeline.write_text('step-size = "0:1, 2:6"\n\n[zoom]\n0 = 1.2\n"0.5s" = 2\n')
    else:
        timeline.write_text(json.dumps({"step_size": "0:1, 2:6", "zoom": {"0": 1.2, "0.5s": 2}}))
    result = cli("zoom", src, "-o", tmp_path / "z.gif", "--frames", "3", "--fps", "4", "--keyframes", timeline, *FAST)
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "z_frames" / "settings.json").read_text())["frames_key"]
    assert saved["dream"]["step_size"] == "0:1, 2:6" and saved["zoom"] == "0s:1.2, 0.5s:2"
    from deepdream.saving import read_metadata

    assert json.loads(read_metadata(tmp_path / "z_frames" / "frame_000002.png"))["settings"]["zoom"] == "0s:1.2, 0.5s:2"


def test_a_bad_keyframes_file_is_one_line(tmp_path):
    src = SAMPLES / "chelsea.png"
    bad = tmp_path / "bad.toml"
    for text, words in (
        ('seed = "0:1, 2:2"', "names 'seed', which cannot change over a clip"),
        ("step-size = [1, 2]", "must be a number or a schedule"),
        ("step-size = ", "is not valid TOML"),
    ):
        bad.write_text(text)
        result = cli("zoom", src, "-o", tmp_path / "z.gif", "--keyframes", bad)
        assert result.returncode == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1, (
            result.stderr
        )


# ------------------------------------------------------------------------------ live, recorded


def test_a_recorder_writes_each_change_as_the_old_value_held_then_the_new():
    from deepdream.motion.recording import Recorder

    now = [100.0]
    live = VideoSettings(dream=DREAM.replace(step_size=4.0))
    recorder = Recorder(live, clock=lambda: now[0])
    now[0] = 102.5
    recorder.change(live.replace(dream=live.dream.replace(step_size=6.0)))
    now[0] = 104.0
    recorder.change(live.replace(dream=live.dream.replace(step_size=6.0, chroma=0.5), blend=0.8))
    timeline = recorder.timeline()
    assert timeline == {
        "step-size": "0s:4, 2.49s:4, 2.5s:6",
        "chroma": "0s:0.3, 3.99s:0.3, 4s:0.5",
        "blend": "0s:0.95, 3.99s:0.95, 4s:0.8",
    }
    again = VideoSettings.from_dict(
        {}, dream=DREAM.to_dict(), **{"blend": timeline["blend"]}
    )  # as --keyframes reads it
    assert again.at(41, fps=10).blend == pytest.approx(0.8) and again.at(1, fps=10).blend == 0.95


def test_the_live_socket_records_slider_changes_into_a_timeline():
    pytest.importorskip("fastapi")
    pytest.importorskip("websockets")
    from test_live import answer, connect
    from test_web_api import Running

    from deepdream.web import create_app

    running = Running(create_app(studio=False))
    try:
        with connect(running) as ws:
            ws.send(json.dumps({"steps": 1, "octaves": 1, "record": True}))
            assert answer(ws)["recording"] is True
            ws.send(json.dumps({"step-size": 6}))
            assert "timeline" not in answer(ws)
            ws.send(json.dumps({"record": False}))
            done = answer(ws)
            assert done["recording"] is False and list(done["timeline"]) == ["step-size"]
            assert Schedule.parse(done["timeline"]["step-size"], "--step-size").values()[-1] == "6"
            ws.send(json.dumps({"record": "yes"}))
            assert answer(ws)["error"].startswith("record is true")
    finally:
        running.stop()


# ------------------------------------------------------------------------------ video


def test_a_video_schedule_is_the_same_bytes_in_segments_and_refused_past_the_clip(tmp_path):
    from deepdream.motion.segments import SegmentWorker, video_segments
    from deepdream.workers import LocalPool

    clip = make_clip(tmp_path / "pan.mp4", frames=6, audio=False)
    settings = VideoSettings(dream=DREAM.replace(step_size="0:1, 5:6"), blend="0:0.9, 5:0.5")
    list(video_frames(clip, settings, frames_dir=tmp_path / "one"))
    assert video_segments(clip, settings, frames_dir=tmp_path / "seg", pool=LocalPool(SegmentWorker, 1)) == 6
    assert pngs(tmp_path / "seg") == pngs(tmp_path / "one")
    with pytest.raises(SettingsError, match="--ray takes schedules in frames"):
        video_segments(
            clip,
            settings.replace(blend="0s:0.9, 0.5s:0.5"),
            frames_dir=tmp_path / "s2",
            pool=LocalPool(SegmentWorker, 1),
        )
    result = cli("video", clip, "-o", tmp_path / "v.mp4", "--step-size", "0:1, 6:4", *FAST)
    assert (
        result.returncode == 2
        and "--step-size keyframe 6:4 is past the clip, whose 6 frames are 0 to 5" in result.stderr
    )
    assert not (tmp_path / "v.mp4").exists() and not (tmp_path / "v_frames").exists()
