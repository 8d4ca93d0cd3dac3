"""How much work a render is, before it runs: pixels x steps over its octaves (a dream, a class
painting) or pixels x iterations over its scales (style transfer). The CLI's progress bar counts the
same units (its estimate of a long run), and the server refuses a request over its budget with it."""

from __future__ import annotations

from .render.octaves import octave_sizes


def dream_work(sizes, steps: int) -> int:
    """Pixel-steps of a dream whose octaves have these (height, width) sizes."""
    return sum(h * w for h, w in sizes) * steps


def work(settings, height: int, width: int) -> int:
    """Pixel-steps (pixel-iterations for style transfer) of a render of `settings` on a height x
    width picture (after any --max-side), counting every octave or scale; an upper bound (octaves
    too small for the network, which are skipped, are counted)."""
    if settings.mode == "style":
        return sum(max(1, height >> k) * max(1, width >> k) for k in range(settings.scales)) * settings.iterations
    return dream_work(octave_sizes(height, width, settings.octaves, settings.octave_scale, 1), settings.steps)


def described(settings) -> str:
    """'4 octaves of 10 steps' / '1 scale of 100 iterations', for messages."""
    if settings.mode == "style":
        return (f"{settings.scales} scale{'s' * (settings.scales != 1)} of {settings.iterations} "
                f"iteration{'s' * (settings.iterations != 1)}")
    return (f"{settings.octaves} octave{'s' * (settings.octaves != 1)} of {settings.steps} "
            f"step{'s' * (settings.steps != 1)}")
