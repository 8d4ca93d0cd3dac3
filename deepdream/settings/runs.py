"""The settings of how a run is laid out rather than what is dreamt: a contact sheet's cells, and a
clip's segments on Ray. Checked here like every other setting; the CLI's options are made from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Settings, option


@dataclass(frozen=True)
class SheetSettings(Settings):
    """A contact sheet of small dreams (`deepdream gallery`): its cells and rows."""

    mode: ClassVar[str] = "gallery"
    #: The smallest cell a network's picture can be read in.
    smallest: ClassVar[int] = 32

    channels: int = option(16, "With one --layer: a cell for each of its first N channels.")
    cell: int = option(
        192,
        "Longer side of each cell's picture, in pixels (painted from noise: 128 by default): the cells are "
        "dreamt small, at the full look.",
        metavar="PIXELS",
    )
    columns: int | None = option(None, "Cells per row. Default: a square-ish sheet.")

    def __post_init__(self) -> None:
        self._whole("channels", 1)
        self._whole("cell", self.smallest, f" {type(self).default('cell')} is a good start.")
        if self.columns is not None:
            self._whole("columns", 1)


@dataclass(frozen=True)
class AtlasSettings(SheetSettings):
    """A feature atlas (`deepdream gallery --from-noise`): a channel of a layer painted per cell."""

    mode: ClassVar[str] = "atlas"
    smallest: ClassVar[int] = 64

    cell: int = option(128, "Side of each cell's painting, in pixels.", metavar="PIXELS")


@dataclass(frozen=True)
class SegmentSettings(Settings):
    """A clip dreamt in segments on Ray (`deepdream video --ray`)."""

    mode: ClassVar[str] = "segments"

    #: segment: the unit of work a worker takes (and half of which a free worker takes from a busy
    #: one): short enough to balance workers, long enough that warm-ups cost little. warmup: frames
    #: a segment with nothing before it on disk dreams before its first kept frame.
    segment: float = option(
        10.0,
        "With --ray: seconds of clip a worker takes at a time (shorter for short clips). "
        "Each worker dreams a run of consecutive segments, each carrying on from the "
        "last, so the clip has a seam only where a worker's run starts.",
        metavar="SECONDS",
    )
    warmup: int = option(
        16,
        "With --ray: frames dreamt before a seam, so the carried detail has settled by the "
        "first frame kept; the movie dissolves through the last half of them.",
    )

    def __post_init__(self) -> None:
        self._number("segment", 0.0, above=True)
        self._whole("warmup", 0)
