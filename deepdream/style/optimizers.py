"""The minimisers: L-BFGS in float32 with a bounded history, and Adam.

SciPy's L-BFGS-B keeps float64 copies of the picture, its bounds and its history; at 16 megapixels
(48 M values) that passed 13 GiB. This L-BFGS keeps every vector in float32 and at most `history`
(s, y) pairs, as many as fit HISTORY_BYTES (3 to 10), recycling their buffers; the two-loop
recursion updates the direction in place (BLAS axpy), so an iteration makes no picture-sized
temporaries beyond the trial point and its gradient. Bounds (the backbone's
valid range) are kept by projection: the search direction ignores the gradient of values held at a
bound, and every trial point is clipped to the range. A backtracking (Armijo) line search takes the
full quasi-Newton step when it lowers the loss enough, else halves it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

#: The most memory the L-BFGS history may take, in bytes (each pair is two picture-sized arrays).
HISTORY_BYTES = 1 << 30
#: The fewest and the most (s, y) pairs kept.
MIN_HISTORY, MAX_HISTORY = 3, 10

Report = Callable[[int, dict, np.ndarray], None]


def dot(a: np.ndarray, b: np.ndarray, chunk: int = 1 << 20, minus: np.ndarray | None = None) -> float:
    """sum(a * b) (or sum(a * (b - minus))) of float32 arrays, accumulated in float64 chunk by chunk."""
    a, b = a.reshape(-1), b.reshape(-1)
    c = None if minus is None else minus.reshape(-1)
    total = 0.0
    for i in range(0, a.size, chunk):
        part = b[i : i + chunk] if c is None else b[i : i + chunk] - c[i : i + chunk]
        total += float(np.dot(a[i : i + chunk], part))
    return total


def history_size(values: int) -> int:
    """How many (s, y) pairs L-BFGS keeps for a picture of `values` float32 values."""
    return int(np.clip(HISTORY_BYTES // max(1, 8 * values), MIN_HISTORY, MAX_HISTORY))


def _blocked(grad: np.ndarray, x: np.ndarray, low, high) -> np.ndarray:
    """Where a value sits at a bound and the gradient pushes it further out."""
    return ((x <= low) & (grad > 0)) | ((x >= high) & (grad < 0))


def _axpy(a: float, x: np.ndarray, y: np.ndarray) -> None:
    """y += a * x in place, with no temporary (BLAS saxpy on the flat float32 arrays)."""
    from scipy.linalg.blas import saxpy

    out = saxpy(x.reshape(-1), y.reshape(-1), a=a)
    assert np.shares_memory(out, y)


def _direction(g: np.ndarray, blocked: np.ndarray, pairs, first_step: float) -> np.ndarray:
    """The search direction: -H g on the free values (two-loop recursion), zero on the blocked
    ones; without history, the gradient scaled to a mean step of `first_step`."""
    d = np.where(blocked, np.float32(0), g)
    if pairs:
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * dot(s, d)
            _axpy(-a, y, d)
            alphas.append(a)
        s, y, _ = pairs[-1]
        d *= np.float32(dot(s, y) / max(dot(y, y), 1e-30))
        for (s, y, rho), a in zip(pairs, reversed(alphas), strict=False):
            _axpy(a - rho * dot(y, d), s, d)
        d[blocked] = 0
    else:
        d *= np.float32(first_step / max(float(np.mean(np.abs(d))), 1e-30))
    np.negative(d, out=d)
    return d


def minimise_lbfgs(
    loss: Callable[[np.ndarray], tuple[dict, np.ndarray]],
    x0: np.ndarray,
    iterations: int,
    report: Report,
    *,
    low=-np.inf,
    high=np.inf,
    first_step: float = 1.0,
    history: int | None = None,
    max_halvings: int = 6,
) -> np.ndarray:
    """Minimise loss(x) -> (terms with 'total', gradient) from x0 within [low, high], for `iterations`
    iterations (each one line search along the quasi-Newton direction; report(i, terms, x) after
    each). first_step: the mean absolute change of the first (gradient) step. Stops early when no
    step lowers the loss. A float32 x0 is taken over (clipped in place), not copied."""
    low = np.asarray(low, np.float32)
    high = np.asarray(high, np.float32)
    x = np.asarray(x0, np.float32)
    x = np.clip(x, low, high, out=x if x is x0 and x.flags.writeable else None)  # x0 is the optimiser's now
    m = history or history_size(x.size)
    terms, g = loss(x)
    f = terms["total"]
    pairs: deque = deque()  # (s, y, 1 / s.y), oldest first
    for it in range(1, iterations + 1):
        blocked = _blocked(g, x, low, high)
        found = False
        for _attempt in range(2):  # the quasi-Newton direction; if it fails, the plain gradient
            d = _direction(g, blocked, pairs, first_step)
            slope = dot(g, d)
            if slope >= 0:
                pairs.clear()
                continue
            # Line search: full step, halved until the loss falls enough.
            step = 1.0
            for _ in range(max_halvings + 1):
                x_new = np.float32(step) * d
                x_new += x
                np.clip(x_new, low, high, out=x_new)
                terms_new, g_new = loss(x_new)
                if terms_new["total"] <= f + 1e-4 * dot(g, x_new, minus=x):
                    found = True
                    break
                x_new = g_new = None  # freed before the next, shorter try
                step *= 0.5
            if found:
                moved = np.subtract(x_new, x, out=d)  # d's buffer becomes the step taken
                break
            del d
            if not pairs:
                break
            pairs.clear()  # the history misleads: start again from the gradient
        if not found:
            break  # no step lowers the loss: as low as it gets from here
        # Curvature pair: the oldest pair makes room first, its y buffer recycled.
        if len(pairs) >= m:
            _, y, _ = pairs.popleft()
        else:
            y = np.empty_like(x)
        np.subtract(g_new, g, out=y)
        sy = dot(moved, y)
        if sy > 1e-10 * dot(y, y):
            pairs.append((moved, y, 1.0 / sy))
        del moved, y
        x, g, f, terms = x_new, g_new, terms_new["total"], terms_new
        report(it, terms, x)
    return x


def minimise_adam(
    loss: Callable[[np.ndarray], tuple[dict, np.ndarray]],
    x0: np.ndarray,
    iterations: int,
    learning_rate: float,
    report: Report,
    *,
    low=-np.inf,
    high=np.inf,
) -> np.ndarray:
    """Adam (Kingma and Ba) with step `learning_rate` (model-space units), clipped to [low, high]."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    x = np.clip(np.asarray(x0, np.float32), low, high).astype(np.float32)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, iterations + 1):
        terms, g = loss(x)
        m *= b1
        m += (1 - b1) * g
        g *= g
        v *= b2
        v += (1 - b2) * g
        del g
        step = np.sqrt(v / (1 - b2**t))
        step += eps
        np.divide(m, step, out=step)
        step *= np.float32(learning_rate / (1 - b1**t))
        x -= step
        del step
        np.clip(x, low, high, out=x)
        report(t, terms, x)
    return x
