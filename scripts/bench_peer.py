"""The yardstick for dream speed: the TensorFlow DeepDream tutorial's tiled algorithm, on the same
VGG16 weights as deepdream, as a whole process (start-up included), to be timed against
`deepdream dream` at equal work.

    python scripts/bench_peer.py INPUT.png OUTPUT.png [--octaves 3 --octave-scale 1.3 --steps 4
        --tile-size 512 --layer block4_conv3] [--split]

--split: at exit, one JSON line on stderr with the CPU seconds of the tile calls and of the whole
process (as `scripts/bench_tiles.py` prints for deepdream's command).

The tutorial's algorithm (written here from its description, not copied): per step the image is
rolled by a random shift, cut into a grid of tiles (covering every pixel, the last row and column
included), each tile's gradient of the mean activation is taken
with a gradient tape, the gradients are stitched and rolled back, normalised by their standard
deviation and added; octaves enlarge the dreamt image itself. It computes in float32 and neither
zooms nor turns tiles (compare with `--precision float32 --scale-jitter 0 --rotate-jitter 0`). Equal
work: the same octave sizes, steps and tile size as deepdream's.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--octaves", type=int, default=3)
    parser.add_argument("--octave-scale", type=float, default=1.3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--step-size", type=float, default=1.5)
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--layer", default="block4_conv3")
    parser.add_argument("--split", action="store_true", help="print the tile calls' CPU seconds at exit")
    opts = parser.parse_args()

    import numpy as np
    import tensorflow as tf
    from PIL import Image

    from deepdream.backbones import load_backbone
    from deepdream.render.octaves import octave_sizes

    net = load_backbone("vgg16")
    model = net.feature_model([opts.layer])
    rgb = np.asarray(Image.open(opts.input).convert("RGB"), np.float32)
    rng = np.random.default_rng(0)

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32)])
    def tile_gradient(tile):
        with tf.GradientTape() as tape:
            tape.watch(tile)
            loss = tf.reduce_mean(model(tile[None]))
        return tape.gradient(loss, tile)

    if opts.split:
        tile_gradient = _timed(tile_gradient)
    image = net.preprocess(rgb)
    for size in octave_sizes(rgb.shape[0], rgb.shape[1], opts.octaves, opts.octave_scale, net.min_size):
        image = tf.image.resize(image, size)
        for _ in range(opts.steps):
            shift = [int(s) for s in rng.integers(-opts.tile_size, opts.tile_size, size=2)]
            rolled = tf.roll(image, shift, axis=[0, 1])
            gradient = tf.zeros_like(rolled)
            h, w = size
            for y in range(0, h, opts.tile_size):
                for x in range(0, w, opts.tile_size):
                    tile = rolled[y : y + opts.tile_size, x : x + opts.tile_size]
                    g = tile_gradient(tile)
                    gradient = tf.tensor_scatter_nd_add(
                        gradient, _indices(y, x, int(tile.shape[0]), int(tile.shape[1])), g
                    )
            gradient = tf.roll(gradient, [-s for s in shift], axis=[0, 1])
            gradient /= tf.math.reduce_std(gradient) + 1e-8
            image = net.clip(image + gradient * opts.step_size)
    Image.fromarray(np.clip(np.round(net.deprocess(image).numpy()), 0, 255).astype(np.uint8)).save(opts.output)


def _timed(function):
    """`function` with its calls' CPU time added up, reported at exit (see --split)."""
    import atexit
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_tiles import TimedCalls, report

    totals = {"tile_calls": 0, "tile_cpu_s": 0.0}
    atexit.register(report, totals)
    return TimedCalls(function, totals)


def _indices(y, x, h, w):
    import tensorflow as tf

    yy, xx = tf.meshgrid(tf.range(y, y + h), tf.range(x, x + w), indexing="ij")
    return tf.stack([yy, xx], axis=-1)


if __name__ == "__main__":
    main()
