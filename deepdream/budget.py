"""How much work a render is, before it runs: pixels x steps over its octaves (a dream, a class
painting) or pixels x iterations over its scales (style transfer). The CLI's progress bar counts the
same units (its estimate of a long run), and the server refuses a request over its budget with it."""

from __future__ import annotations

from .render.octaves import octave_sizes
from .render.param import CLASS_DREAM_VIEWS, VIEW_SIZE, class_dream, class_dream_steps
from .settings.specs import split_region


def dream_work(sizes, steps: int) -> int:
    """Pixel-steps of a dream whose octaves have these (height, width) sizes."""
    return sum(h * w for h, w in sizes) * steps


def painting_work(steps: int, views: int, height: int, width: int) -> int:
    """Pixel-steps of a painting (`render.param`): each step the network sees `views` crops of at
    most 224 x 224 pixels, and the picture itself is made from its coefficients."""
    side = min(VIEW_SIZE, height, width)
    return steps * (views * side * side + height * width)


def work(settings, height: int, width: int) -> int:
    """Pixel-steps (pixel-iterations for style transfer) of a render of `settings` on a height x
    width picture (after any --max-side), counting every octave or scale; an upper bound (octaves
    too small for the network, which are skipped, are counted)."""
    if settings.mode == "style":
        return sum(max(1, height >> k) * max(1, width >> k) for k in range(settings.scales)) * settings.iterations
    if settings.mode in ("class", "visualize"):
        return painting_work(settings.steps, settings.views, height, width)
    painting = painting_work(class_dream_steps(settings), CLASS_DREAM_VIEWS, height, width)
    if class_dream(settings):
        return painting
    dreaming = dream_work(octave_sizes(height, width, settings.octaves, settings.octave_scale, 1), settings.steps)
    if settings.mode == "dream" and settings.region_masks():
        # a class painted into its region first; then one gradient per region of the layers or guides
        masks = {split_region(s)[1] for s in (settings.guide or settings.layers)}
        dreamt = bool(settings.guide or settings.layers or settings.target_class is None)
        return (painting if settings.target_class is not None else 0) + dreaming * max(1, len(masks)) * dreamt
    return dreaming


def described(settings) -> str:
    """'4 octaves of 10 steps' / '1 scale of 100 iterations' / '200 painting steps', for messages."""
    if settings.mode in ("class", "visualize"):
        return f"{settings.steps} painting step{'s' * (settings.steps != 1)}"
    if class_dream(settings):
        return f"{class_dream_steps(settings)} painting steps"
    if settings.mode == "style":
        return (
            f"{settings.scales} scale{'s' * (settings.scales != 1)} of {settings.iterations} "
            f"iteration{'s' * (settings.iterations != 1)}"
        )
    return (
        f"{settings.octaves} octave{'s' * (settings.octaves != 1)} of {settings.steps} "
        f"step{'s' * (settings.steps != 1)}"
    )
