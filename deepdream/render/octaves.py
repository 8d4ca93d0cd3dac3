"""Octaves: the image is dreamt from its smallest scale up, and the detail made at each scale is
carried to the next (as in Google's original DeepDream notebook), so the result keeps the full
resolution's sharpness while patterns grow at every scale."""

from __future__ import annotations


def octave_sizes(height: int, width: int, octaves: int, scale: float, min_size: int) -> list[tuple[int, int]]:
    """Sizes of the octaves, smallest first, ending with (height, width). Octaves whose shorter side
    would fall below min_size are left out."""
    sizes = []
    for k in range(octaves - 1, 0, -1):
        h, w = round(height / scale**k), round(width / scale**k)
        if min(h, w) >= min_size and (h, w) != (height, width):
            sizes.append((h, w))
    sizes.append((height, width))
    return sizes


def resize(image, size: tuple[int, int]):
    """Resize a [H, W, C] tensor: area averaging to shrink, bilinear to enlarge."""
    import tensorflow as tf

    if tuple(int(s) for s in image.shape[:2]) == tuple(size):
        return image
    shrinking = size[0] * size[1] < int(image.shape[0]) * int(image.shape[1])
    method = "area" if shrinking else "bilinear"
    return tf.image.resize(image, size, method=method)
