"""Optical flow between raw frames (OpenCV), warping along it, and the forward-backward
consistency check that finds pixels the flow cannot carry (disoccluded, or out of the frame)."""

from __future__ import annotations

import numpy as np


def grey(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb, np.uint8), cv2.COLOR_RGB2GRAY)


def optical_flow(source: np.ndarray, target: np.ndarray, method: str = "dis") -> np.ndarray:
    """Flow [H, W, 2] (dx, dy) from `source` to `target` (uint8 RGB frames): source's pixel x is
    seen in target at x + flow(x). method: dis (DIS, medium preset) or farneback."""
    import cv2

    a, b = grey(source), grey(target)
    if method == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return dis.calc(a, b, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(
            a, b, None, pyr_scale=0.5, levels=4, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0
        )
    raise ValueError(f"unknown flow method {method!r}")


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs, ys


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`image` sampled at x + flow(x) (bilinear, edges replicated): with the backward flow (current
    -> previous) this carries the previous frame's pixels to where they are now."""
    import cv2

    xs, ys = _grid(*flow.shape[:2])
    return cv2.remap(
        np.ascontiguousarray(image),
        xs + flow[..., 0],
        ys + flow[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def consistency(backward: np.ndarray, forward: np.ndarray, soften: int = 3) -> np.ndarray:
    """Float32 [H, W] in [0, 1]: 1 where the backward flow (current -> previous) and the forward flow
    (previous -> current) agree, 0 where they do not (a disoccluded pixel has no past) or where the
    backward flow leaves the frame. The test is Sundaram, Brox and Keutzer's (2010), as in Ruder et
    al.'s artistic videos: |b + f(x + b)|^2 <= 0.01 (|b|^2 + |f(x + b)|^2) + 0.5. The edge of what
    is carried is softened over `soften` pixels so no seam shows."""
    import cv2

    height, width = backward.shape[:2]
    there = warp(forward, backward)  # the forward flow at where each pixel was
    total = backward + there
    error = (total**2).sum(-1)
    bound = 0.01 * ((backward**2).sum(-1) + (there**2).sum(-1)) + 0.5
    xs, ys = _grid(height, width)
    px, py = xs + backward[..., 0], ys + backward[..., 1]
    inside = (px >= 0) & (px <= width - 1) & (py >= 0) & (py <= height - 1)
    mask = ((error <= bound) & inside).astype(np.float32)
    if soften > 1:
        mask = np.minimum(mask, cv2.blur(mask, (soften, soften)))  # only shrinks: never carries more
    return mask


def flow_fields(raw: np.ndarray, previous_raw: np.ndarray, method: str = "dis") -> tuple[np.ndarray, np.ndarray]:
    """What carrying needs from two raw frames alone: the backward flow (raw -> previous_raw) and
    where it is consistent with the forward one (`consistency`). It needs no dream, so it can be
    computed ahead, while the frame before is dreamt."""
    backward = optical_flow(raw, previous_raw, method)
    forward = optical_flow(previous_raw, raw, method)
    return backward, consistency(backward, forward)


def carry(
    raw: np.ndarray,
    previous_raw: np.ndarray,
    previous_dreamt: np.ndarray,
    blend: float,
    method: str = "dis",
    fields: tuple | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The start of a frame's dream: raw + blend x (the previous frame's dreamt detail, warped along
    the backward flow, where the flow is consistent). fields: `flow_fields(raw, previous_raw)`
    when computed already. Returns (start float32 RGB in [0, 255], mask)."""
    backward, mask = fields if fields is not None else flow_fields(raw, previous_raw, method)
    detail = previous_dreamt.astype(np.float32) - previous_raw.astype(np.float32)
    carried = warp(detail, backward) * (blend * mask)[..., None]
    return np.clip(raw.astype(np.float32) + carried, 0.0, 255.0), mask
