"""The painter of paintings from noise, the way lucid makes them: the picture is not its pixels but
the Fourier coefficients of its colour channels in a decorrelated colour space, and every step shows
the network several random views of it (`Robustness`).

- **Fourier basis, scaled by 1/frequency^decay.** Each coefficient is multiplied by 1 / frequency^d,
  so a step of equal size on every coefficient changes coarse structure as much as fine (more, for
  d > 1): gradient ascent on pixels is dominated by the highest frequencies (the network is just as
  sure of pixel noise); in this basis it grows shapes first. Natural pictures have a 1/f spectrum.
- **Decorrelated colour.** The three channels are independent components of ImageNet's colours
  (the square root of their covariance, `COLOR_SQRT`), mapped back to RGB and squashed into range
  by a sigmoid: a step then moves brightness and a few natural hues, not one channel against the
  others (which, in plain RGB, paints rainbow noise).
- **Transformation robustness.** Each step the network sees `views` crops of the picture, from half
  of it to a little more than all of it (mirrored at the edges: lucid's padding), anywhere in it,
  turned by a few degrees and resized to its input; some of them blurred. Only what reads at every
  scale, place and angle, and in coarse shapes too, grows.
- **Adam** on the coefficients (lucid's optimiser), a few hundred steps.
- **Coarse to fine** (`opening`, class paintings): over the first part of the steps the picture is
  seen through a Gaussian low-pass that opens from shapes about 16 pixels across to every
  frequency, so the large shapes are laid out before the fine texture shows. (Adam divides out the
  gradient's size, so the fine coefficients keep moving unseen and appear as it opens; holding them
  still instead kept no more classes' shape: docs/look.md.) A low-pass on the two colour channels
  (`chroma_cutoff`) keeps their detail softer than the brightness's, as in photos.

MACO (`render.maco`) keeps the coefficients' magnitudes at natural photos' and paints the phases only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .maco import PHASE_RATE, phase_only, random_phase, spectrum_for

#: The square root of ImageNet's RGB colour covariance (its principal directions, each scaled by
#: the square root of its variance): decorrelated colour -> RGB, as lucid uses it.
COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
#: Normalised so the largest direction has unit length.
COLOR_MIX = (COLOR_SQRT / np.max(np.linalg.norm(COLOR_SQRT, axis=0))).astype(np.float32)


def spectrum_scale(height: int, width: int, decay: float = 1.0) -> np.ndarray:
    """1 / frequency (frequencies in cycles per pixel; the lowest is 1 / the longer side) for the
    coefficients of a real 2-D FFT of a height x width picture, times sqrt(pixels): [h, w // 2 + 1]."""
    freqs = spectrum_frequency(height, width)
    scale = 1.0 / np.maximum(freqs, 1.0 / max(height, width)) ** decay
    return (scale * math.sqrt(height * width)).astype(np.float32)


#: Coarse to fine (`FourierPainter`'s opening): the low-pass's cutoff at the first step and at the
#: end of the opening, in cycles per pixel (1/32: shapes about 16 pixels across and larger)
OPEN_FROM, OPEN_TO = 1 / 32, 0.75
#: The cutoff of a low-pass that passes everything.
OPEN_NEVER = 1e6


def spectrum_frequency(height: int, width: int) -> np.ndarray:
    """The frequency (cycles per pixel) of each coefficient of a real 2-D FFT: [h, w // 2 + 1]."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy).astype(np.float32)


def opening_cutoff(step: int, steps: int, opening: float) -> float:
    """The low-pass's cutoff at `step` (from 0) of `steps` when it opens over the first `opening` of
    them: geometric from OPEN_FROM to OPEN_TO, then OPEN_NEVER (at opening 0, from the first step)."""
    u = step / (opening * steps) if opening > 0 else 1.0
    return OPEN_FROM * (OPEN_TO / OPEN_FROM) ** u if u < 1.0 else OPEN_NEVER


@dataclass(frozen=True)
class Robustness:
    """The random views the network sees each step: `views` crops of the picture, each a square
    of `min_crop` to `max_crop` of its shorter side (beyond 1 the picture is mirrored at its
    edges: lucid's padding), anywhere in it, turned by up to `degrees` and resized to the network's
    input side `size`. A feature grows only where it reads at every scale, place and angle."""

    views: int = 4
    min_crop: float = 0.5
    max_crop: float = 1.1
    degrees: float = 10.0
    size: int = 224
    #: Views blurred by a Gaussian of up to `blur` pixels (drawn each step): the class must read
    #: in the picture's coarse shapes too, not only in its finest texture.
    blurred: int = 0
    blur: float = 3.0
    #: ... and at least `least_blur` pixels (the Gaussian's sigma is drawn between the two)
    least_blur: float = 0.5
    #: How far toward the picture's edges views are centred: 0, only where the whole crop fits
    #: inside it (the middle is in nearly every view, the edges in few: a painting from noise grows
    #: its subject in the middle); 1, anywhere (mirrored beyond the edges), every part seen about as
    #: often; between, the centres keep (1 - reach) of half a crop from the edges. A class painted
    #: into a photo at 0 pools in one spot; at 1 it comes as small, faint instances all over.
    reach: float = 0.0

    def draw(self, rng, height: int, width: int, where: np.ndarray | None = None) -> np.ndarray:
        """[views, 8] projective transforms (output pixel -> picture pixel), for one step. where: a
        weight map [h, w] (a region): each view is centred on a pixel drawn in proportion to it, so
        the network looks where the painting may change (none: anywhere, uniformly)."""
        out = np.zeros((self.views, 8), np.float32)
        side = min(height, width)
        n = self.size
        for i in range(self.views):
            crop = side * rng.uniform(self.min_crop, self.max_crop)
            s = crop / n
            angle = math.radians(rng.uniform(-self.degrees, self.degrees))
            keep = 1.0 - self.reach  # of half a crop, from the edges
            my, mx = keep * min(crop, height) / 2, keep * min(crop, width) / 2
            if where is None:
                cy = rng.uniform(my, height - my)
                cx = rng.uniform(mx, width - mx)
            else:
                at = int(np.searchsorted(where, rng.uniform(0.0, where[-1]), side="right"))
                y, x = divmod(min(at, height * width - 1), width)
                cy = float(np.clip(y + 0.5, my, height - my))
                cx = float(np.clip(x + 0.5, mx, width - mx))
            a0, a1, b0, b1 = s * math.cos(angle), -s * math.sin(angle), s * math.sin(angle), s * math.cos(angle)
            c = (n - 1) / 2.0
            out[i] = (a0, a1, cx - 0.5 - a0 * c - a1 * c, b0, b1, cy - 0.5 - b0 * c - b1 * c, 0.0, 0.0)
        return out


class FourierPainter:
    """Paints `batch` pictures of height x width that maximise `objective` (features of the views
    -> one value per view, [B * views], picture-major), on `backbone` (computing in `precision`)."""

    def __init__(
        self,
        backbone,
        objective: Callable,
        layers,
        height: int,
        width: int,
        *,
        batch: int = 1,
        learning_rate: float = 0.05,
        decay: float = 1.0,
        robustness: Robustness = Robustness(),
        precision: str = "float32",
        headroom: float = 0.0,
        param: str = "fourier",
        painting_network: bool = False,
        opening: float = 0.0,
        chroma_cutoff: float | None = None,
    ):
        import tensorflow as tf

        self.backbone = backbone
        self.objective = objective
        self.height, self.width, self.batch = height, width, batch
        self.learning_rate = learning_rate * (PHASE_RATE if param == "maco" else 1.0)
        self.robustness = robustness
        self.precision = precision
        # painting_network: the gradient of the backbone's network for class paintings (the same features)
        self.features = backbone.feature_model(list(layers), precision, painting=painting_network)
        frequency = spectrum_frequency(height, width)  # [h, w/2+1]
        scale = spectrum_scale(height, width, decay)[None, None]  # [1, 1, h, w/2+1]
        if chroma_cutoff:  # the two colour channels' detail softened (Fourier only), as in photos
            soft = np.exp(-0.5 * np.square(frequency / chroma_cutoff))
            scale = scale * np.stack([np.ones_like(soft), soft, soft])[None]  # [1, 3, h, w/2+1]
        self.scale = tf.constant(scale.astype(np.float32))
        # coarse to fine (Fourier only): over the first `opening` of the steps the picture is its
        # coefficients through a Gaussian low-pass that opens from OPEN_FROM to OPEN_TO (`opening_cutoff`)
        self.opening = float(opening) if param == "fourier" else 0.0
        self.frequency = tf.constant(frequency[None, None])  # [1, 1, h, w/2+1]
        self.cutoff = tf.Variable(OPEN_NEVER)
        # MACO (`render.maco`): the photos' magnitudes [1, 3, h, w/2+1], x 4 as `pixels` divides by 4
        self.magnitude = tf.constant(4.0 * spectrum_for(height, width)[None]) if param == "maco" else None
        # the gradient's magnitude per pixel summed over the steps: the transparency map
        self.alpha = tf.Variable(tf.zeros((batch, height, width)))
        # a picture to start from (its logit, [1, h, w, 3]) and a weight map of where the painting
        # may change it ([1, h, w, 1]): zeros and ones when painting from noise
        # headroom h: a picture started from (`run(base=...)`) sits in the sigmoid's range
        # [h, 1 - h], stretched back to [0, 1] on the way out (clipped), so its darkest and
        # brightest pixels change as readily as its middle tones (at h = 0 a black pixel sits where
        # the sigmoid is flat, and a painting grows only in the photo's lit parts)
        self.headroom = float(headroom)
        self.base = tf.Variable(tf.zeros((1, height, width, 3)))
        self.weight = tf.Variable(tf.ones((1, height, width, 1)))
        self.mix = tf.constant(COLOR_MIX.T)
        shape = (2, batch, 3, height, width // 2 + 1)
        self.spectrum = tf.Variable(tf.zeros(shape))
        # Adam (Kingma and Ba), written out so that a run starts from a clean state
        self.m, self.v = tf.Variable(tf.zeros(shape)), tf.Variable(tf.zeros(shape))
        self.t = tf.Variable(0.0)
        self.traces = 0
        self._step = tf.function(self._ascent, jit_compile=False, reduce_retracing=True)

    def pixels(self, spectrum):
        """The pictures (RGB in [0, 255], [B, h, w, 3]) that the coefficients [2, B, 3, h, w/2+1] make."""
        import tensorflow as tf

        if self.magnitude is not None:
            coefficients = phase_only(spectrum, self.magnitude)
        else:
            if self.opening:  # coarse to fine: seen through the low-pass
                spectrum = spectrum * tf.exp(-0.5 * tf.square(self.frequency / self.cutoff))[None]
            coefficients = tf.complex(spectrum[0], spectrum[1]) * tf.cast(self.scale, tf.complex64)
        decorrelated = tf.signal.irfft2d(coefficients, fft_length=[self.height, self.width]) / 4.0
        decorrelated = tf.transpose(decorrelated, [0, 2, 3, 1])  # [B, h, w, 3]
        mixed = tf.reshape(tf.reshape(decorrelated, [-1, 3]) @ self.mix, tf.shape(decorrelated))
        out = tf.sigmoid(self.base + self.weight * mixed)
        if self.headroom:
            out = tf.clip_by_value((out - self.headroom) / (1.0 - 2.0 * self.headroom), 0.0, 1.0)
        return out * 255.0

    def _blur_some(self, seen, sigma):
        """The last `blurred` views of each picture blurred by a Gaussian of `sigma` pixels."""
        import tensorflow as tf

        radius = int(math.ceil(3 * self.robustness.blur))
        x = tf.range(-radius, radius + 1, dtype=tf.float32)
        k = tf.exp(-0.5 * tf.square(x / tf.maximum(sigma, 0.3)))
        k = k / tf.reduce_sum(k)
        rows = tf.tile(tf.reshape(k, [-1, 1, 1, 1]), [1, 1, 3, 1])
        cols = tf.tile(tf.reshape(k, [1, -1, 1, 1]), [1, 1, 3, 1])
        views, n = self.robustness.views, self.robustness.size
        seen = tf.reshape(seen, [self.batch, views, n, n, 3])
        sharp, soft = seen[:, : views - self.robustness.blurred], seen[:, views - self.robustness.blurred :]
        soft = tf.reshape(soft, [-1, n, n, 3])
        soft = tf.pad(soft, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
        soft = tf.nn.depthwise_conv2d(soft, rows, [1, 1, 1, 1], "VALID")
        soft = tf.nn.depthwise_conv2d(soft, cols, [1, 1, 1, 1], "VALID")
        soft = tf.reshape(soft, [self.batch, self.robustness.blurred, n, n, 3])
        return tf.reshape(tf.concat([sharp, soft], axis=1), [-1, n, n, 3])

    def _ascent(self, transforms, sigma):
        import tensorflow as tf

        self.traces += 1
        views = self.robustness.views
        n = self.robustness.size
        with tf.GradientTape() as tape:
            tape.watch(self.spectrum)
            picture = self.pixels(self.spectrum)  # [B, h, w, 3]
            rgb = tf.repeat(picture, views, axis=0)  # [B * views, h, w, 3]
            seen = tf.raw_ops.ImageProjectiveTransformV3(
                images=rgb,
                transforms=tf.tile(transforms, [self.batch, 1]),
                output_shape=[n, n],
                fill_value=0.0,
                interpolation="BILINEAR",
                fill_mode="REFLECT",
            )
            if self.robustness.blurred:
                seen = self._blur_some(seen, sigma)
            out = self.features(self.backbone.preprocess(seen))
            out = list(out) if isinstance(out, (list, tuple)) else [out]
            values = tf.cast(self.objective(out), tf.float32)  # [B * views]
            total = tf.reduce_sum(values)
        gradient, drawn = tape.gradient(total, [self.spectrum, picture])
        self.alpha.assign_add(tf.reduce_sum(tf.abs(drawn), axis=-1))
        beta1, beta2 = 0.9, 0.999
        self.t.assign_add(1.0)
        self.m.assign(beta1 * self.m + (1 - beta1) * gradient)
        self.v.assign(beta2 * self.v + (1 - beta2) * tf.square(gradient))
        m_hat = self.m / (1 - tf.pow(beta1, self.t))
        v_hat = self.v / (1 - tf.pow(beta2, self.t))
        self.spectrum.assign_add(self.learning_rate * m_hat / (tf.sqrt(v_hat) + 1e-8))  # ascent
        return total / float(self.batch * views)

    def run(
        self, rng, steps: int, progress: Callable[[int, float], None] | None = None, *, base=None, weight=None
    ) -> np.ndarray:
        """Paint: `steps` Adam steps from small random coefficients drawn from `rng`; returns the
        pictures, float32 RGB [B, h, w, 3] in [0, 255]. progress(step, value) after each step.

        base: a picture to start from instead (RGB [h, w, 3] in [0, 255]): the coefficients start at
        zero and paint what is added to it (in the sigmoid's logit space, so it stays in range).
        weight: [h, w] in [0, 1], where the painting may change the base (a mask)."""
        import tensorflow as tf

        if base is None:  # every picture of a batch starts from the same noise, so a batch paints what one would
            self.base.assign(tf.zeros_like(self.base))
            shape = (2, 1) + tuple(self.spectrum.shape[2:])
            noise = rng.normal(0.0, 0.01, size=shape) if self.magnitude is None else random_phase(rng, shape[2:])
            start = noise.astype(np.float32)
            self.spectrum.assign(np.repeat(start, self.batch, axis=1))
        else:
            base = np.asarray(base, np.float32)
            # in [h, 1 - h] with headroom (see `pixels`), else kept off the sigmoid's asymptotes
            level = (
                self.headroom + (1.0 - 2.0 * self.headroom) * base / 255.0
                if self.headroom
                else np.clip(base / 255.0, 0.004, 0.996)
            )
            self.base.assign(np.log(level / (1.0 - level))[None])
            self.spectrum.assign(tf.zeros_like(self.spectrum))
        self.weight.assign(
            np.ones(self.weight.shape, np.float32)
            if weight is None
            else np.asarray(weight, np.float32)[None, ..., None]
        )
        for variable in (self.m, self.v, self.alpha):
            variable.assign(tf.zeros_like(variable))
        self.t.assign(0.0)
        # views look where the painting may change: centred on a region's pixels, by its weight
        where = None if weight is None or np.min(weight) >= 1.0 else np.cumsum(np.asarray(weight, np.float64).ravel())
        for step in range(steps):
            if self.opening:
                self.cutoff.assign(opening_cutoff(step, steps, self.opening))
            transforms = tf.constant(self.robustness.draw(rng, self.height, self.width, where))
            sigma = tf.constant(
                rng.uniform(self.robustness.least_blur, self.robustness.blur) if self.robustness.blurred else 0.0,
                tf.float32,
            )
            value = self._step(transforms, sigma)
            if progress is not None:
                progress(step + 1, float(value))
        if self.opening:
            self.cutoff.assign(OPEN_NEVER)
        return self.pixels(self.spectrum).numpy()
