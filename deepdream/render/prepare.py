"""Preparing a dream: the network loaded, the objective built (with its guides' features, its
regions), the mask read and the tile gradient traced, once; `check` does the reading and checking
alone (--dry-run, a batch before it starts)."""

from __future__ import annotations

from ..objectives import CLASS_NEEDS, class_objective
from .dreamer import ClassDreamer, Dreamer, load_mask
from .events import Stage
from .subject import check_subject


def check_classifiers(settings) -> None:
    """--class and --keep-subject on a backbone without ImageNet's classifier: refused before it loads."""
    from ..backbones import check_classifier

    if settings.target_class is not None:
        check_classifier(settings.backbone, CLASS_NEEDS)
    if settings.keep_subject:
        check_subject(settings.backbone)


def check(settings) -> None:
    """What `prepare` checks, without its work (--dry-run, and a batch before any render): the mask
    and the guides decode, the backbone and its weights load, every layer (its channel in range)
    and the class exist on it."""
    from .._tf import quiet_tensorflow
    from ..backbones import load_backbone
    from ..guided import load_guides
    from ..objectives import check_spec, parse_layer_spec, split_region

    if settings.mask is not None:
        load_mask(settings.mask)
    for masks in settings.region_masks().values():
        for region in masks:
            load_mask(region, f"mask {region!r}")
    if settings.guide:
        load_guides([split_region(g)[0] for g in settings.guide])
    check_classifiers(settings)
    quiet_tensorflow()
    net = load_backbone(settings.backbone, settings.weights)
    if settings.target_class is not None:
        class_objective(net, settings.class_name)
    if not settings.auto_layer:
        for spec in settings.layers:
            check_spec(net, parse_layer_spec(spec))


def prepare(settings, *, like=None, progress=None, regions: dict | None = None, knobs=None) -> Dreamer:
    """A Dreamer for `settings` (a DreamSettings): loads the network, builds the objective (and
    the guides' features, once), loads the mask and traces the tile gradient.

    like: the picture to be dreamt, needed only by `--layer auto` (the layer where picture and
    guide match best). progress: receives `Stage` events while this works. regions: name -> mask
    picture for the `WHAT@NAME` objectives, instead of files (a server's uploads: then no region
    is read from a file). knobs: what a clip moves inside the traced gradient (`dreamer.Knobs`:
    the chroma, the weights of its layer schedule's layers), set before each run."""
    from ..backbones import load_backbone
    from ..errors import SettingsError
    from ..images import as_loaded
    from ..objectives import LayerSpec, from_specs, parse_layer_spec, split_region

    settings.check_plain()  # a schedule is a clip's: its frames' dreams are plain

    def stage(text: str) -> None:
        if progress is not None:
            progress(Stage(text))

    from .._tf import quiet_tensorflow
    from ..guided import best_guide_layer, fit_guides, guide_layer_specs, guide_name, load_guides
    from ..guided import guided as guided_objective
    from ..guided import log as guided_log

    mask = load_mask(settings.mask) if settings.mask is not None else None
    given = [split_region(g)[0] for g in settings.guide]  # the guides, without their regions
    guides = load_guides(given) if given else None  # each file read once
    check_classifiers(settings)
    stage(f"loading {settings.backbone}")
    quiet_tensorflow()
    net = load_backbone(settings.backbone, settings.weights)
    arrays = None
    if guides:
        stage("computing the guide's features")
        arrays = fit_guides(guides, net, settings.guide_size, settings.tile_size, [guide_name(g) for g in given])
    if settings.region_masks():
        from .regions import prepare_regional

        if settings.auto_layer:
            raise SettingsError(
                "--layer auto picks one layer for the whole picture; name the layers of a dream with regions."
            )
        stage("preparing the network")
        return prepare_regional(settings, net, mask, guides, arrays, regions)
    if guides:
        layers = list(settings.layers)
        if settings.auto_layer:
            if like is None:
                raise SettingsError("--layer auto needs the picture to be dreamt; pass it as `like`.")
            layers = [best_guide_layer(net, as_loaded(like), arrays, settings.tile_size, settings.seed)]
            guided_log.info("guided at layer %s (auto)", layers[0])
            settings = settings.replace(layers=tuple(layers))
        objective = guided_objective(net, arrays, guide_layer_specs(net, layers), seed=settings.seed)
    elif settings.target_class is not None:
        if knobs is not None and knobs.classes:
            objective = knobs.class_objective(net)
        else:
            objective = class_objective(net, settings.class_name)
        from .param import class_dream

        if class_dream(settings):
            stage("preparing the network")
            return ClassDreamer(settings, net, objective, mask, knobs=knobs)
        objective = objective + from_specs(net, [parse_layer_spec(s) for s in settings.layers], settings.score)
    else:
        specs = [parse_layer_spec(s) for s in settings.layers] or [
            LayerSpec(name, None, weight) for name, weight in net.default_layers
        ]
        if knobs is not None and knobs.specs:
            objective = from_specs(net, knobs.specs, settings.score, weights=knobs.weights)
        else:
            objective = from_specs(net, specs, settings.score)
    stage("preparing the network")
    return Dreamer(settings, net, objective, mask, knobs=knobs)
