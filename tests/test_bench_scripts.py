"""The benchmarks' own arithmetic: scripts/bench_tiles.py splits a command's CPU time into the
network's passes over the tiles and the rest; scripts/bench_look.py's class case sums up its rows."""

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
    assert timed(3_000_000) == f(3_000_000) and timed(3) == 5  # the first takes a few 10 ms ticks of CPU
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


_peak_spec = importlib.util.spec_from_file_location("peak", ROOT / "scripts" / "peak.py")
peak = sys.modules["peak"] = importlib.util.module_from_spec(_peak_spec)
_peak_spec.loader.exec_module(peak)


def test_the_multiply_adds_of_a_tiny_known_network():
    """Counted from the layers' shapes: a 3x3 convolution (3 -> 4 channels, same padding) and a 1x1
    one (4 -> 2) on 8x8, then a strided 3x3 depthwise one (valid) on 7x5, and a dense head."""
    import keras

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(2, 1)(x)
    x = keras.layers.DepthwiseConv2D(3, strides=2, depth_multiplier=3)(x)
    model = keras.Model(inputs, keras.layers.Dense(5)(x))
    # 8x8: 64 x 3*3*3*4 + 64 x 4*2; depthwise valid, stride 2: 3x3 positions x 3*3*2*3; dense: 9 x 6*5
    assert peak.forward_macs(model, 8, 8) == 64 * 108 + 64 * 8 + 9 * 54 + 9 * 30
    assert peak.forward_macs(model, 7, 5) == 35 * 108 + 35 * 8 + 3 * 2 * 54 + 3 * 2 * 30


def test_a_step_is_the_forward_and_the_gradient_of_every_tile():
    import keras

    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 1, use_bias=False)(inputs))
    tiled = type("Tiled", (), {"_model": model, "grid": lambda self, h, w: _Grid(h, w)})()
    # two tiles of 16x12, the second with 4 mirrored columns: 2 x (16*12 + 16*16) x 3 multiply-adds
    assert peak.step_macs(tiled, 16, 24)["macs_per_step"] == 2 * (16 * 12 + 16 * 16) * 3


class _Grid:
    """Two tiles side by side, the second with 4 columns of mirrored margin."""

    def __init__(self, height, width):
        self.height, self.width = height, width

    def tiles(self):
        from deepdream.render.grid import Tile

        half = self.width // 2
        return [Tile(0, self.height, 0, half), Tile(0, self.height, half, self.width, (0, 0, 4, 0))]


def test_the_cpu_peak_is_cores_lanes_units_and_clock():
    zen4 = "vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fma avx avx2 avx512f\ncpu MHz\t\t: 2600.0\n"
    skylake = "vendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t\t: fma avx avx2 avx512f\ncpu MHz\t\t: 2000.0\n"
    amd = peak.cpu_peak(zen4, cores=2, clock_ghz=2.6)
    assert (amd["fma_lanes_float32"], amd["fma_units"], amd["peak_gmacs_per_s"]) == (8, 2, 83.2)
    intel = peak.cpu_peak(skylake, cores=4, clock_ghz=2.0)
    assert (intel["fma_lanes_float32"], intel["peak_gmacs_per_s"]) == (16, 256.0)
    bf16 = peak.cpu_peak(zen4.replace("avx512f", "avx512f avx512_bf16"), cores=2, clock_ghz=2.6, precision="bfloat16")
    assert bf16["macs_per_cycle_per_core"] == 32  # a dot product of two bfloat16 pairs per float32 lane
    assert peak.gpu_peak("NVIDIA H100 80GB HBM3")["peak_gmacs_per_s"] == 33_500
    assert peak.gpu_peak("NVIDIA H100 PCIe", "bfloat16")["datasheet"] == "H100 PCIe"


_look_spec = importlib.util.spec_from_file_location("bench_look", ROOT / "scripts" / "bench_look.py")
look = sys.modules["bench_look"] = importlib.util.module_from_spec(_look_spec)
_look_spec.loader.exec_module(look)


def test_the_look_bench_ranks_the_subject_and_crops_a_close_up():
    bench_look = look
    p = np.array([0.1, 0.5, 0.05, 0.3, 0.05])
    assert [bench_look.subject_rank(p, i) for i in range(5)] == [3, 1, 4, 2, 4]  # ties share a rank
    path = ROOT / "samples" / "chelsea.png"
    crop = bench_look.load_photo(f"{path}@10,20,110,70", None)
    whole = np.asarray(Image.open(path).convert("RGB"), np.float32)
    assert crop.shape == (50, 100, 3) and np.array_equal(crop, whole[20:70, 10:110])
    assert all("@" in w or w.startswith("skimage:") for w in bench_look.CLOSEUPS.values())


def test_the_class_case_counts_the_classes_that_keep_their_shape_after_the_blur():
    assert look.class_names("standard") == list(look.STANDARD_CLASSES) and len(look.STANDARD_CLASSES) == 20
    assert not set(look.STANDARD_CLASSES) & set(look.OTHER_CLASSES)  # the check set is apart
    assert look.class_names(" lemon, goldfish ,") == ["lemon", "goldfish"]
    p = np.full((3, 1000), 1e-4)
    p[:, 951] = (0.9, 0.7, 0.5)  # sharp, 2 px blur, 4 px blur
    p[0, 5] = 0.95  # another class is the top-1 on the sharp picture
    row = look.class_row("lemon", 951, p, 0.25, 12.34)
    assert row == {
        "class": "lemon",
        "index": 951,
        "p_whole": 0.9,
        "p_blur2": 0.7,
        "p_blur4": 0.5,
        "top1": 5,
        "top1_is_class": False,
        "chroma_noise": 0.25,
        "cpu_seconds": 12.3,
    }
    rows = [row, {**row, "p_whole": 0.99, "p_blur4": 0.49, "chroma_noise": 0.2, "top1_is_class": True}]
    rows.append({**row, "p_whole": 0.5, "p_blur2": 0.1, "p_blur4": 0.8, "chroma_noise": 0.3, "cpu_seconds": 20.0})
    summary = look.class_summary(rows)
    assert summary["p_blur4_at_least_0.5"] == 2  # 0.5 counts, 0.49 does not
    assert (summary["p_whole_median"], summary["p_blur2_median"], summary["p_blur4_median"]) == (0.9, 0.7, 0.5)
    assert (summary["chroma_noise_median"], summary["chroma_noise_max"], summary["p_whole_min"]) == (0.25, 0.3, 0.5)
    assert (summary["classes"], summary["top1"], summary["cpu_seconds_median"]) == (3, 1, 12.3)


_live_spec = importlib.util.spec_from_file_location("bench_live", ROOT / "scripts" / "bench_live.py")
bench_live = importlib.util.module_from_spec(_live_spec)
_live_spec.loader.exec_module(bench_live)


def test_live_strength_of_large_features_ignores_fine_texture_and_reads_a_box():
    raw = np.full((16, 24, 3), 100, np.uint8)
    fine = raw.copy()
    fine[::2] += 10  # stripes a pixel apart: 5 levels on average, none left in 8x8 blocks
    fine[1::2] -= 10
    large = raw.copy()
    large[:, :8] += 30  # one 8-pixel-wide band
    assert bench_live.strength_of(fine, raw) == 10.0 and bench_live.strength_of(fine, raw, large=True) == 0.0
    assert bench_live.strength_of(large, raw) == 10.0 and bench_live.strength_of(large, raw, large=True) == 10.0
    assert bench_live.strength_of(large, raw, box=(0, 0, 8, 16)) == 30.0
    assert bench_live.coarse(large).shape == (2, 3, 3)


def test_live_growth_reads_frames_seconds_and_the_first_to_reach_the_bar():
    raw = np.full((16, 16, 3), 100, np.uint8)
    outs = [raw + np.uint8(2 * k) for k in range(1, 41)]  # strength 2, 4, ... 80 (large features alike)
    at = [0.1 * k for k in range(1, 41)]  # an answer every 0.1 s
    still = {"strength": 50.0, "coarse": 25.0}
    grown = bench_live.growth(outs, [raw] * 40, at, still)
    assert grown["frame 10"] == [20.0, 0.4, 0.8] and grown["frame 40"] == [80.0, 1.6, 3.2]
    assert grown["1 s"] == {"frame": 10, "ratio": 0.4, "coarse_ratio": 0.8}
    assert grown["3 s"]["frame"] == 30 and grown["3 s"]["ratio"] == 1.2
    assert grown["to_0.8x"] == {"frame": 20, "s": 2.0}  # 40 >= 0.8 x 50
    assert grown["coarse_to_0.8x"] == {"frame": 10, "s": 1.0}
    assert bench_live.first_reaching([1, 2], [0.5, 1.0], 3) == (None, None)
