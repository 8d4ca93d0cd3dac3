"""Compute the average magnitude spectrum that MACO paintings keep (`deepdream.render.maco`) from the
public-domain and CC0 photos in samples/, and write it into the package as deepdream/data/maco_spectrum.npz.

    python scripts/maco_spectrum.py            # write it
    python scripts/maco_spectrum.py --check    # same numbers as the stored file? (exit 1 if not)

The spectrum is taken in the space the painter builds pictures in: the decorrelated colour space of
`render.painter.COLOR_MIX`, before the sigmoid that maps it to pixels (linearised at mid-grey: a
pixel's value is 4 x (its level - 0.5), the sigmoid's inverse near 0.5; its logit proper would
amplify the sensor noise in a photo's dark and bright parts into grain). There the three channels are nearly
independent, so one magnitude per channel describes photos' colour well (per RGB channel, the three
spectra would be nearly the same and their phases would have to agree to avoid rainbow fringes), and
a picture made from it goes through the same colour mixing and sigmoid as a Fourier painting.

Each photo gives several square crops (its corners and middle, each also mirrored) resized to SIZE;
their magnitudes (of the crop under a Hann window; an orthonormal FFT, so the values do not depend
on the size) are averaged and then smoothed over neighbouring frequencies, since four photos alone
leave each one's own peaks (a wall's bricks, a screen's lines) in the average.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
#: The photos, in samples/ (their licences in docs/samples.md): public domain or CC0.
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
#: The side the spectrum is computed and stored at; the painter resizes it to the painting's size.
SIZE = 256
#: The sigmoid's slope at 0: a level changes by SLOPE per unit of the value it is made from.
SLOPE = 0.25
OUTPUT = ROOT / "deepdream" / "data" / "maco_spectrum.npz"


def crops(rgb: np.ndarray) -> list[np.ndarray]:
    """Square crops of 3/4 of the shorter side at the corners and the middle, each also mirrored,
    resized to SIZE x SIZE, as float RGB in [0, 1]."""
    h, w = rgb.shape[:2]
    side = int(0.75 * min(h, w))
    out = []
    for y, x in [(0, 0), (0, w - side), (h - side, 0), (h - side, w - side), ((h - side) // 2, (w - side) // 2)]:
        square = Image.fromarray(rgb[y : y + side, x : x + side]).resize((SIZE, SIZE), Image.LANCZOS)
        a = np.asarray(square, np.float32) / 255.0
        out += [a, a[:, ::-1]]
    return out


def magnitude(rgb01: np.ndarray) -> np.ndarray:
    """|FFT| (orthonormal, real 2-D) of a picture's decorrelated values, mean removed: [3, SIZE, SIZE // 2 + 1]."""
    from deepdream.render.painter import COLOR_MIX

    value = (rgb01 - 0.5) / SLOPE
    decorrelated = value.reshape(-1, 3) @ np.linalg.inv(COLOR_MIX.T)
    decorrelated = decorrelated.reshape(rgb01.shape).transpose(2, 0, 1)
    decorrelated -= decorrelated.mean(axis=(1, 2), keepdims=True)
    # a Hann window: a crop is not periodic, and its edges' jumps would put a bright cross on the
    # spectrum's axes (painted as a grid of horizontal and vertical lines); scaled to keep the energy
    hann = np.hanning(SIZE)[:, None] * np.hanning(SIZE)[None, :]
    windowed = decorrelated * (hann / np.sqrt(np.mean(hann**2)))
    return np.abs(np.fft.rfft2(windowed, norm="ortho"))


def smoothed(spectrum: np.ndarray) -> np.ndarray:
    """Each frequency's magnitude averaged with its 3 x 3 neighbours (wrapping around in y, as the
    FFT's frequencies do; edge columns repeated in x)."""
    padded = np.pad(spectrum, ((0, 0), (1, 1), (0, 0)), mode="wrap")
    padded = np.pad(padded, ((0, 0), (0, 0), (1, 1)), mode="edge")
    h, w = spectrum.shape[1:]
    return sum(padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)) / 9.0


def average_spectrum() -> np.ndarray:
    """The photos' average magnitude spectrum, float32 [3, SIZE, SIZE // 2 + 1], zero at DC."""
    total, count = 0.0, 0
    for name in PHOTOS:
        rgb = np.asarray(Image.open(ROOT / "samples" / name).convert("RGB"))
        for crop in crops(rgb):
            total = total + magnitude(crop)
            count += 1
    spectrum = smoothed(total / count)
    spectrum[:, 0, 0] = 0.0  # mean grey: the painting's average colour is not the photos'
    return spectrum.astype(np.float32)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file instead of writing it")
    args = parser.parse_args(argv)
    spectrum = average_spectrum().astype(np.float16)
    if args.check:
        stored = np.load(OUTPUT)["magnitude"]
        same = stored.shape == spectrum.shape and np.array_equal(stored, spectrum)
        print(f"{OUTPUT.relative_to(ROOT)}: {'same' if same else 'DIFFERENT'}")
        return 0 if same else 1
    names = np.array(PHOTOS)
    with open(OUTPUT, "wb") as f:
        np.savez_compressed(f, magnitude=spectrum, photos=names)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size // 1024} KB, {spectrum.shape})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
