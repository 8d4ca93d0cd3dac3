"""The Live page (`/live`, `live.html`) as the server serves it: the presets and the controls'
ranges written in from the settings, so the page holds none of its own."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..motion.live import LIVE_DREAM, LIVE_SIDES
from ..settings import DreamSettings

PAGE = Path(__file__).with_name("live.html")


def page_controls(max_side: int | None = None) -> tuple[dict, list[int], int]:
    """What the Live page's controls offer, from the settings: the strength slider's min, max, step
    (the step size field's slider) and value (its live default); the sizes (`LIVE_SIDES` this
    server's --max-side allows, or that limit alone) and the one chosen (live's --max-side)."""
    ui = next(f.metadata["ui"] for f in dataclasses.fields(DreamSettings) if f.name == "step_size")
    value = LIVE_DREAM.get("step_size", DreamSettings.default("step_size"))
    strength = {"min": ui.low, "max": ui.high, "step": ui.step, "value": value}
    sides = [side for side in LIVE_SIDES if not max_side or side <= max_side] or [max_side]
    chosen = LIVE_DREAM["max_side"] if LIVE_DREAM["max_side"] in sides else sides[-1]
    return strength, sides, chosen


def page_html(max_side: int | None = None) -> str:
    """The Live page, with the presets (their purpose, network and strength) and the controls'
    ranges (`page_controls`, for a server whose --max-side is `max_side`) written in."""
    from ..settings import PRESETS

    presets = {
        name: {
            "purpose": p.purpose,
            "backbone": p.values.get("backbone", DreamSettings.default("backbone")),
            "step_size": p.values.get("step_size", DreamSettings.default("step_size")),
        }
        for name, p in PRESETS.items()
    }
    text = json.dumps(presets).replace("<", "\\u003c")
    strength, sides, chosen = page_controls(max_side)
    slider = " ".join(f'{name}="{number:g}"' for name, number in strength.items())
    options = "".join(f"<option{' selected' if side == chosen else ''}>{side}</option>" for side in sides)
    page = PAGE.read_text(encoding="utf-8").replace("/*PRESETS*/{}", text).replace("data-strength", slider)
    return page.replace("<!--SIZES-->", options)
