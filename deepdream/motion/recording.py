"""A live stream's slider changes recorded as a timeline (`--keyframes`), so that a performance
can be dreamt again at full quality: `deepdream video --keyframes timeline.json`.

Keyframes are in seconds from the start of the recording (a live stream drops frames when they
come faster than they are dreamt, so its frame count is not the clip's); a change at 12.5 s is
written as the old value held to just before it and the new one from it: `"0s:4, 12.49s:4, 12.5s:6"`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..settings.schedule import Schedule

#: The gap, in seconds, between a value held and the one that replaces it.
STEP = 0.01


def schedulable_values(settings) -> dict:
    """{option name: value} of every setting of a clip's `settings` that may change over it (the
    dream's too; a preset is recorded as the values it sets, and several layers not at all)."""
    out = {}
    for owner in (settings, settings.dream):
        values = owner.to_dict()
        for name in owner.schedulable():
            value = values[name]
            if name == "preset" or (name == "layers" and len(value) != 1):
                continue
            value = value[0] if name == "layers" else tuple(value) if isinstance(value, list) else value
            out[type(owner).flag(name).lstrip("-")] = value
    return out


class Recorder:
    """Records the changes of a live stream's settings from `settings` on; `timeline()` gives the
    schedules of the settings that changed, by option name. clock: seconds (monotonic)."""

    def __init__(self, settings, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.start = clock()
        self.values = schedulable_values(settings)
        self.keys: dict[str, list] = {}

    def change(self, settings) -> None:
        """The stream goes on with `settings` from now."""
        at = round(self.clock() - self.start, 2)
        now = schedulable_values(settings)
        for name, value in now.items():
            old = self.values.get(name)
            if value == old:
                continue
            keys = self.keys.setdefault(name, [(0.0, old)])
            if at - STEP > keys[-1][0]:
                keys.append((round(at - STEP, 2), old))
            if at <= keys[-1][0]:
                keys[-1] = (keys[-1][0], value)  # two changes within STEP: the later wins
            else:
                keys.append((at, value))
        self.values = now

    def timeline(self) -> dict:
        """{option name: schedule text in seconds} of every setting that changed."""
        return {name: Schedule(tuple(keys), seconds=True).text() for name, keys in self.keys.items()}
