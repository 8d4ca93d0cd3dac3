"""Colour spaces shared by the modes: luminance and chroma (YCbCr, as JPEG uses it, full range)."""

from __future__ import annotations

import numpy as np

#: RGB -> YCbCr (ITU-R BT.601, full range; Cb and Cr centred on 128).
RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], np.float32)
YCBCR_TO_RGB = np.linalg.inv(RGB_TO_YCBCR).astype(np.float32)
_OFFSET = np.array([0.0, 128.0, 128.0], np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Y of YCbCr (BT.601 weights), [H, W] float32."""
    return np.asarray(rgb, np.float32) @ RGB_TO_YCBCR[0]


def to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ RGB_TO_YCBCR.T + _OFFSET


def from_ycbcr(ycc: np.ndarray) -> np.ndarray:
    return (np.asarray(ycc, np.float32) - _OFFSET) @ YCBCR_TO_RGB.T


def keep_chroma(result: np.ndarray, original: np.ndarray, band: int = 512) -> np.ndarray:
    """`result`'s luminance with `original`'s chroma (Cb, Cr), clipped to [0, 255]; row band by
    row band, in place in a copy of `result`."""
    out = np.array(result, np.float32, copy=True)
    for y0 in range(0, out.shape[0], band):
        y = to_ycbcr(out[y0 : y0 + band])[..., :1]
        chroma = to_ycbcr(original[y0 : y0 + band])[..., 1:]
        out[y0 : y0 + band] = np.clip(from_ycbcr(np.concatenate([y, chroma], axis=-1)), 0, 255)
    return out


def chroma_noise(rgb: np.ndarray) -> float:
    """How much a picture's colour varies from pixel to pixel against its brightness: the mean
    |neighbour difference| of Cb and Cr (averaged) over that of Y. Photos 0.16-0.33; rainbow noise
    (a class painting of colour speckle) 0.6 and more. scripts/bench_look.py and the tests judge
    the look with it."""
    ycc = to_ycbcr(rgb)

    def roughness(c):
        return float(np.mean(np.abs(np.diff(c, axis=0))) + np.mean(np.abs(np.diff(c, axis=1)))) / 2

    return (roughness(ycc[..., 1]) + roughness(ycc[..., 2])) / 2 / max(roughness(ycc[..., 0]), 1e-6)
