"""Where backbone weight files come from, shared by all backbones (no registry: the networks import it).

A weights file is looked for, in order: the path the user gave (`--weights FILE`), the user weights
folder (`user_weights_dir()`), Keras's own cache (`keras_cache_dir()`, where
`keras.applications` keeps what it downloads), and last downloaded by Keras into its cache. Setting
`DEEPDREAM_OFFLINE=1` skips the download. `file_kind` tells an HDF5 file from a TensorFlow graph by
its first bytes. Listing and adding files (`deepdream weights`) is `weights.py`, above the registry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import WeightsError

#: Seconds a download may wait on any one connect or read before it counts as failed.
DOWNLOAD_TIMEOUT = 20.0


@dataclass(frozen=True)
class WeightsFile:
    """A weights file a backbone expects."""

    filename: str  # the name it has in the user weights folder and in Keras's cache
    url: str  # where Keras downloads it from
    md5_or_sha: str | None = None  # md5 (32 hex digits) or sha256 (64), checked on download
    size: int | None = None  # bytes, when known
    description: str = ""
    #: How a user gets it, when not by a plain download of url ("download X, unzip it and ...").
    how: str = ""
    #: Whether Keras can download it from url on first use (False: the user adds it).
    download: bool = True


@dataclass(frozen=True)
class WeightsStatus:
    """Whether a backbone's weights are available now (`weights_status()` of its module)."""

    available: bool
    where: str  # the file found, or where it would be looked for / how to get it


# -- folders ---------------------------------------------------------------------------------
def _writable(path: str) -> bool:
    """Whether path is a writable folder, or could be made one (its nearest existing parent is)."""
    if not path:
        return False
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return os.path.isdir(path) and os.access(path, os.W_OK)


def keras_cache_dir() -> Path:
    """Keras's cache folder for models, as `keras.utils.get_file(cache_subdir='models')` uses it.

    `$KERAS_HOME/models` if KERAS_HOME is set, else `~/.keras/models` (`/tmp/.keras/models` when the
    home folder is not writable); and, as get_file does, `/tmp/.keras/models` when that Keras home
    cannot be written.
    """
    # keras.src.backend.config: KERAS_HOME, else ~/.keras, else /tmp/.keras (home not writable).
    if "KERAS_HOME" in os.environ:
        home = os.environ["KERAS_HOME"]
    else:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        home = os.path.join(base, ".keras")
    # keras.src.utils.file_utils.get_file: falls back to /tmp/.keras when the home is not writable.
    # (Keras creates its home when imported, so a home that can be created counts as writable.)
    home = os.path.expanduser(home)
    if not _writable(home):
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(home) / "models"


def user_weights_dir() -> Path:
    """The folder deepdream looks in for weights: `$DEEPDREAM_WEIGHTS_DIR`, else the platform cache.

    Linux and others: `$XDG_CACHE_HOME/deepdream/weights` or `~/.cache/deepdream/weights`;
    macOS: `~/Library/Caches/deepdream/weights`; Windows: `%LOCALAPPDATA%\\deepdream\\weights`.
    """
    explicit = os.environ.get("DEEPDREAM_WEIGHTS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
        return Path(base) / "deepdream" / "weights"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "deepdream" / "weights"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "deepdream" / "weights"


_local = threading.local()


@contextlib.contextmanager
def downloads_off(reason: str):
    """In this thread, within it, a missing weights file is not downloaded: the error gives `reason`."""
    before = getattr(_local, "no_download", None)
    _local.no_download = reason
    try:
        yield
    finally:
        _local.no_download = before


def offline() -> bool:
    """Whether downloads are off: DEEPDREAM_OFFLINE set, not to '', '0', 'false', 'no' or 'off'."""
    value = os.environ.get("DEEPDREAM_OFFLINE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


# -- finding ---------------------------------------------------------------------------------
def find(spec: WeightsFile) -> Path | None:
    """spec's file in the user weights folder, else in Keras's cache, else None. No download."""
    for folder in (user_weights_dir(), keras_cache_dir()):
        candidate = folder / spec.filename
        if candidate.is_file():
            return candidate
    return None


def _explicit(explicit: str | os.PathLike) -> Path:
    path = Path(explicit).expanduser()
    if path.is_dir():
        raise WeightsError(f"Weights file '{explicit}' is a folder, not a file.")
    if not path.is_file():
        raise WeightsError(f"Weights file '{explicit}' does not exist.")
    return path


def _download(spec: WeightsFile) -> Path:
    """Keras's download of spec into keras_cache_dir(); raises whatever get_file raises."""
    import keras

    cache = keras_cache_dir()
    # Keras fixed its home when it was imported; pass ours so the file lands where find() looks.
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / spec.filename
    existed = target.exists()
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)  # urlretrieve has no timeout of its own
    try:
        return Path(
            keras.utils.get_file(
                spec.filename, spec.url, cache_subdir="models", file_hash=spec.md5_or_sha, cache_dir=str(cache.parent)
            )
        )
    except BaseException:
        # get_file leaves a file whose hash does not match; do not let find() pick it up later.
        if not existed and target.exists():
            with contextlib.suppress(OSError):
                target.unlink()
        raise
    finally:
        socket.setdefaulttimeout(old_timeout)


def _short_reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if " -- " in text:  # Keras: "URL fetch failure on URL: errno -- reason"
        text = text.rsplit(" -- ", 1)[1]
    text = text.rstrip(".")
    return text if len(text) <= 100 else text[:97] + "..."


def missing_message(spec: WeightsFile, backbone_name: str, why: str) -> str:
    """The one sentence saying which file is needed, where to put it, and what else works."""
    how = (
        f"{spec.how} (it lands in {user_weights_dir()})"
        if spec.how
        else f"download it from {spec.url} and put it in {user_weights_dir()} or in {keras_cache_dir()}"
    )
    return (
        f"Backbone {backbone_name!r} needs the weights file '{spec.filename}' ({why}): {how}, or "
        "give its path with --weights FILE, or use --backbone efficientnet-lite2 (the default) or vgg16, "
        "which work offline."
    )


def resolve(
    spec: WeightsFile, explicit: str | os.PathLike | None, backbone_name: str, allow_download: bool = True
) -> Path:
    """The weights file to load: explicit, else found (user folder, Keras cache), else downloaded.

    Raises WeightsError when explicit does not exist, or the file is nowhere and cannot be
    downloaded (download off, offline via DEEPDREAM_OFFLINE, or it failed).
    """
    if explicit is not None and str(explicit) != "":
        return _explicit(explicit)
    found = find(spec)
    if found is not None:
        return found
    if not spec.download:
        why = "not found"
    elif not allow_download:
        why = "not found, and downloading is off"
    elif getattr(_local, "no_download", None):
        why = f"not found, and {_local.no_download}"
    elif offline():
        why = "not found, and DEEPDREAM_OFFLINE is set"
    else:
        try:
            return _download(spec)
        except KeyboardInterrupt:
            raise
        except Exception as error:  # offline, HTTP error, hash mismatch, disk full, ...
            why = f"not found, and the download failed: {_short_reason(error)}"
    raise WeightsError(missing_message(spec, backbone_name, why))


def status(spec: WeightsFile):
    """A WeightsStatus: the file found, or where it is looked for and how it would be got."""
    found = find(spec)
    if found is not None:
        return WeightsStatus(True, str(found))
    if not spec.download:
        how = spec.how or f"get it from {spec.url}"
    elif offline():
        how = "downloading is off (DEEPDREAM_OFFLINE)"
    else:
        how = f"downloaded on first use from {spec.url}"
    return WeightsStatus(False, f"'{spec.filename}' is not in {user_weights_dir()} or {keras_cache_dir()}; {how}")


# -- what a file is ------------------------------------------------------------------------
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def file_digest(path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in 1 MiB pieces."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


#: The first byte of a serialized GraphDef: the tag of its field 1 (node), 2 (library),
#: 3 (version) or 4 (versions); protobuf writes fields in number order.
_GRAPH_DEF_FIRST_BYTES = b"\x0a\x12\x18\x22"


def file_kind(path) -> str | None:
    """ "hdf5", "protobuf" (may be a TensorFlow GraphDef) or None, from a file's first bytes.

    Quick, and needs no TensorFlow."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(HDF5_SIGNATURE))
    except OSError as error:
        raise WeightsError(f"Weights file '{path}' cannot be read ({error.strerror or error}).") from None
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if head[:1] and head[:1] in _GRAPH_DEF_FIRST_BYTES:
        return "protobuf"
    return None


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
    "file_kind",
]
