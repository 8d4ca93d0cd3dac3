"""Where a `deepdream` command's CPU time goes: the command runs in this process, with every call
of the tiled gradient's traced function (the network's passes over the tiles) timed; at exit one
JSON line on stderr: {"tile_calls", "tile_cpu_s", "process_cpu_s"} (CPU seconds, user + system,
the process's own from its start; at the end, so it counts start-up and saving too).
`scripts/bench_peer.py --split` prints the same for the tutorial's
algorithm, so a pair of whole processes splits into the network's part and the rest.

    python scripts/bench_tiles.py dream IN.png -o OUT.png -b vgg16 -l block4_conv3 --octaves 3 \\
        --octave-scale 1.3 --steps 4 --tile-size 512 --precision float32 --step-size 1.5 \\
        --scale-jitter 0 --rotate-jitter 0 -q --overwrite
"""

from __future__ import annotations

import json
import os
import sys


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


class TimedCalls:
    """A traced function with its calls' CPU time added up (everything else passes through)."""

    def __init__(self, function, totals: dict):
        self._function, self._totals = function, totals

    def __call__(self, *args):
        start = cpu_seconds()
        try:
            return self._function(*args)
        finally:
            self._totals["tile_cpu_s"] += cpu_seconds() - start
            self._totals["tile_calls"] += 1

    def __getattr__(self, name):
        return getattr(self._function, name)


def timed_run(argv: list[str]) -> tuple[int, dict]:
    """Run `deepdream ARGV` here with its tile calls timed: (exit code, totals)."""
    from deepdream.cli import run
    from deepdream.render.tiles import TiledGradient

    totals = {"tile_calls": 0, "tile_cpu_s": 0.0}
    made = TiledGradient.__init__

    def timed_init(self, *args, **kwargs):
        made(self, *args, **kwargs)
        self._tile_gradient = TimedCalls(self._tile_gradient, totals)

    TiledGradient.__init__ = timed_init
    try:
        return run(argv), totals
    finally:
        TiledGradient.__init__ = made


def report(totals: dict) -> None:
    """The split as one JSON line on stderr: tile calls, their CPU seconds, the process's so far."""
    print(
        json.dumps({**totals, "tile_cpu_s": round(totals["tile_cpu_s"], 2), "process_cpu_s": round(cpu_seconds(), 2)}),
        file=sys.stderr,
    )


def main(argv: list[str]) -> int:
    code, totals = timed_run(argv)
    report(totals)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
