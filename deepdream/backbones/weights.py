"""Where backbone weight files come from, shared by all backbones.

A weights file is looked for, in order: the path the user gave (`--weights FILE`), the user weights
folder (`user_weights_dir()`), Keras's own cache (`keras_cache_dir()`, where
`keras.applications` keeps what it downloads), and last downloaded by Keras into its cache. Setting
`DEEPDREAM_OFFLINE=1` skips the download.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
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
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData",
                                                              "Local")
        return Path(base) / "deepdream" / "weights"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "deepdream" / "weights"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "deepdream" / "weights"


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
        return Path(keras.utils.get_file(spec.filename, spec.url, cache_subdir="models",
                                         file_hash=spec.md5_or_sha, cache_dir=str(cache.parent)))
    except BaseException:
        # get_file leaves a file whose hash does not match; do not let find() pick it up later.
        if not existed and target.exists():
            try:
                target.unlink()
            except OSError:
                pass
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
    return (
        f"Backbone {backbone_name!r} needs the weights file '{spec.filename}' ({why}): download "
        f"it from {spec.url} and put it in {user_weights_dir()} or in {keras_cache_dir()}, or give "
        f"its path with --weights FILE, or use --backbone vgg16, which works offline."
    )


def resolve(spec: WeightsFile, explicit: str | os.PathLike | None, backbone_name: str,
            allow_download: bool = True) -> Path:
    """The weights file to load: explicit, else found (user folder, Keras cache), else downloaded.

    Raises WeightsError when explicit does not exist, or the file is nowhere and cannot be
    downloaded (download off, offline via DEEPDREAM_OFFLINE, or it failed).
    """
    if explicit is not None and str(explicit) != "":
        return _explicit(explicit)
    found = find(spec)
    if found is not None:
        return found
    if not allow_download:
        why = "not found, and downloading is off"
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
    from . import WeightsStatus

    found = find(spec)
    if found is not None:
        return WeightsStatus(True, str(found))
    how = ("downloading is off (DEEPDREAM_OFFLINE)" if offline()
           else f"downloaded on first use from {spec.url}")
    return WeightsStatus(False, f"'{spec.filename}' is not in {user_weights_dir()} or "
                                f"{keras_cache_dir()}; {how}")


__all__ = ["WeightsFile", "keras_cache_dir", "user_weights_dir", "offline", "find", "resolve",
           "status", "missing_message", "DOWNLOAD_TIMEOUT"]
