"""How close to the machine's limit a dream step runs: the multiply-adds (MACs) a step computes,
counted from the network's layer shapes, and the machine's peak rate of them.

    python scripts/peak.py                 # this machine's peak, as JSON
    python scripts/peak.py --backbone vgg16 --size 1024x1024 --tile-size 512   # and one step's MACs

A step of a dream is, per tile, a forward pass through the layers the dreamt layers depend on and
the gradient back to the picture. The backward pass to the input (no weight gradients) costs as many
multiply-adds as the forward pass: each convolution's input gradient is the transposed convolution
with the same kernel. So a step is 2 x the forward MACs of every tile (cores and mirrored margins).
Counted: Conv2D (kh x kw x cin / groups x cout per output position), DepthwiseConv2D (kh x kw x
cin x multiplier), Dense (in x out per position); pooling, activations, normalisation and the
objective are a few operations per value, left out (they are memory-bound, not arithmetic).

The CPU's peak is cores x FMA lanes x FMA units x clock (one FMA is one multiply-add): physical
cores this process may run on, lanes from the widest vector instructions the CPU flags (AVX-512: 16
float32, AVX/AVX2: 8, SSE: 4), AMD's AVX-512 before Zen 5 run on 256-bit units (8 lanes), two FMA
units per core (every x86 server core since Haswell and Zen 2; `--fma-units` overrides), and the
clock from cpufreq's maximum, else /proc/cpuinfo. A GPU's peak is its datasheet's dense rate.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

#: Datasheet dense rates in TFLOP/s (2 per MAC): float32 on the CUDA cores; bfloat16/float16 on the
#: tensor cores without sparsity. By the name TensorFlow reports, longest match first.
GPU_TFLOPS = {
    "H200": {"float32": 67.0, "bfloat16": 989.0, "float16": 989.0},
    "H100 NVL": {"float32": 60.0, "bfloat16": 835.0, "float16": 835.0},
    "H100 PCIe": {"float32": 51.0, "bfloat16": 756.0, "float16": 756.0},
    "H100": {"float32": 67.0, "bfloat16": 989.0, "float16": 989.0},  # SXM
    "A100": {"float32": 19.5, "bfloat16": 312.0, "float16": 312.0},
    "L40S": {"float32": 91.6, "bfloat16": 362.0, "float16": 362.0},
    "L4": {"float32": 30.3, "bfloat16": 121.0, "float16": 121.0},
    "A10G": {"float32": 31.2, "bfloat16": 70.0, "float16": 70.0},
    "T4": {"float32": 8.1, "float16": 65.0},
    "V100": {"float32": 15.7, "float16": 125.0},
}


# -- the machine's peak ------------------------------------------------------------------------------
def _cpuinfo(text: str | None = None) -> dict:
    """The first processor's fields of /proc/cpuinfo (name -> value)."""
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields


def _max_clock_ghz() -> tuple[float | None, str]:
    try:
        khz = int(Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text())
        return khz / 1e6, "cpufreq cpuinfo_max_freq"
    except (OSError, ValueError):
        return None, ""


def cpu_peak(
    cpuinfo: str | None = None, cores: int | None = None, fma_units: int = 2, clock_ghz=None, precision="float32"
) -> dict:
    """The CPU's peak multiply-adds per second in `precision`, and how it was reckoned: float32 (and
    float16, computed in float32); bfloat16 twice that with AVX512_BF16 (a dot product of two pairs
    per float32 lane), 1024 a cycle per core with AMX."""
    info = _cpuinfo(cpuinfo)
    flags = set(info.get("flags", "").split())
    vendor, name = info.get("vendor_id", ""), info.get("model name", "")
    if "avx512f" in flags:
        # AMD before Zen 5 (no avx512_vp2intersect) runs AVX-512 on 256-bit units
        lanes = 8 if (vendor == "AuthenticAMD" and "avx512_vp2intersect" not in flags) else 16
    elif "avx" in flags or "avx2" in flags:
        lanes = 8
    else:
        lanes = 4
    units = fma_units if ("fma" in flags or "avx512f" in flags) else 1  # no FMA: a multiply and an add
    if cores is None:
        logical = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads_per_core = max(1, int(info.get("siblings", 1)) // max(1, int(info.get("cpu cores", 1))))
        cores = max(1, logical // threads_per_core)
    source = "given"
    if clock_ghz is None:
        clock_ghz, source = _max_clock_ghz()
    if clock_ghz is None and info.get("cpu MHz"):
        clock_ghz, source = float(info["cpu MHz"]) / 1000, "/proc/cpuinfo cpu MHz"
    clock_ghz = clock_ghz or 0.0
    per_cycle = lanes * units
    if precision == "bfloat16" and "amx_bf16" in flags:
        per_cycle = 1024
    elif precision == "bfloat16" and "avx512_bf16" in flags:
        per_cycle *= 2
    macs = cores * per_cycle * clock_ghz * 1e9
    return {
        "precision": precision,
        "device": f"CPU {name}".strip(),
        "cores": cores,
        "fma_lanes_float32": lanes,
        "fma_units": units,
        "macs_per_cycle_per_core": per_cycle,
        "clock_ghz": round(clock_ghz, 3),
        "clock_source": source,
        "peak_gmacs_per_s": round(macs / 1e9, 1),
        "peak_gflops_per_s": round(2 * macs / 1e9, 1),
    }


def gpu_peak(name: str, precision: str = "float32") -> dict | None:
    """A GPU's datasheet peak for `precision`, by its name; None for a GPU not in the table."""
    for key in sorted(GPU_TFLOPS, key=len, reverse=True):
        if key.lower() in name.lower():
            tflops = GPU_TFLOPS[key].get(precision, GPU_TFLOPS[key]["float32"])
            return {"device": f"GPU {name}", "datasheet": key, "peak_gmacs_per_s": tflops * 1e3 / 2}
    return None


def machine_peak(precision: str = "float32", clock_ghz: float | None = None) -> dict:
    """The peak of what TensorFlow computes on here: its first GPU, else the CPU (at `clock_ghz`
    where given: a virtual machine's /proc/cpuinfo says its base clock, not what the cores boost to)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "")
        found = gpu_peak(name, precision)
        return found or {"device": f"GPU {name}", "peak_gmacs_per_s": None, "note": "not in GPU_TFLOPS"}
    return cpu_peak(clock_ghz=clock_ghz, precision=precision)


# -- a step's multiply-adds --------------------------------------------------------------------------
def forward_macs(model, height: int, width: int) -> int:
    """Multiply-adds of one forward pass of the Keras `model` (every layer it holds) on a
    1 x height x width x C input, from each layer's kernel and output shapes."""
    import keras

    counted = [layer for layer in model.layers if _macs_per_position(layer)]
    if not counted:
        return 0
    probe = keras.Model(model.input, [layer.output for layer in counted])
    shapes = probe.compute_output_shape((1, height, width, model.input.shape[-1]))
    if shapes and not isinstance(shapes[0], (tuple, list)):  # one output: one shape, not a list of them
        shapes = [shapes]
    total = 0
    for layer, shape in zip(counted, shapes, strict=True):
        positions = 1
        for dim in shape[1:-1]:
            positions *= int(dim)
        total += positions * _macs_per_position(layer)
    return total


def _macs_per_position(layer) -> int:
    """Multiply-adds per output position (all its channels) of a layer, 0 for one not counted."""
    kind = type(layer).__name__
    if kind in ("Conv2D", "Conv1D", "Conv3D"):
        kernel = layer.kernel.shape  # (kh, kw, cin / groups, cout)
        count = 1
        for dim in kernel:
            count *= int(dim)
        return count
    if kind == "DepthwiseConv2D":
        kh, kw, cin, multiplier = (int(d) for d in layer.kernel.shape)
        return kh * kw * cin * multiplier
    if kind == "Dense":
        return int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return 0


def step_macs(tiled, height: int, width: int) -> dict:
    """The multiply-adds of one dream step of `tiled` (a TiledGradient) on a height x width picture:
    2 x the forward MACs of every tile (its core and its mirrored margins), and the share of them
    spent on margins (what the picture itself would cost untiled)."""
    cache: dict = {}
    total = 0
    for tile in tiled.grid(height, width).tiles():
        top, bottom, left, right = tile.pads
        shape = (tile.y1 - tile.y0 + top + bottom, tile.x1 - tile.x0 + left + right)
        if shape not in cache:
            cache[shape] = forward_macs(tiled._model, *shape)
        total += 2 * cache[shape]
    untiled = 2 * forward_macs(tiled._model, height, width)
    return {
        "macs_per_step": total,
        "gmacs_per_step": round(total / 1e9, 2),
        "untiled_gmacs_per_step": round(untiled / 1e9, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default=None, help="also count one step's MACs on this backbone")
    parser.add_argument("--size", default="1024x1024", help="WIDTHxHEIGHT of the picture")
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--clock-ghz", type=float, default=None, help="the cores' clock (default: as the CPU says)")
    parser.add_argument("--precision", default="float32")
    opts = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = {"peak": machine_peak(opts.precision, opts.clock_ghz)}
    if opts.backbone:
        from deepdream import DreamSettings, prepare

        width, height = (int(v) for v in opts.size.lower().split("x"))
        settings = DreamSettings(backbone=opts.backbone, octaves=1, steps=1, tile_size=opts.tile_size)
        result["step"] = step_macs(prepare(settings).tiled, height, width)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
