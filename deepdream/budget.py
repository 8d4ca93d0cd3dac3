"""How much work a render is, before it runs: pixels x steps over its octaves (a dream, a class
painting) or pixels x iterations over its scales (style transfer), each step at least `STEP_FLOOR`
pixels. The CLI's progress bar counts the same units (its estimate of a long run), and the server
refuses a request over its budget with it."""

from __future__ import annotations

from .render.octaves import octave_sizes
from .render.param import CLASS_DREAM_VIEWS, VIEW_SIZE, class_dream, class_dream_steps
from .settings.specs import split_region

#: What one step costs at the least, in pixels: a step's fixed cost (the network's calls, the
#: transforms, the step rule) is that of about 192 x 192 pixels on the network cheapest per pixel.
#: Measured warm on 2 shared cores (docs/security.md): efficientnet-lite2 takes 24 ms a step at 64 x 64
#: and 27 ms at 128 x 128, against 0.62 us a pixel at 512 x 512 (162 ms): 24 ms is 39,000 pixels' worth.
#: So the budget bounds time, not only pixels: 10,000 steps on 64 x 64 cost as much as on 192 x 192.
STEP_FLOOR = 192 * 192


def dream_work(sizes, steps: int) -> int:
    """Pixel-steps of a dream whose octaves have these (height, width) sizes (each step of an
    octave at least `STEP_FLOOR`)."""
    return sum(max(h * w, STEP_FLOOR) for h, w in sizes) * steps


def painting_work(steps: int, views: int, height: int, width: int) -> int:
    """Pixel-steps of a painting (`render.param`): each step the network sees `views` crops of at
    most 224 x 224 pixels, and the picture itself is made from its coefficients."""
    side = min(VIEW_SIZE, height, width)
    return steps * max(views * side * side + height * width, STEP_FLOOR)


def work(settings, height: int, width: int) -> int:
    """Pixel-steps (pixel-iterations for style transfer) of a render of `settings` on a height x
    width picture (after any --max-side), counting every octave or scale; an upper bound (octaves
    too small for the network, which are skipped, are counted)."""
    if settings.mode == "style":
        scales = (max(1, height >> k) * max(1, width >> k) for k in range(settings.scales))
        return sum(max(pixels, STEP_FLOOR) for pixels in scales) * settings.iterations
    if settings.mode in ("class", "visualize"):
        return painting_work(settings.steps, settings.views, height, width)
    if settings.mode == "zoom":
        return clip_work(settings, height, width)
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


def clip_work(settings, height: int, width: int) -> int:
    """Pixel-steps of a zoom's frames: the first dreamt from scratch, each later one with its
    frame steps and octaves, every schedule at that frame's value (the motion itself is one warp
    a frame, a few pixels' worth)."""
    total = 0
    for index in range(1, settings.frames + 1):
        now = settings.at(index)
        dream = now.dream if index == 1 else now.lighter(now.dream)
        total += work(dream, height, width)
    return total


def described(settings) -> str:
    """'4 octaves of 10 steps' / '1 scale of 100 iterations' / '200 painting steps', for messages."""
    if settings.mode == "zoom":
        first = described(settings.at(1).dream)
        return (
            f"{settings.frames} frames: the first {first}; the later frames' octaves {settings.frame_octaves}, "
            f"steps {settings.frame_steps}"
        )
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
