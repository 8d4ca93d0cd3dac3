"""`deepdream weights`: which file each backbone needs and where it is (`describe`), which backbone a
file is for, told by its content (`identify`), and adding a file to the user weights folder (`add`),
checked by loading it. Above the backbone registry (it asks each network); where files are found and
downloaded is `files.py`, below it, whose names are importable from here too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import WeightsError
from . import module, names
from .files import (
    DOWNLOAD_TIMEOUT,
    HDF5_SIGNATURE,
    WeightsFile,
    WeightsStatus,
    _explicit,
    _writable,
    downloads_off,
    file_digest,
    file_kind,
    find,
    keras_cache_dir,
    missing_message,
    offline,
    resolve,
    status,
    user_weights_dir,
)


@dataclass(frozen=True)
class WeightsReport:
    """What `deepdream weights` says about one backbone's weights file."""

    backbone: str
    filename: str
    available: bool
    path: Path | None  # the file in use: found in a folder, or embedded
    embedded: bool  # installed with deepdream (not looked for in folders)
    looked_in: tuple[Path, ...]  # the folders looked in, in order
    expected_size: int | None  # bytes of the published file, when known
    expected_hash: str | None  # its md5 (32 hex digits) or sha256 (64), when known
    how: str  # how to get it
    size: int | None = None  # of the file in use
    sha256: str | None = None  # of the file in use


def describe(backbone: str, digest: bool = True) -> WeightsReport:
    """Which file backbone needs, where it is (or is looked for), and how to get it.

    digest: compute the SHA-256 of the file in use (about 0.3 s per 100 MB).
    """
    mod = module(backbone)
    spec = getattr(mod, "WEIGHTS", None)
    if spec is None:  # embedded (VGG16): its module says where its file is
        state = mod.weights_status()
        path = Path(state.where) if state.available and Path(state.where).is_file() else None
        report = WeightsReport(
            backbone,
            path.name if path else "",
            path is not None,
            path,
            True,
            (),
            None,
            None,
            "installed with deepdream" if path else state.where,
        )
    else:
        path = find(spec)
        if spec.how:
            how = spec.how
        elif spec.download:
            how = (
                f"downloaded on first use from {spec.url} (unless DEEPDREAM_OFFLINE is set), "
                f"or `deepdream weights add FILE` for a copy you have"
            )
        else:
            how = f"get it from {spec.url} and run `deepdream weights add FILE`"
        report = WeightsReport(
            backbone,
            spec.filename,
            path is not None,
            path,
            False,
            (user_weights_dir(), keras_cache_dir()),
            spec.size,
            spec.md5_or_sha,
            how,
        )
    if path is not None:
        report = replace(report, size=path.stat().st_size, sha256=file_digest(path) if digest else None)
    return report


@dataclass(frozen=True)
class Added:
    """What `deepdream weights add` did."""

    backbone: str
    path: Path  # where the file now is
    action: str  # "added", "replaced" (a different file was there) or "unchanged" (the same was)
    size: int
    sha256: str
    warnings: tuple[str, ...] = ()


def _unknown_file(path) -> WeightsError:
    kinds = ", ".join(f"{getattr(module(name), 'WEIGHTS_FORMAT', 'weights')} ({name})" for name in names())
    return WeightsError(f"'{path}' is not a weights file deepdream knows: it is none of {kinds}.")


def identify(path) -> str:
    """The backbone a weights file is for, told by its content (not its name): the first backbone
    of the registry whose module `claims` it. Each claim is a quick look (file signature, layer
    names, shapes); `add` checks the file fully by loading it."""
    source = _explicit(path)
    for name in names():
        claims = getattr(module(name), "claims", None)
        if claims is not None and claims(source):
            return name
    raise _unknown_file(path)


def check_adding(path, backbone: str | None = None) -> Path:
    """The file to add, or a WeightsError when it does not exist, is of no kind deepdream knows
    (when backbone is None: no backbone claims it), or the weights folder cannot be written (a
    file, or a place without write access). Quick (TensorFlow is imported only to read what
    looks like a TensorFlow graph), and changes nothing."""
    source = _explicit(path)
    if backbone is None:
        identify(source)
    folder = user_weights_dir()
    fix = "set DEEPDREAM_WEIGHTS_DIR to a writable folder"
    if folder.exists() and not folder.is_dir():
        raise WeightsError(f"The weights folder '{folder}' is a file, not a folder; {fix}.")
    if not _writable(str(folder)):
        raise WeightsError(f"The weights folder '{folder}' cannot be written; {fix}.")
    return source


def _make_folder() -> Path:
    folder = user_weights_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WeightsError(
            f"The weights folder '{folder}' cannot be made "
            f"({error.strerror or error}); set DEEPDREAM_WEIGHTS_DIR to a "
            f"writable folder."
        ) from None
    return folder


def add(path, backbone: str | None = None) -> Added:
    """Check a weights file and copy it into user_weights_dir() under the name its backbone
    looks for, so every later run finds it (offline too).

    backbone: the backbone it is for; None to tell by its content (`identify`). The check is
    loading it as that backbone does: a file that does not load is refused (WeightsError) and
    nothing is written. The loaded file's size and hash are compared with the published file's
    where known; a difference is a warning in the result, not an error, since the file works.
    The copy is atomic: a temporary file in the folder, renamed into place.
    """
    source = check_adding(path, backbone)
    name = backbone or identify(source)
    mod = module(name)
    spec = getattr(mod, "WEIGHTS", None)
    if spec is None:
        kind = f"'{path}' holds {name} weights, but backbone" if backbone is None else "Backbone"
        raise WeightsError(
            f"{kind} {name!r} takes no file from the weights folder (it uses its embedded "
            f"weights): give the file to a command with --backbone {name} --weights FILE instead."
        )
    mod.load(source)  # raises WeightsError when it is not this backbone's file
    size = source.stat().st_size
    sha256 = file_digest(source)
    warnings = []
    expected = (spec.md5_or_sha or "").lower()
    if expected:
        algorithm = "md5" if len(expected) == 32 else "sha256"
        actual = sha256 if algorithm == "sha256" else file_digest(source, "md5")
        if actual != expected:
            warnings.append(
                f"'{path}' loads as {name}, but its {algorithm.upper()} {actual} "
                f"differs from the published file's {expected}; added anyway."
            )
    elif spec.size is not None and size != spec.size:
        warnings.append(
            f"'{path}' loads as {name}, but its size ({size:,} bytes) differs from "
            f"the published file's ({spec.size:,} bytes); added anyway."
        )

    target = _make_folder() / spec.filename
    action = "added"
    if target.is_file():
        try:
            same = os.path.samefile(source, target)
        except OSError:
            same = False
        if same or (target.stat().st_size == size and file_digest(target) == sha256):
            return Added(name, target, "unchanged", size, sha256, tuple(warnings))
        action = "replaced"
    _copy(source, target, sha256)
    return Added(name, target, action, size, sha256, tuple(warnings))


def _copy(source: Path, target: Path, sha256: str) -> None:
    """Copy source onto target atomically, checking the bytes written against sha256."""
    from ..saving import atomic_write

    def write(out) -> None:
        digest = hashlib.sha256()
        with open(source, "rb") as f:
            for piece in iter(lambda: f.read(1 << 20), b""):
                digest.update(piece)
                out.write(piece)
        if digest.hexdigest() != sha256:
            raise WeightsError(f"'{source}' changed while it was being copied; add it again.")

    try:
        atomic_write(target, write)
    except OSError as error:
        raise WeightsError(
            f"Cannot write '{target}' ({error.strerror or error}); set "
            f"DEEPDREAM_WEIGHTS_DIR to a writable folder with room for it."
        ) from None


__all__ = [
    "WeightsFile",
    "WeightsStatus",
    "keras_cache_dir",
    "user_weights_dir",
    "downloads_off",
    "offline",
    "find",
    "resolve",
    "status",
    "missing_message",
    "DOWNLOAD_TIMEOUT",
    "HDF5_SIGNATURE",
    "file_digest",
    "WeightsReport",
    "describe",
    "Added",
    "file_kind",
    "identify",
    "check_adding",
    "add",
]
