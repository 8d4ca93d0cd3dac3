"""What a dream's settings do over a clip (a zoom or a video): the layers and values each frame
dreams with, read from the schedules some fields hold (`schedule.Schedule`); a single picture takes
none."""

from __future__ import annotations

from ..errors import SettingsError
from .schedule import Schedule
from .specs import layer_mix, parse_layer_spec


class Moving:
    """A mixin of `DreamSettings`: its schedules, frame by frame (`at`), and the checks they need."""

    def _layer(self, name: str) -> None:
        """One --layer value (a keyframe's), checked as written."""
        value = str(getattr(self, name)).strip()
        if value.lower() != "auto":
            parse_layer_spec(value)
        self._set(name, value)

    def to_dict(self) -> dict:
        out = super().to_dict()
        if isinstance(self.layers, Schedule) and self.layers.constant:  # one layer held: as without a schedule
            out["layers"] = [self.layers.keys[0][1]]
        return out

    def layer_specs(self) -> tuple:
        """Every layer these settings name (each keyframe's, for a layer schedule)."""
        return tuple(self.layers.values()) if isinstance(self.layers, Schedule) else self.layers

    def at(self, frame: float, fps: float | None = None) -> Moving:
        """The dream of frame `frame` (from 0) of a clip at `fps` frames a second: each schedule's
        value there, a layer schedule's as both keyframes' layers weighted by how near each is."""
        import copy

        scheduled = {name: value for name in self.schedulable() if isinstance(value := getattr(self, name), Schedule)}
        if not scheduled:
            return self
        out = copy.copy(self)
        for name, schedule in scheduled.items():
            out._set(name, layer_mix(*schedule.around(frame, fps)) if name == "layers" else schedule.at(frame, fps))
        return out

    def keyframe_looks(self) -> list:
        """A plain dream for each keyframe value of each schedule (the rest as at the first frame):
        what `--dry-run` checks (layers on the network, files)."""
        base = self.at(0, 1.0)
        looks = [base]
        for name, schedule in ((n, getattr(self, n)) for n in self.schedulable()):
            if isinstance(schedule, Schedule):
                for value in schedule.values():
                    looks.append(base.replace(**{name: (value,) if name == "layers" else value}))
        return looks

    def check_plain(self) -> None:
        """A SettingsError where a setting holds a schedule: only a clip's frames change over time."""
        for name in self.schedulable():
            if isinstance(getattr(self, name), Schedule):
                raise SettingsError(
                    f"{self.flag(name)} takes a schedule only in a zoom or a video (a clip); give one value."
                )
