"""Writing pictures: the output path checked before any rendering, the file encoded in the format
its extension names with the settings that made it embedded (`read_metadata` reads them back), and
written atomically (a temporary file in the same folder, renamed into place). Reading and resizing
are `images.py`, which re-exports these names.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from deepdream.errors import OutputError

#: Output file extension -> Pillow format name.
OUTPUT_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
#: Formats that can store an alpha channel.
ALPHA_FORMATS = frozenset({"PNG", "WEBP", "TIFF"})

_UMASK_LOCK = threading.Lock()


def umask() -> int:
    """The process's umask, read when a file is made (never changed at import): from the kernel's
    /proc/self/status on Linux; elsewhere by setting a narrow mask and restoring it at once (under
    a lock, and narrow, so a file another thread creates meanwhile is never wider than asked)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def to_pil(rgb, alpha=None) -> Image.Image:
    """An RGB (or RGBA, with ``alpha``) Pillow image from a float H x W x 3 array in [0, 255].

    Values are rounded and clipped; an alpha of another size is resized to fit.
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("the image contains NaN or infinite values")
    img = Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))
    if alpha is not None:
        mask = Image.fromarray(np.clip(np.round(np.asarray(alpha)), 0, 255).astype(np.uint8))
        if mask.size != img.size:
            mask = mask.resize(img.size, Image.LANCZOS)
        img.putalpha(mask)
    return img


def check_output_path(output, inputs: Iterable = (), overwrite: bool = False, replace_own: bool = False) -> Path:
    """Check, before any rendering, that ``output`` can be written; return it as a Path.

    Raises OutputError when it is a folder, has an unsupported extension, lies in a missing or
    unwritable folder, is one of ``inputs`` (even with ``overwrite``), or exists without ``overwrite``
    (with ``replace_own``, an existing picture that deepdream wrote, as its settings prove, may be
    replaced: `written_by_deepdream`).
    """
    out = Path(output)
    if out.is_dir():
        raise OutputError(f"Output path '{out}' is a folder; give a file name such as '{out / 'dream.png'}'.")
    if out.suffix.lower() not in OUTPUT_FORMATS:
        what = f"extension '{out.suffix}'" if out.suffix else "no extension"
        raise OutputError(f"Output file '{out}' has {what}; use one of {', '.join(OUTPUT_FORMATS)}.")
    folder = out.parent
    if not folder.exists():
        raise OutputError(f"Output folder '{folder}' does not exist; create it first.")
    if not folder.is_dir():
        raise OutputError(f"Output folder '{folder}' is not a folder; choose another output path.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"Output folder '{folder}' is not writable; choose another folder or fix its permissions.")
    for inp in inputs:
        inp = Path(inp)
        same = out.resolve() == inp.resolve()
        if not same and out.exists() and inp.exists():
            same = os.path.samefile(out, inp)
        if same:
            raise OutputError(f"Output file '{out}' would overwrite the input '{inp}'; choose another output name.")
    if out.exists() and not overwrite and not (replace_own and written_by_deepdream(out)):
        whose = " and deepdream did not write it" if replace_own else ""
        raise OutputError(f"Output file '{out}' already exists{whose}; pass --overwrite to replace it.")
    return out


def written_by_deepdream(path) -> bool:
    """Whether ``path`` is a regular file holding the settings deepdream embeds in every picture it
    writes (see `save_image`): such a file is a result the same command may replace."""
    return Path(path).is_file() and read_metadata(path) is not None


def atomic_write(path, write_fn: Callable[[BinaryIO], object]) -> None:
    """Write a file atomically: ``write_fn(f)`` writes to a binary temp file in the same folder,
    which is fsynced and then renamed onto ``path``.

    If anything fails (KeyboardInterrupt included) the temp file is removed, the target is
    untouched and the exception propagates unchanged. A replaced file keeps its permission
    bits; a new one gets 0o666 minus the umask.
    """
    path = Path(path)
    mode = (path.stat().st_mode & 0o7777) if path.is_file() else (0o666 & ~umask())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def encode_image(rgb, fmt: str, alpha=None, quality: int = 95, metadata: str | None = None) -> bytes:
    """The bytes of an image file of Pillow format `fmt` ("PNG", "JPEG", ...) holding a float or
    uint8 H x W x 3 array in [0, 255] (or H x W: a greyscale picture, e.g. a transparency map):
    alpha where the format has a place for it, `metadata` as `save_image` stores it. Raises
    ValueError where the encoder refuses (e.g. a side over WebP's 16383 pixels)."""
    import io

    if not np.isfinite(np.asarray(rgb, dtype=np.float32)).all():
        raise OutputError(
            "The result holds non-finite values (NaN or infinity), so nothing was written; "
            "lower --step-size, the layer weights or the loss weights."
        )
    if np.ndim(rgb) == 2:
        img = Image.fromarray(np.clip(np.round(np.asarray(rgb, np.float32)), 0, 255).astype(np.uint8), mode="L")
    else:
        img = to_pil(rgb, alpha if fmt in ALPHA_FORMATS else None)
    options = {
        "JPEG": {"quality": quality, "subsampling": 0},
        "WEBP": {"quality": quality},
        "PNG": {"optimize": False},
    }.get(fmt, {})
    if metadata is not None:
        options.update(_metadata_options(fmt, metadata))
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def save_image(rgb, path, alpha=None, overwrite: bool = False, quality: int = 95, metadata: str | None = None) -> Path:
    """Save a float H x W x 3 array in [0, 255] atomically, in the format its extension names.

    ``alpha`` is stored where the format allows (PNG, WebP, TIFF) and dropped otherwise.
    ``metadata`` (the JSON of the settings that made the picture) goes in a PNG text chunk named
    ``deepdream``, in the EXIF ImageDescription of JPEG and WebP, in TIFF's ImageDescription; BMP
    has no place for it. `read_metadata` reads it back.
    Raises OutputError for a path ``check_output_path`` refuses or when writing fails.
    """
    path = check_output_path(path, overwrite=overwrite)
    fmt = OUTPUT_FORMATS[path.suffix.lower()]
    try:
        data = encode_image(rgb, fmt, alpha, quality, metadata)
        atomic_write(path, lambda f: f.write(data))
    except (OSError, ValueError) as e:
        if isinstance(e, OSError) and e.errno is not None:  # the file system refused
            hint = f"({e.strerror}); check the folder's permissions and free space"
        else:  # the encoder refused, e.g. a side over WebP's 16383 pixels
            hint = f"as {fmt} ({str(e).rstrip('.')}); try another format such as .png"
        raise OutputError(f"Could not write output file '{path}' {hint}.") from None
    return path


METADATA_KEY = "deepdream"
_IMAGE_DESCRIPTION = 0x010E  # EXIF / TIFF tag


def _metadata_options(fmt: str, text: str) -> dict:
    """Pillow save options that embed `text` in a file of format `fmt`."""
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt(METADATA_KEY, text, zip=True)
        return {"pnginfo": info}
    if fmt in ("JPEG", "WEBP"):
        exif = Image.Exif()
        exif[_IMAGE_DESCRIPTION] = f"{METADATA_KEY} {text}"
        return {"exif": exif.tobytes()}
    if fmt == "TIFF":
        return {"tiffinfo": {_IMAGE_DESCRIPTION: f"{METADATA_KEY} {text}"}}
    return {}


def read_metadata(path) -> str | None:
    """The settings text deepdream embedded in a picture (see `save_image`), or None."""
    try:
        with Image.open(path) as img:
            text = getattr(img, "text", {}).get(METADATA_KEY) if hasattr(img, "text") else None
            if text is None:
                description = img.getexif().get(_IMAGE_DESCRIPTION)
                if isinstance(description, bytes):
                    description = description.decode("utf-8", "replace")
                if isinstance(description, str) and description.startswith(METADATA_KEY + " "):
                    text = description[len(METADATA_KEY) + 1 :]
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return text


__all__ = [
    "OUTPUT_FORMATS",
    "ALPHA_FORMATS",
    "METADATA_KEY",
    "to_pil",
    "check_output_path",
    "atomic_write",
    "encode_image",
    "save_image",
    "read_metadata",
]
