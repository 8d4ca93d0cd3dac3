"""MACO paintings (Fel et al., "Unlocking Feature Visualization for Deeper Networks with MAgnitude
Constrained Optimization", NeurIPS 2023), and the transparency map of any painting.

- **Phase only.** A Fourier painting (`render.param`) optimises every coefficient; a MACO painting
  holds each coefficient's magnitude at photos' average spectrum and optimises only its phase. The
  picture keeps photos' balance of coarse and fine structure whatever the steps do, so it cannot
  drift into high-frequency texture the network likes but no photo has: its objects look more like
  photos. The spectrum is computed by `scripts/maco_spectrum.py` from public-domain and CC0 photos,
  in the painter's decorrelated colour space, and shipped in the package (data/maco_spectrum.npz).
- **Phase as a unit vector.** The painter's variables stay the real and imaginary parts of each
  coefficient (as a Fourier painting's), and a MACO picture uses only their direction: no 2-pi wrap
  for the optimiser to cross, and a start of random unit vectors is a random phase.
- **Transparency map.** How much each pixel moved the objective, summed over the steps (the gradient's
  magnitude with respect to the picture, accumulated by the painter for either parameterisation):
  where it is bright, the picture matters to the network; where it is dark, it is background.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

#: The stored spectrum, in the package's data folder.
SPECTRUM_FILE = "maco_spectrum.npz"
#: Adam's step on a MACO painting's phases per unit of --learning-rate (radians, about): the
#: default 0.01 then turns phases by about 0.1 a step, as the Fourier coefficients' 0.01 paints
#: at a similar pace.
PHASE_RATE = 10.0
#: The transparency map is scaled so this percentile of its values is white (a few brightest
#: pixels would otherwise leave the rest dark).
ALPHA_PERCENTILE = 99.0


@functools.cache
def stored_spectrum() -> np.ndarray:
    """The photos' average magnitude spectrum as stored: float32 [3, side, side // 2 + 1], of an
    orthonormal real 2-D FFT of the decorrelated values, zero at DC."""
    with resources.files("deepdream").joinpath("data", SPECTRUM_FILE).open("rb") as f:
        return np.load(f)["magnitude"].astype(np.float32)


def _variance(magnitude: np.ndarray, width: int) -> np.ndarray:
    """Per channel, the variance of the picture an orthonormal real spectrum [3, h, width // 2 + 1]
    makes: the columns a real FFT stores once for two (all but the first, and the last of an even
    width) count twice."""
    power = magnitude**2
    twice = np.ones(power.shape[-1], np.float32) * 2.0
    twice[0] = 1.0
    if width % 2 == 0:
        twice[-1] = 1.0
    return (power * twice).sum(axis=(1, 2)) / (magnitude.shape[1] * width)


def spectrum_for(height: int, width: int) -> np.ndarray:
    """The stored spectrum resized to a height x width picture, [3, height, width // 2 + 1], scaled
    for TensorFlow's irfft2d (which divides by the pixels) so the picture's variance per channel is
    the photos'. Frequencies keep their place as fractions of the sampling rate (the spectrum is
    resized with its zero frequency in the middle, then shifted back)."""
    from PIL import Image

    stored = stored_spectrum()
    side = stored.shape[1]
    out = np.empty((3, height, width // 2 + 1), np.float32)
    for c in range(3):
        centred = Image.fromarray(np.fft.fftshift(stored[c], axes=0), mode="F")
        resized = np.asarray(centred.resize((width // 2 + 1, height), Image.BILINEAR), np.float32)
        out[c] = np.fft.ifftshift(resized, axes=0)
    out[:, 0, 0] = 0.0
    scale = np.sqrt(_variance(stored, side) / np.maximum(_variance(out, width), 1e-12))
    return (out * scale[:, None, None] * np.sqrt(height * width)).astype(np.float32)


def random_phase(rng, shape) -> np.ndarray:
    """A start for the painter's variables [2, 1, ...shape]: unit vectors at uniformly random angles."""
    angle = rng.uniform(-np.pi, np.pi, size=(1,) + tuple(shape)).astype(np.float32)
    return np.stack([np.cos(angle), np.sin(angle)]).astype(np.float32)


def phase_only(spectrum, magnitude):
    """The complex coefficients of a MACO picture: the variables' [2, B, 3, h, w/2+1] directions
    (their phase) at the stored magnitude [1, 3, h, w/2+1]."""
    import tensorflow as tf

    length = tf.sqrt(tf.square(spectrum[0]) + tf.square(spectrum[1])) + 1e-6
    return tf.complex(spectrum[0] / length * magnitude, spectrum[1] / length * magnitude)


def transparency(accumulated: np.ndarray) -> np.ndarray:
    """A transparency map from gradient magnitudes summed per pixel ([h, w] or [B, h, w]): uint8 of
    the same shape, 0 where the least was summed, 255 at and above the `ALPHA_PERCENTILE` (each
    picture of a batch scaled on its own)."""
    a = np.asarray(accumulated, np.float64)
    if a.ndim == 3:
        return np.stack([transparency(one) for one in a])
    low, high = float(a.min()), float(np.percentile(a, ALPHA_PERCENTILE))
    scaled = (a - low) / max(high - low, 1e-12)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
