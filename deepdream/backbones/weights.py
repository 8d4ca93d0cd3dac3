"""Where backbone weight files come from, shared by all backbones.

A weights file is looked for, in order: the path the user gave (`--weights FILE`), the user weights
folder (`user_weights_dir()`), Keras's own cache (`keras_cache_dir()`, where
`keras.applications` keeps what it downloads), and last downloaded by Keras into its cache. Setting
`DEEPDREAM_OFFLINE=1` skips the download. A file that cannot be downloaded on its own (GoogLeNet's
graph, inside a zip) is added once with `deepdream weights add FILE` (`add` here), which checks it
by loading it and copies it atomically into the user weights folder; `describe` is what
`deepdream weights` lists.
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
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData",
                                                              "Local")
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
    how = (f"{spec.how} (it lands in {user_weights_dir()})" if spec.how else
           f"download it from {spec.url} and put it in {user_weights_dir()} or in "
           f"{keras_cache_dir()}")
    return (
        f"Backbone {backbone_name!r} needs the weights file '{spec.filename}' ({why}): {how}, or "
        f"give its path with --weights FILE, or use --backbone efficientnet-lite2 (the default) or vgg16, which work offline."
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
    return WeightsStatus(False, f"'{spec.filename}' is not in {user_weights_dir()} or "
                                f"{keras_cache_dir()}; {how}")


# -- listing and adding files (`deepdream weights`) ------------------------------------------
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def file_digest(path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in 1 MiB pieces."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


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
    from . import module

    mod = module(backbone)
    spec = getattr(mod, "WEIGHTS", None)
    if spec is None:  # embedded (VGG16): its module says where its file is
        state = mod.weights_status()
        path = Path(state.where) if state.available and Path(state.where).is_file() else None
        report = WeightsReport(backbone, path.name if path else "", path is not None, path, True,
                               (), None, None,
                               "installed with deepdream" if path else state.where)
    else:
        path = find(spec)
        if spec.how:
            how = spec.how
        elif spec.download:
            how = (f"downloaded on first use from {spec.url} (unless DEEPDREAM_OFFLINE is set), "
                   f"or `deepdream weights add FILE` for a copy you have")
        else:
            how = f"get it from {spec.url} and run `deepdream weights add FILE`"
        report = WeightsReport(backbone, spec.filename, path is not None, path, False,
                               (user_weights_dir(), keras_cache_dir()), spec.size,
                               spec.md5_or_sha, how)
    if path is not None:
        from dataclasses import replace

        report = replace(report, size=path.stat().st_size,
                         sha256=file_digest(path) if digest else None)
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


#: The first byte of a serialized GraphDef: the tag of its field 1 (node), 2 (library),
#: 3 (version) or 4 (versions); protobuf writes fields in number order.
_GRAPH_DEF_FIRST_BYTES = b"\x0a\x12\x18\x22"


def file_kind(path) -> str | None:
    """"hdf5", "protobuf" (may be a TensorFlow GraphDef) or None, from a file's first bytes.

    Quick, and needs no TensorFlow."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(HDF5_SIGNATURE))
    except OSError as error:
        raise WeightsError(f"Weights file '{path}' cannot be read "
                           f"({error.strerror or error}).") from None
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if head[:1] and head[:1] in _GRAPH_DEF_FIRST_BYTES:
        return "protobuf"
    return None


def _unknown_file(path) -> WeightsError:
    from . import module, names

    kinds = ", ".join(f"{getattr(module(name), 'WEIGHTS_FORMAT', 'weights')} ({name})"
                      for name in names())
    return WeightsError(f"'{path}' is not a weights file deepdream knows: it is none of {kinds}.")


def identify(path) -> str:
    """The backbone a weights file is for, told by its content (not its name): the first backbone
    of the registry whose module `claims` it. Each claim is a quick look (file signature, layer
    names, shapes); `add` checks the file fully by loading it."""
    from . import module, names

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
        raise WeightsError(f"The weights folder '{folder}' cannot be made "
                           f"({error.strerror or error}); set DEEPDREAM_WEIGHTS_DIR to a "
                           f"writable folder.") from None
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
    from . import module

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
            warnings.append(f"'{path}' loads as {name}, but its {algorithm.upper()} {actual} "
                            f"differs from the published file's {expected}; added anyway.")
    elif spec.size is not None and size != spec.size:
        warnings.append(f"'{path}' loads as {name}, but its size ({size:,} bytes) differs from "
                        f"the published file's ({spec.size:,} bytes); added anyway.")

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
    from ..images import atomic_write

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
        raise WeightsError(f"Cannot write '{target}' ({error.strerror or error}); set "
                           f"DEEPDREAM_WEIGHTS_DIR to a writable folder with room for it.") from None


__all__ = ["WeightsFile", "WeightsStatus", "keras_cache_dir", "user_weights_dir", "offline", "find", "resolve",
           "status", "missing_message", "DOWNLOAD_TIMEOUT", "HDF5_SIGNATURE", "file_digest",
           "WeightsReport", "describe", "Added", "file_kind", "identify", "check_adding", "add"]
