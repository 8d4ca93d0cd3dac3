"""The benchmarks' own arithmetic: scripts/bench_tiles.py splits a command's CPU time into the
network's passes over the tiles and the rest."""

from __future__ import annotations

import contextlib
import importlib.util
import sys

import numpy as np
from conftest import ROOT
from PIL import Image

_spec = importlib.util.spec_from_file_location("bench_tiles", ROOT / "scripts" / "bench_tiles.py")
bench_tiles = sys.modules["bench_tiles"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_tiles)


def test_timed_calls_add_up_every_call_and_pass_the_rest_through():
    def f(x):
        """doc"""
        if x < 0:
            raise ValueError("negative")
        return sum(i * i for i in range(x))

    f.extra = "kept"
    totals = {"tile_calls": 0, "tile_cpu_s": 0.0}
    timed = bench_tiles.TimedCalls(f, totals)
    assert timed(200_000) == f(200_000) and timed(3) == 5
    with contextlib.suppress(ValueError):
        timed(-1)
    assert totals["tile_calls"] == 3 and totals["tile_cpu_s"] > 0  # a failing call still counts
    assert timed.extra == "kept"  # what the engine asks of the traced function reaches it


def test_a_dream_splits_into_its_tile_calls_and_the_rest(tmp_path):
    from deepdream.render.tiles import TiledGradient

    made = TiledGradient.__init__
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    code, totals = bench_tiles.timed_run(
        [
            "dream",
            str(tmp_path / "in.png"),
            "-o",
            str(tmp_path / "out.png"),
            "-b",
            "vgg16",
            "-l",
            "block3_conv1",
            "--octaves",
            "2",
            "--steps",
            "3",
            "--tile-size",
            "512",
            "--precision",
            "float32",
            "-q",
        ]
    )
    assert code == 0 and (tmp_path / "out.png").is_file()
    assert totals["tile_calls"] == 2 * 3  # one tile a step (the tile holds the picture), 3 steps, 2 octaves
    assert 0 < totals["tile_cpu_s"] < bench_tiles.cpu_seconds()
    assert TiledGradient.__init__ is made  # the timing is taken off again
