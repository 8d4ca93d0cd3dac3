"""The studio's backbone menu moves the look controls to the network's own look (vgg16 dreams at
step size 1.5 scoring layers by their mean), so a render with vgg16 and controls left alone gets
that look, and its command names only the backbone."""

from __future__ import annotations

import pytest

pytest.importorskip("gradio", reason="the web extra is not installed: pip install '.[web]'")

from test_web_studio import page_values


def _picked(backbone, mode="dream", preset="classic", **changes):
    """The page's values after the backbone menu's event (`look`) moved its controls."""
    from deepdream.web.service import Service
    from deepdream.web.studio import _Handlers
    from deepdream.web.studio_render import controls, render_inputs

    handlers = _Handlers(Service())
    moved = dict(zip(controls(), handlers.look(backbone, mode, preset), strict=True))
    given = page_values(mode=mode, backbone=backbone, preset=preset, **changes)
    values = dict(zip(render_inputs(), given, strict=True))
    for name, update in moved.items():
        if "value" in update:
            values[name] = update["value"]
    return values, {n: u["value"] for n, u in moved.items() if "value" in u}


def test_picking_vgg16_moves_the_look_controls_and_the_render_gets_its_look():
    from deepdream.web.studio_render import preview, render_inputs, settings_for

    values, moved = _picked("vgg16", steps=12)
    assert moved == {"step_size": 1.5, "score": "mean"}
    settings = settings_for("dream", values)
    assert (settings.backbone, settings.step_size, settings.score) == ("vgg16", 1.5, "mean")
    command = preview(*[values[n] for n in render_inputs()])
    assert command == "deepdream dream picture.png -o picture_classic_s0.png --backbone vgg16 --max-side 512"
    # and back: efficientnet-lite2's look is the dream's defaults
    back, moved = _picked("efficientnet-lite2")
    assert moved == {"step_size": 4.0, "score": "l2"}
    assert preview(*[back[n] for n in render_inputs()]) == (
        "deepdream dream picture.png -o picture_classic_s0.png --max-side 512"
    )


def test_a_step_size_moved_after_the_backbone_is_kept_and_named():
    from deepdream.web.studio_render import preview, render_inputs, settings_for

    values, _ = _picked("vgg16")
    values["step_size"] = 3.0  # the user's own choice, after the menu moved it
    assert settings_for("dream", values).step_size == 3.0
    assert "--backbone vgg16 --step-size 3" in preview(*[values[n] for n in render_inputs()])


def test_a_preset_or_a_mode_without_dreams_keeps_its_controls():
    for mode, preset in (("dream", "intense"), ("style transfer", "classic"), ("class painting", "classic")):
        _, moved = _picked("vgg16", mode=mode, preset=preset)
        assert moved == {}, (mode, preset)
