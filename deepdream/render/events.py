"""What a render reports while it works: `Stage` before the first step, `DreamProgress` after each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DreamProgress:
    """What the render loop reports after each step."""

    octave: int  # 1-based
    octaves: int
    step: int  # 1-based, within the octave
    steps: int
    size: tuple[int, int]  # (height, width) of this octave
    value: float  # the objective's value before this step
    sizes: tuple[tuple[int, int], ...]  # every octave's size, smallest first
    precision: str = "float32"  # what the network computes in: float32, bfloat16 or float16
    #: The picture as it is after this step (RGB float32 at this octave's size), made on demand.
    snapshot: Callable[[], np.ndarray] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Stage:
    """What is being done before the first step ("loading the network", "tracing ...")."""

    text: str
