"""Colour and masks for style transfer: luminance and chroma (`deepdream.colors`) for --preserve-colors, grey
styles, masks as weights in [0, 1], and the coloured noise a texture starts from."""

from __future__ import annotations

import numpy as np

from ..colors import keep_chroma, luminance
from ..errors import InputError
from ..images import LoadedImage


def grey(rgb: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """The luminance as a 3-channel picture; with `like`, its mean and spread matched to like's."""
    y = luminance(rgb)
    if like is not None:
        ref = luminance(like)
        y = (y - y.mean()) * (ref.std() / max(float(y.std()), 1e-3)) + ref.mean()
    return np.repeat(np.clip(y, 0, 255)[..., None], 3, axis=2).astype(np.float32)


def keep_colors(result: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's chroma (as `deepdream dream --preserve-colors`)."""
    return keep_chroma(result, content)


def mask_array(loaded: LoadedImage, name: str = "mask") -> np.ndarray:
    """A mask image as floats in [0, 1] (white = the style's region); an all-black mask is an error."""
    m = luminance(loaded.rgb) / 255.0
    if loaded.alpha is not None:
        m = m * (loaded.alpha.astype(np.float32) / 255.0)
    if float(m.max()) < 0.5:
        raise InputError(f"Mask {name} is empty (no white pixels); paint the region its style should cover white.")
    return np.clip(m, 0, 1).astype(np.float32)


def colour_noise(rng, size: tuple[int, int], like: np.ndarray, spread: float = 0.5) -> np.ndarray:
    """Gaussian noise with the mean and colour covariance of `like` (grey noise for a grey picture),
    at `spread` times its spread: a starting point of the right colours, with no structure."""
    pixels = np.asarray(like, np.float64).reshape(-1, 3)
    mean, cov = pixels.mean(0), np.cov(pixels, rowvar=False) + 1e-6 * np.eye(3)
    noise = rng.standard_normal((size[0] * size[1], 3)) @ np.linalg.cholesky(cov).T * spread + mean
    return np.clip(noise, 0, 255).reshape(size + (3,)).astype(np.float32)


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    w, v = np.linalg.eigh(cov)
    w = np.maximum(w, 1e-6)
    return (v * w ** (-0.5 if inverse else 0.5)) @ v.T


def _moments(picture, chunk: int = 1 << 18) -> tuple[np.ndarray, np.ndarray]:
    """The mean [3] and (biased) covariance [3, 3] of a picture's pixels, in float64, chunk by chunk."""
    p = np.asarray(picture, np.float32).reshape(-1, 3)
    total, outer = np.zeros(3), np.zeros((3, 3))
    for i in range(0, len(p), chunk):
        c = p[i : i + chunk].astype(np.float64)
        total += c.sum(0)
        outer += c.T @ c
    mean = total / max(len(p), 1)
    return mean, outer / max(len(p), 1) - np.outer(mean, mean)


def colour_stats(pictures, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The mean [3] and covariance [3, 3] of the pixels of several pictures, blended by `weights`."""
    weights = [1.0 / len(pictures)] * len(pictures) if weights is None else weights
    mean, second = np.zeros(3), np.zeros((3, 3))
    for picture, w in zip(pictures, weights, strict=False):
        mu, cov = _moments(picture)
        mean += w * mu
        second += w * (cov + np.outer(mu, mu))
    return mean, second - np.outer(mean, mean)


def match_palette(rgb: np.ndarray, mean: np.ndarray, cov: np.ndarray, band: int = 256) -> np.ndarray:
    """`rgb` with its colours' mean and covariance made `mean` and `cov` (an affine map of RGB, so
    its shapes and shading stay): a grey palette makes it grey, a blue one blue. Row band by row band."""
    mu, own = _moments(rgb)
    eye = 1e-2 * np.eye(3)
    a = (_sqrtm(own + eye, inverse=True) @ _sqrtm(cov + eye)).astype(np.float32)
    shift = (mean - mu @ a).astype(np.float32)
    out = np.empty(rgb.shape, np.float32)
    for y0 in range(0, rgb.shape[0], band):
        out[y0 : y0 + band] = np.clip(np.asarray(rgb[y0 : y0 + band], np.float32) @ a + shift, 0, 255)
    return out
