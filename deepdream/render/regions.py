"""Regional dreams: each objective where its own mask is white, in one run.

`-l block2b_expand@ground.png --class "golden retriever@sky.png"` paints the class into the sky and
dreams swirls on the ground. Objectives are grouped by region (the objectives of one mask are summed;
those with none act everywhere); each group's gradient is taken over the whole picture, tile by
tile as any dream's, and normalised over its own region, so every region dreams at full strength
whatever its objective's scale; the step is their sum, each weighted by its feathered mask (where
regions overlap, their average), so the borders blend with no seam. A class is painted first, into
its region, the way `dream --class` paints one (`ClassDreamer`), then the layers and guides dream on
top in theirs.
"""

from __future__ import annotations

import numpy as np

from .dreamer import ClassDreamer, Dreamer, fit_mask, load_mask, octave_loop

#: Mask edges are feathered by a Gaussian of this share of the picture's shorter side, so regions
#: blend rather than meet at a line.
FEATHER = 0.02


def feathered(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The mask at `size`, its edges softened by a Gaussian of FEATHER x the shorter side."""
    from scipy.ndimage import gaussian_filter

    fitted = fit_mask(mask, size)
    return np.clip(gaussian_filter(fitted, FEATHER * min(size)), 0.0, 1.0).astype(np.float32)


class RegionalGradient:
    """Several tiled gradients, each acting in its own region: what `octave_loop` steps with,
    in place of one `TiledGradient` (same `ascent_step`)."""

    def __init__(self, parts: list):
        """parts: [(TiledGradient, mask [H, W] in [0, 1] or None: everywhere)]."""
        self.parts = parts
        first = parts[0][0]
        self.backbone, self.precision, self.grid = first.backbone, first.precision, first.grid
        self._masks: dict = {}

    @property
    def traces(self) -> int:
        return sum(tiled.traces for tiled, _ in self.parts)

    def _regions(self, height: int, width: int):
        """Each part's mask at this size ([H, W, 1], None for everywhere), divided by how many
        regions cover each pixel where more than one does."""
        import tensorflow as tf

        key = (height, width)
        if key not in self._masks:
            masks = [np.ones((height, width), np.float32) if m is None else feathered(m, key) for _, m in self.parts]
            cover = np.maximum(1.0, np.sum(masks, axis=0))
            self._masks = {key: [tf.constant((m / cover)[..., None]) for m in masks]}
        return self._masks[key]

    def ascent_step(self, image, params, *, step, low, high, mask=None):
        """One step under `params` (`transforms.StepParams`): each part's gradient scaled so its
        mean change over its own region is `step`, weighted by its region, summed (times `mask`),
        added and clipped; (image, summed value)."""
        import tensorflow as tf

        height, width = int(image.shape[0]), int(image.shape[1])
        delta, value = None, 0.0
        for (tiled, _), region in zip(self.parts, self._regions(height, width), strict=False):
            gradient, part = tiled(image, params)
            weight = tf.reduce_sum(region) * 3.0
            magnitude = tf.reduce_sum(tf.abs(gradient) * region) / tf.maximum(weight, 1e-8)
            term = gradient * region * (step / tf.maximum(magnitude, 1e-8))
            delta = term if delta is None else delta + term
            value += part
        if mask is not None:
            delta = delta * mask
        return tf.clip_by_value(image + delta, low, high), value


class RegionalDreamer(Dreamer):
    """A prepared regional dream: the class (if any) painted into its region, then the other
    objectives' groups dreamt in theirs (`RegionalGradient`)."""

    def __init__(self, settings, backbone, groups: list, mask=None, painted=None, regions: dict | None = None):
        """groups: [(objective, mask name or None)] of the layers and guides; painted: (class
        objective, mask name or None) or None. regions: name -> mask picture; None: names are files."""

        def read(name):
            from ..errors import SettingsError

            if regions is None:
                return load_mask(name, f"mask {name!r}")
            if name not in regions:
                raise SettingsError(f"No mask named {name!r} was given for a region.")
            return load_mask(regions[name], f"mask {name!r}")

        self._setup(settings, backbone, groups[0][0] if groups else painted[0], mask)
        self.painter = None
        if painted is not None:
            objective, region = painted
            self.painter = ClassDreamer(settings, backbone, objective)
            self.painter.region = None if region is None else read(region)
        self.tiled = None
        if groups:
            parts = []
            for objective, region in groups:
                parts.append((self.tiled_gradient(objective), None if region is None else read(region)))
            self.tiled = RegionalGradient(parts)

    @property
    def traces(self) -> int:
        return (self.tiled.traces if self.tiled is not None else 0) + (
            self.painter.traces if self.painter is not None else 0
        )

    def render(self, rgb: np.ndarray, *, rng, mask=None, progress=None) -> np.ndarray:
        out = rgb
        if self.painter is not None:
            region = self.painter.region
            where = mask if region is None else feathered(region, rgb.shape[:2]) * (1.0 if mask is None else mask)
            out = self.painter.render(out, rng=rng, mask=where, progress=progress)
        if self.tiled is not None:
            settings = self.settings
            out = octave_loop(
                self.tiled,
                out,
                octaves=settings.octaves,
                octave_scale=settings.octave_scale,
                steps=settings.steps,
                step_size=settings.step_size,
                rng=rng,
                transforms=self.transforms,
                mask=mask,
                progress=progress,
            )
        return out


def prepare_regional(settings, net, mask, guides, arrays, regions: dict | None = None):
    """The RegionalDreamer of settings whose objectives carry regions (`WHAT@MASK`): layers grouped
    by mask (none: everywhere; none named: the backbone's own, everywhere), each guide its own
    group, the class painted first. guides/arrays: the loaded guides and their fitted arrays;
    regions: name -> mask picture (None: the names are files)."""
    from ..guided import guide_layer_specs
    from ..guided import guided as guided_objective
    from ..objectives import LayerSpec, class_objective, from_specs, parse_layer_spec, split_region

    groups: dict = {}
    if arrays:
        specs = guide_layer_specs(net, list(settings.layers))
        for given, array in zip(settings.guide, arrays, strict=False):
            region = split_region(given)[1]
            groups.setdefault(region, []).append(guided_objective(net, [array], specs, seed=settings.seed))
    else:
        specs = [parse_layer_spec(s) for s in settings.layers]
        if not specs and settings.target_class is None:
            specs = [LayerSpec(name, None, weight) for name, weight in net.default_layers]
        for spec in specs:
            groups.setdefault(spec.mask, []).append(
                from_specs(net, [LayerSpec(spec.name, spec.channel, spec.weight)], settings.score)
            )
    painted = None
    if settings.target_class is not None:
        painted = (class_objective(net, settings.class_name), split_region(settings.target_class)[1])
    parts = [(sum(terms[1:], terms[0]), region) for region, terms in groups.items()]
    return RegionalDreamer(settings, net, parts, mask, painted, regions)
