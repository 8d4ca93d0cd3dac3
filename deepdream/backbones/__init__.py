"""The backbone registry: each network is a module with `NAME`, `DESCRIPTION`, `CLASSIFIER`
(whether it ends in ImageNet's classifier), `load(weights)`, `weights_status()` and `claims(path)`
(whether a file holds its weights, by content; with `WEIGHTS_FORMAT`, what such a file is);
`load_backbone` is the one way the rest of deepdream gets a network. Adding a network is one module
and one line in `_MODULES`."""

from __future__ import annotations

import importlib

from ..errors import SettingsError, suggest
from .base import Backbone, LayerInfo
from .files import WeightsStatus

#: name -> module (imported lazily: importing TensorFlow is slow, and `deepdream --help` need not).
_MODULES = {
    "vgg16": "deepdream.backbones.vgg16",
    "inceptionv3": "deepdream.backbones.inceptionv3",
    "googlenet": "deepdream.backbones.googlenet",
    "efficientnet-lite2": "deepdream.backbones.efficientnet_lite2",
}

_loaded: dict[tuple[str, str | None], Backbone] = {}


def names() -> list[str]:
    return list(_MODULES)


def check_name(name: str) -> None:
    """A SettingsError naming the valid backbones if `name` is none of them (nothing is imported)."""
    if name not in _MODULES:
        raise SettingsError(
            f"Unknown backbone {name!r}.{suggest(name, _MODULES)} Valid backbones: {', '.join(_MODULES)}."
        )


def module(name: str):
    """The module of backbone `name`, or a SettingsError naming the valid ones."""
    check_name(name)
    return importlib.import_module(_MODULES[name])


def check_classifier(name: str, what: str) -> None:
    """A SettingsError (`what` needs the classifier) unless backbone `name` ends in ImageNet's
    classifier: known from its module, before the network (or TensorFlow) loads."""
    if not module(name).CLASSIFIER:
        with_one = [n for n in _MODULES if module(n).CLASSIFIER]
        raise SettingsError(f"{what}: use --backbone {' or '.join(with_one)} ({name} has none).")


def load_backbone(name: str, weights: str | None = None) -> Backbone:
    """Load (once per process, then reuse) backbone `name`, from `weights` if given (which network is
    the default is the settings' to say: `DreamSettings.default("backbone")`)."""
    check_name(name)  # before TensorFlow starts
    key = (name, None if weights is None else str(weights))
    if key not in _loaded:
        from .._tf import quiet_tensorflow

        quiet_tensorflow()  # before the network's module imports TensorFlow: no start-up chatter
        _loaded[key] = module(name).load(weights)
    return _loaded[key]


def weights_status(name: str) -> WeightsStatus:
    return module(name).weights_status()


__all__ = [
    "Backbone",
    "LayerInfo",
    "WeightsStatus",
    "names",
    "check_name",
    "check_classifier",
    "module",
    "load_backbone",
    "weights_status",
]
