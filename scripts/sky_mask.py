"""Make the docs' region masks from samples/rocket.jpg: rocket_sky.png (white: the evening sky,
blue and smooth) and rocket_ground.png (its inverse: towers, rocket, ground). A person would paint
them with a brush (the studio's region editor does); this makes the same kind of mask repeatably.

    python scripts/sky_mask.py            # writes samples/rocket_sky.png and samples/rocket_ground.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage as ndi

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sky_mask(rgb: np.ndarray) -> np.ndarray:
    """True where the picture is sky: blue over red by 20 levels, locally smooth (the standard
    deviation of brightness over 9x9 pixels under 6 levels), above the lowest fifth, in patches of
    at least 2000 pixels."""
    rgb = rgb.astype(np.float32)
    red, blue = rgb[..., 0], rgb[..., 2]
    brightness = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = ndi.uniform_filter(brightness, 9)
    spread = np.sqrt(np.maximum(ndi.uniform_filter(brightness**2, 9) - mean**2, 0))
    sky = (blue - red > 20) & (spread < 6)
    sky[int(rgb.shape[0] * 0.8) :] = False
    sky = ndi.binary_closing(ndi.binary_opening(sky, iterations=2), iterations=4)
    labels, count = ndi.label(sky)
    sizes = ndi.sum(sky, labels, range(1, count + 1))
    return np.isin(labels, 1 + np.flatnonzero(sizes > 2000))


def main() -> None:
    rgb = np.asarray(Image.open(SAMPLES / "rocket.jpg").convert("RGB"))
    sky = Image.fromarray((sky_mask(rgb) * 255).astype(np.uint8))
    sky.save(SAMPLES / "rocket_sky.png", optimize=True)
    ImageOps.invert(sky).save(SAMPLES / "rocket_ground.png", optimize=True)
    print(f"wrote {SAMPLES / 'rocket_sky.png'} and {SAMPLES / 'rocket_ground.png'}")


if __name__ == "__main__":
    main()
