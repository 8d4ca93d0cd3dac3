"""ImageNet classes by name or number, for `--class` and `deepdream classes`."""

from __future__ import annotations

import difflib

from .errors import SettingsError

#: What tells apart the ImageNet classes that share a name (WordNet's glosses of their synsets).
SAME_NAME = {
    134: "the bird",
    517: "the lifting machine",
    638: "a dancer's or gymnast's leotard",
    639: "a one-piece bathing suit",
}


def described(index: int) -> str:
    """A class's number and name, and what tells it from another class of the same name."""
    name = imagenet_classes()[index]
    return f"{index} {name}" + (f" ({SAME_NAME[index]})" if index in SAME_NAME else "")


def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in index order (package data)."""
    from .backbones.efficientnet_lite2 import imagenet_classes as names

    return names()


def search(word: str = "") -> list[tuple[int, str]]:
    """(index, name) of the classes whose name contains `word` (any case); all for ''."""
    word = word.strip().lower()
    return [(i, name) for i, name in enumerate(imagenet_classes()) if word in name.lower()]


def class_index(text) -> int:
    """The index of a class given by number (0-999) or name (any case; a unique part of a name
    will do). Anything else is a SettingsError naming the closest classes."""
    names = imagenet_classes()
    given = str(text).strip()
    if given.isdigit():
        index = int(given)
        if not 0 <= index < len(names):
            raise SettingsError(
                f"--class {given} is out of range: ImageNet classes are numbered 0 to {len(names) - 1}."
            )
        return index
    lowered = [name.lower() for name in names]
    exact = [i for i, name in enumerate(lowered) if name == given.lower()]
    found = exact or [i for i, name in enumerate(lowered) if given.lower() in name]
    if len(found) == 1:
        return found[0]
    if len(exact) > 1:
        listed = " and ".join(described(i) for i in exact)
        raise SettingsError(
            f"--class {given!r} names {len(exact)} classes: {listed}; give the number of the one you mean."
        )
    if len(found) > 1:
        listed = ", ".join(f"{i} {names[i]}" for i in found[:5]) + (", ..." if len(found) > 5 else "")
        raise SettingsError(
            f"--class {given!r} matches {len(found)} classes ({listed}); give one by "
            f"number or full name (see `deepdream classes {given}`)."
        )
    close = difflib.get_close_matches(given.lower(), list(dict.fromkeys(lowered)), n=3, cutoff=0.6)

    def option(name: str) -> str:  # 'crane' (134 or 517): two classes have that name
        same = [str(i) for i, n in enumerate(lowered) if n == name]
        return repr(names[lowered.index(name)]) + (f" ({' or '.join(same)})" if len(same) > 1 else "")

    hint = f" Did you mean {', '.join(option(c) for c in close)}?" if close else ""
    raise SettingsError(f"Unknown ImageNet class {given!r}.{hint} `deepdream classes WORD` lists the names.")
